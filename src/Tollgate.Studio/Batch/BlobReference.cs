using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Tollgate.Studio.WebServices;

namespace Tollgate.Studio.Batch;

/// <summary>
/// An <c>AzureBlobDataReference</c> (docs/studio-protocol.md §2.2): a connection string and <c>container/blob</c>, or a
/// <c>BaseLocation</c> with a <c>SasBlobToken</c>.
/// </summary>
public sealed record BlobReference(string? ConnectionString, string? RelativeLocation, string? BaseLocation, string? SasBlobToken)
{
    /// <summary>The file extensions a dataset input or output may have. [I] ARFF is not read or written.</summary>
    public static readonly string[] DatasetExtensions = [".csv", ".tsv"];

    /// <summary>The file extension of a trained model output (a training web service's model, a retraining PATCH's blob).</summary>
    public static readonly string[] ModelExtensions = [".ilearner"];

    /// <summary>The container and blob name of <see cref="RelativeLocation"/> (a leading '/' is allowed).</summary>
    public (string Container, string Blob) Split()
    {
        var relative = (RelativeLocation ?? "").Trim().TrimStart('/');
        var slash = relative.IndexOf('/', StringComparison.Ordinal);
        return slash <= 0 || slash == relative.Length - 1 ? ("", "") : (relative[..slash], relative[(slash + 1)..]);
    }

    /// <summary>Whether the reference uses a SAS rather than a connection string.</summary>
    public bool UsesSas => !string.IsNullOrWhiteSpace(SasBlobToken) && !string.IsNullOrWhiteSpace(BaseLocation);

    public static BlobReference? FromJson(JsonElement element, string target)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw StudioError.BadArgument("RequestBodyInvalid", $"'{target}' must be an object with ConnectionString and RelativeLocation.", target);
        }

        string? Get(string name)
        {
            foreach (var p in element.EnumerateObject())
            {
                if (p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return p.Value.ValueKind switch
                    {
                        JsonValueKind.String => p.Value.GetString(),
                        JsonValueKind.Null => null,
                        _ => throw StudioError.BadArgument("RequestBodyInvalid", $"'{target}.{name}' must be a string.", target),
                    };
                }
            }

            return null;
        }

        return new BlobReference(Get("ConnectionString"), Get("RelativeLocation"), Get("BaseLocation"), Get("SasBlobToken"));
    }

    public JsonObject ToJson() => new()
    {
        ["ConnectionString"] = ConnectionString,
        ["RelativeLocation"] = RelativeLocation,
        ["BaseLocation"] = BaseLocation,
        ["SasBlobToken"] = SasBlobToken,
    };

    public static BlobReference FromJson(JsonNode node) =>
        new((string?)node["ConnectionString"], (string?)node["RelativeLocation"], (string?)node["BaseLocation"], (string?)node["SasBlobToken"]);

    /// <summary>
    /// The blob client, or a <c>BadArgument</c> with the spec's detail code: <c>MissingInputBlobInformation</c>,
    /// <c>InputBlobRelativeLocationInvalid</c>, <c>InvalidBlobConnectionString</c>, <c>InvalidBlobExtension</c>, and
    /// <c>StorageHostNotAllowed</c> when <paramref name="storage"/> does not allow its host. Without
    /// <paramref name="storage"/> the client is for signing a SAS only (it sends nothing).
    /// </summary>
    public BlockBlobClient ToClient(string target, bool isOutput, StorageAccess? storage, IReadOnlyList<string>? extensions = null)
    {
        if (string.IsNullOrWhiteSpace(RelativeLocation) || (!UsesSas && string.IsNullOrWhiteSpace(ConnectionString)))
        {
            throw StudioError.BadArgument("MissingInputBlobInformation",
                $"'{target}' needs a ConnectionString and a RelativeLocation (\"container/blob\"), or a BaseLocation, RelativeLocation and SasBlobToken.", target);
        }

        var (container, blob) = Split();
        if (container.Length == 0)
        {
            throw StudioError.BadArgument("InputBlobRelativeLocationInvalid",
                $"The RelativeLocation of '{target}' must be \"container/blob\", e.g. \"mycontainer/input.csv\"; it was \"{RelativeLocation}\".", target);
        }

        var extension = Path.GetExtension(blob).ToLowerInvariant();
        extensions ??= DatasetExtensions;
        if (!extensions.Contains(extension))
        {
            throw StudioError.BadArgument("InvalidBlobExtension",
                $"The blob of '{target}' has the extension '{extension}'. Supported file extensions for this {(isOutput ? "output" : "input")} type are: {string.Join(", ", extensions)}.", target);
        }

        if (UsesSas)
        {
            if (!Uri.TryCreate(BaseLocation!.TrimEnd('/') + "/" + container + "/" + blob + (SasBlobToken!.StartsWith('?') ? SasBlobToken : "?" + SasBlobToken), UriKind.Absolute, out var uri)
                || uri.Scheme is not ("http" or "https"))
            {
                throw StudioError.BadArgument("InvalidBlob", $"The BaseLocation of '{target}' is not an http(s) URL.", target);
            }

            return Allowed(new BlockBlobClient(uri, storage?.ClientOptions), storage, target);
        }

        BlockBlobClient client;
        try
        {
            client = new BlobServiceClient(ConnectionString, storage?.ClientOptions).GetBlobContainerClient(container).GetBlockBlobClient(blob);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException or UriFormatException)
        {
            throw StudioError.BadArgument("InvalidBlobConnectionString",
                $"The ConnectionString of '{target}' is not a valid Azure Storage connection string (DefaultEndpointsProtocol=…;AccountName=…;AccountKey=…).", target);
        }

        return Allowed(client, storage, target);
    }

    private static BlockBlobClient Allowed(BlockBlobClient client, StorageAccess? storage, string target) =>
        storage is null || storage.IsAllowed(client.Uri) ? client : throw StorageAccess.NotAllowed(target);

    /// <summary>CSV or TSV, by the blob's extension.</summary>
    public char Delimiter => Path.GetExtension(Split().Blob).Equals(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : ',';
}
