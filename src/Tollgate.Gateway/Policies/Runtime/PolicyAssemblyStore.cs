using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Tollgate.Core.Policies.Expressions;
using Tollgate.ServiceDefaults;

namespace Tollgate.Gateway.Policies.Runtime;

/// <summary>
/// The compiled policy expressions a gateway keeps on disk, so that a restart loads them instead of compiling every
/// document again (thousands of documents took seconds of Roslyn at every start).
/// </summary>
/// <remarks>
/// <para>One file pair per compilation, named by a hash of the documents compiled into it: <c>{name}.dll</c>, the
/// assembly's image as the compiler emitted it, and <c>{name}.keys</c>, the SHA-256 of that image and then one line
/// per document: its <see cref="PolicyCompileCache.KeyOf"/> key and how many expressions it has, in the order they were
/// compiled. A document is found by its key, and its expressions are the methods at its position in the image.</para>
/// <para>Everything lives under a directory named by <see cref="PolicyExpressionCompiler.ImageFingerprint"/>: another
/// build of Tollgate or Roslyn, or other expression limits, never load an image made by this one; directories of
/// other fingerprints are deleted when the store opens. An image whose hash does not match its <c>.keys</c> (a write cut
/// short) or that does not load is deleted and its documents compiled. A pair is deleted once no document compiled into
/// it is in use any more (<see cref="Release"/>).</para>
/// <para>The files are code that the gateway runs: the directory must be as private as the data directory it is in
/// (whoever can write it can already change the store and its keys).</para>
/// </remarks>
internal sealed partial class PolicyAssemblyStore
{
    private const string ImageExtension = ".dll";
    private const string KeysExtension = ".keys";

    private readonly string _directory;
    private readonly PolicyExpressionCompiler _compiler;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private Dictionary<string, Location>? _index;

    /// <summary>Documents in use per image name; an image whose count falls to zero is deleted.</summary>
    private readonly Dictionary<string, int> _inUse = new(StringComparer.Ordinal);
    private bool _failed;

    public PolicyAssemblyStore(string directory, PolicyExpressionCompiler compiler, ILogger logger)
    {
        _compiler = compiler;
        _logger = logger;
        _directory = Path.Combine(directory, compiler.ImageFingerprint);
    }

    /// <summary>
    /// Where a document's expressions are: the image's name and the SHA-256 its <c>.keys</c> file gives it, the position
    /// of the document's first expression, how many.
    /// </summary>
    public sealed record Location(string Image, string Hash, int Offset, int Count);

    /// <summary>The image holding the expressions of the document with this key, if one was saved.</summary>
    public Location? Find(string key)
    {
        lock (_gate)
        {
            return Index().GetValueOrDefault(key);
        }
    }

