namespace Tollgate.Security;

/// <summary>
/// The data directory and what Tollgate writes in it (the stores, keys, certificate, quota counters, snapshot backup,
/// Studio's datasets) are readable by the owner only on Unix: directories 0700, files 0600, whatever the umask.
/// </summary>
public static class PrivateFiles
{
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The files SQLite keeps beside a database; they must be as private as the database.</summary>
    private static readonly string[] SqliteCompanions = ["-wal", "-shm", "-journal"];

    /// <summary>
    /// Creates the directory (and missing parents) owner-only. An existing directory is left as it is (it may be the
    /// user's own choice of data directory) unless <paramref name="tightenExisting"/>: then a directory Tollgate
    /// owns outright, written by an older version with a wider mode, is made 0700.
    /// </summary>
    public static void CreateDirectory(string path, bool tightenExisting = false)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(path, DirectoryMode);
            return;
        }

        if (tightenExisting && File.GetUnixFileMode(path) != DirectoryMode)
        {
            File.SetUnixFileMode(path, DirectoryMode);
        }
    }

    /// <summary>Options that create the file owner-only (0600).</summary>
    public static FileStreamOptions Options(
        System.IO.FileMode mode,
        FileAccess access = FileAccess.Write,
        FileShare share = FileShare.None,
        FileOptions options = FileOptions.None,
        int bufferSize = 4096)
    {
        var result = new FileStreamOptions { Mode = mode, Access = access, Share = share, Options = options, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows())
        {
            result.UnixCreateMode = FileMode;
        }

        return result;
    }

    /// <summary>
    /// Makes <paramref name="path"/> an owner-only file: created empty when missing (before a library such as SQLite
    /// creates it with the default mode), tightened when it exists with a wider mode, and so are SQLite's
    /// -wal/-shm/-journal files beside it.
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
            }
            catch (IOException) when (File.Exists(path))
            {
                // Created meanwhile by another process: tighten it below.
            }
        }

        Tighten(path);
        foreach (var suffix in SqliteCompanions)
        {
            if (File.Exists(path + suffix))
            {
                Tighten(path + suffix);
            }
        }
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void Tighten(string path)
    {
        var mode = File.GetUnixFileMode(path);
        if ((mode & ~FileMode) != 0)
        {
            File.SetUnixFileMode(path, mode & FileMode);
        }
    }
}
