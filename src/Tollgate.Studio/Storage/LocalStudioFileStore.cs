using Tollgate.Security;

namespace Tollgate.Studio.Storage;

/// <summary>Files under <c>{DataDirectory}/studio</c>, owner-only; the name kept in the store is the full path.</summary>
public sealed class LocalStudioFileStore(string directory) : StudioFileStore
{
    public override string Locate(string relativePath) => Path.Combine(directory, relativePath);

    public override async Task<long> WriteAsync(string file, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        PrivateFiles.CreateDirectory(Path.GetDirectoryName(file)!, tightenExisting: true);
        await using (var output = new FileStream(file, PrivateFiles.Options(FileMode.CreateNew, options: FileOptions.Asynchronous, bufferSize: 1 << 16)))
        {
            await write(output, cancellationToken);
        }

        return new FileInfo(file).Length;
    }

    public override Task<Stream> OpenReadAsync(string file, CancellationToken cancellationToken) =>
        Task.FromResult<Stream>(new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan));

    public override Task<bool> ExistsAsync(string file, CancellationToken cancellationToken) => Task.FromResult(File.Exists(file));

    public override Task DeleteAsync(string file, CancellationToken cancellationToken)
    {
        File.Delete(file);
        return Task.CompletedTask;
    }

    public override string LocalPath(string file) => file;

    public override string PreparePath(string file)
    {
        PrivateFiles.CreateDirectory(Path.GetDirectoryName(file)!, tightenExisting: true);
        return file;
    }

    public override Task KeepPreparedAsync(string file, CancellationToken cancellationToken) => Task.CompletedTask;
}
