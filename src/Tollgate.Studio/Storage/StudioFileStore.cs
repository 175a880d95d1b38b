namespace Tollgate.Studio.Storage;

/// <summary>
/// Where dataset rows and trained model files live: under the data directory (<see cref="LocalStudioFileStore"/>, the
/// default) or in the workspace's blob storage (<see cref="BlobStudioFileStore"/>, so every Studio node reads what any
/// node wrote). A file is named by the value kept in the store's <c>file</c> column: <see cref="Locate"/> makes it.
/// Files never change once written (a new upload or training run writes a new one).
/// </summary>
public abstract class StudioFileStore
{
    /// <summary>The name to keep in the store for the file at <paramref name="relativePath"/> (<c>datasets/{id}.csv</c>, <c>models/{id}.zip</c>).</summary>
    public abstract string Locate(string relativePath);

    /// <summary>Creates <paramref name="file"/> with what <paramref name="write"/> writes; returns its size in bytes.</summary>
    public abstract Task<long> WriteAsync(string file, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken);

    /// <summary>Reads <paramref name="file"/> from its start.</summary>
    public abstract Task<Stream> OpenReadAsync(string file, CancellationToken cancellationToken);

    public abstract Task<bool> ExistsAsync(string file, CancellationToken cancellationToken);

    /// <summary>Deletes <paramref name="file"/> (or the folder of files it heads, for an imported ONNX model); nothing when it is gone.</summary>
    public abstract Task DeleteAsync(string file, CancellationToken cancellationToken);

    /// <summary>
    /// A local path with the content of <paramref name="file"/>, for readers that need one (ONNX Runtime): the file itself,
    /// or a copy downloaded once into this node's cache.
    /// </summary>
    public abstract string LocalPath(string file);

    /// <summary>
    /// The local path where a file is prepared before it is kept (an ONNX model is checked there first); then
    /// <see cref="KeepPreparedAsync"/> stores it as <paramref name="file"/>.
    /// </summary>
    public abstract string PreparePath(string file);

    /// <summary>Stores the file prepared at <see cref="PreparePath"/> as <paramref name="file"/> (nothing to do when that is the file itself).</summary>
    public abstract Task KeepPreparedAsync(string file, CancellationToken cancellationToken);
}