    /// <summary>
    /// Loads an image for the documents found in it; <paramref name="sources"/> are the sources of each expression by its
    /// position in the image (null where no document needs it). Null when the image is missing, damaged or does not
    /// fit (it is deleted then, and its documents are compiled).
    /// </summary>
    public CompiledPolicyExpressions? Load(Location location, IReadOnlyList<PolicyExpressionSource?> sources)
    {
        var image = location.Image;
        try
        {
            var bytes = File.ReadAllBytes(Path.Combine(_directory, image + ImageExtension));
            if (location.Hash == Convert.ToHexString(SHA256.HashData(bytes)) && _compiler.Load(bytes, sources) is { } loaded)
            {
                return loaded;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Unusable(_logger, _directory, e.Message);
        }

        Delete(image);
        return null;
    }

    /// <summary>
    /// Saves the image of one compilation and the documents compiled into it, in order (key, expression count); returns
    /// the image's name, or null when it could not be saved.
    /// </summary>
    public string? Save(IReadOnlyList<(string Key, int Count)> documents, ReadOnlyMemory<byte> image)
    {
        if (documents.Count == 0 || _failed)
        {
            return null;
        }

        var name = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', documents.Select(d => d.Key)))))[..40];
        var hash = Convert.ToHexString(SHA256.HashData(image.Span));
        var keys = new StringBuilder(hash).Append('\n');
        foreach (var (key, count) in documents)
        {
            keys.Append(key).Append(' ').Append(count).Append('\n');
        }

        try
        {
            Directory.CreateDirectory(_directory);
            // The image first, then its keys: a reader finds a document only through a complete .keys file, and the
            // hash in it refuses an image cut short. Each is written aside and renamed over, so no reader sees half.
            Write(Path.Combine(_directory, name + ImageExtension), image.Span);
            Write(Path.Combine(_directory, name + KeysExtension), Encoding.UTF8.GetBytes(keys.ToString()));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A gateway that cannot write its directory compiles at every start, as it did without one.
            _failed = true;
            Log.Unusable(_logger, _directory, e.Message);
            return null;
        }

        lock (_gate)
        {
            var index = Index();
            var offset = 0;
            foreach (var (key, count) in documents)
            {
                index[key] = new Location(name, hash, offset, count);
                offset += count;
            }
        }

        return name;
    }

    /// <summary>A document compiled into (or loaded from) <paramref name="image"/> is in use.</summary>
    public void Acquire(string image)
    {
        lock (_gate)
        {
            _inUse[image] = _inUse.GetValueOrDefault(image) + 1;
        }
    }

    /// <summary>A document of <paramref name="image"/> is no longer in use; the last one deletes the image.</summary>
    public void Release(string image)
    {
        lock (_gate)
        {
            if (!_inUse.TryGetValue(image, out var count))
            {
                return;
            }

            if (count > 1)
            {
                _inUse[image] = count - 1;
                return;
            }

            _inUse.Remove(image);
        }

        Delete(image);
    }

    private void Delete(string image)
    {
        lock (_gate)
        {
            if (_index is not null)
            {
                foreach (var key in _index.Where(e => e.Value.Image == image).Select(e => e.Key).ToList())
                {
                    _index.Remove(key);
                }
            }
        }

        try
        {
            File.Delete(Path.Combine(_directory, image + KeysExtension));
            File.Delete(Path.Combine(_directory, image + ImageExtension));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Unusable(_logger, _directory, e.Message);
        }
    }

    private static void Write(string path, ReadOnlySpan<byte> content)
    {
        var temporary = path + "." + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)) + ".tmp";
        using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            file.Write(content);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Every saved document by key, read once from the <c>.keys</c> files (holding <see cref="_gate"/>).</summary>
    private Dictionary<string, Location> Index()
    {
        if (_index is not null)
        {
            return _index;
        }

        _index = new Dictionary<string, Location>(StringComparer.Ordinal);
        try
        {
            var parent = Path.GetDirectoryName(_directory)!;
            if (Directory.Exists(parent))
            {
                foreach (var other in Directory.EnumerateDirectories(parent).Where(d => !string.Equals(d, _directory, StringComparison.Ordinal)))
                {
                    // Images of another build or other limits are never loaded: they go.
                    Directory.Delete(other, recursive: true);
                }
            }

            if (!Directory.Exists(_directory))
            {
                return _index;
            }

            foreach (var stale in Directory.EnumerateFiles(_directory, "*.tmp"))
            {
                File.Delete(stale);
            }

            foreach (var file in Directory.EnumerateFiles(_directory, "*" + KeysExtension))
            {
                var name = Path.GetFileNameWithoutExtension(file);
                var offset = 0;
                string? hash = null;
                foreach (var line in File.ReadLines(file))
                {
                    if (hash is null)
                    {
                        hash = line;
                        continue;
                    }

                    var space = line.IndexOf(' ');
                    if (space <= 0 || !int.TryParse(line.AsSpan(space + 1), out var count) || count < 0)
                    {
                        break;
                    }

                    _index[line[..space]] = new Location(name, hash, offset, count);
                    offset += count;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Unusable(_logger, _directory, e.Message);
        }

        return _index;
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.PolicyAssembliesUnusable, LogLevel.Warning, "Compiled policy expressions kept in '{Directory}' cannot be read or written ({Reason}); documents are compiled instead.")]
        public static partial void Unusable(ILogger logger, string directory, string reason);
    }
}
