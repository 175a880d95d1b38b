namespace Tollgate.Security;

/// <summary>
/// The data directory and what Tollgate writes in it (the store, keys, certificate, quota counters, snapshot backup)
/// are readable by the owner only on Unix: directories 0700, files 0600 (SQLite gives its -wal and -shm files the
/// database file's mode).
/// </summary>
public static class PrivateFiles
{
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates the directory (and missing parents) owner-only; an existing directory is left as it is.</summary>
    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows() || Directory.Exists(path))
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, DirectoryMode);
    }

    /// <summary>Options that create the file owner-only (0600).</summary>
    public static FileStreamOptions Options(System.IO.FileMode mode, FileAccess access = FileAccess.Write, FileShare share = FileShare.None)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        return options;
    }

    /// <summary>
    /// Makes <paramref name="path"/> an owner-only file: created empty when missing (before a library such as SQLite
    /// creates it with the default mode), tightened when it exists with a wider mode.
    /// </summary>
    public static void Prepare(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        if (!File.Exists(path))
        {
            try
            {
                using var _ = new FileStream(path, Options(System.IO.FileMode.CreateNew));
                return;
            }
            catch (IOException) when (File.Exists(path))
            {
                // Created meanwhile by another process: tighten it below.
            }
        }

        if ((File.GetUnixFileMode(path) & ~FileMode) != 0)
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) & FileMode);
        }
    }
}
