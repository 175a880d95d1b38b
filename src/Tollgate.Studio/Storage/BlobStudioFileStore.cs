using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Tollgate.Security;

namespace Tollgate.Studio.Storage;

/// <summary>
/// Files in a container of the workspace's default storage (<see cref="StudioStoreOptions.FilesContainer"/>); the name
/// kept in the store is the blob's name. Readers that need a local file get a copy downloaded once into
/// <c>{DataDirectory}/studio/cache</c> (files never change, so a copy never goes stale).
/// </summary>
public sealed class BlobStudioFileStore : StudioFileStore
{
    private readonly BlobContainerClient _container;
    private readonly string _cache;
    private readonly SemaphoreSlim _createContainer = new(1, 1);
    private bool _containerExists;

    public BlobStudioFileStore(BlobContainerClient container, string cacheDirectory)
    {
        _container = container ?? throw new ArgumentNullException(nameof(container));
        _cache = cacheDirectory;
    }

    public override string Locate(string relativePath) => relativePath.Replace('\\', '/');

    public override async Task<long> WriteAsync(string file, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        await EnsureContainerAsync(cancellationToken);
        var blob = _container.GetBlockBlobClient(file);
        // The write stream commits its blocks when disposed: a failed write leaves no blob.
        await using (var output = await blob.OpenWriteAsync(true, new Azure.Storage.Blobs.Models.BlockBlobOpenWriteOptions { BufferSize = 4 * 1024 * 1024 }, cancellationToken))
        {
            await write(output, cancellationToken);
        }

        return (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value.ContentLength;
    }

    public override async Task<Stream> OpenReadAsync(string file, CancellationToken cancellationToken) =>
        await _container.GetBlobClient(file).OpenReadAsync(new BlobOpenReadOptions(allowModifications: false) { BufferSize = 4 * 1024 * 1024 }, cancellationToken);

    public override async Task<bool> ExistsAsync(string file, CancellationToken cancellationToken) =>
        (await _container.GetBlobClient(file).ExistsAsync(cancellationToken)).Value;

    public override async Task DeleteAsync(string file, CancellationToken cancellationToken)
    {
        try
        {
            await _container.GetBlobClient(file).DeleteIfExistsAsync(cancellationToken: cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // The container is gone: so is the file.
        }
    }

    public override string LocalPath(string file)
    {
        var local = CachePath(file);
        if (!File.Exists(local))
        {
            PrivateFiles.CreateDirectory(Path.GetDirectoryName(local)!, tightenExisting: true);
            var partial = local + "." + Guid.NewGuid().ToString("N") + ".partial";
            _container.GetBlobClient(file).DownloadTo(partial);
            File.Move(partial, local, overwrite: true);
        }

        return local;
    }

    public override string PreparePath(string file)
    {
        var local = CachePath(file);
        PrivateFiles.CreateDirectory(Path.GetDirectoryName(local)!, tightenExisting: true);
        return local;
    }

    public override async Task KeepPreparedAsync(string file, CancellationToken cancellationToken)
    {
        await EnsureContainerAsync(cancellationToken);
        await _container.GetBlobClient(file).UploadAsync(CachePath(file), cancellationToken);
    }

    private string CachePath(string file) => Path.Combine(_cache, Path.Combine(file.Split('/', StringSplitOptions.RemoveEmptyEntries)));

    private async Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        if (_containerExists)
        {
            return;
        }

        await _createContainer.WaitAsync(cancellationToken);
        try
        {
            await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            _containerExists = true;
        }
        finally
        {
            _createContainer.Release();
        }
    }
}
