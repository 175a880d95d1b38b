using System.Text.Json;

namespace Tollgate.Core.Analytics;

/// <summary>The wire form of request records a remote gateway sends to management (<c>POST /internal/gateway/records</c>).</summary>
public static class RecordBatch
{
    /// <summary>Records management takes in one post at most.</summary>
    public const int MaxRecords = 10_000;

    /// <summary>The largest body management reads, in bytes.</summary>
    public const long MaxBytes = 32L * 1024 * 1024;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The header a gateway names a batch by (<see cref="IdOf"/>), so management takes a batch sent again only once.</summary>
    public const string IdHeader = "X-Tollgate-Batch";

    /// <summary>
    /// The id of a batch: a digest of its records' request ids in order. A batch a gateway sends again (it died before
    /// it knew management took it) has the same records in the same order, so the same id.
    /// </summary>
    public static string IdOf(IReadOnlyList<RequestRecord> records)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        Span<byte> separator = [(byte)'\n'];
        foreach (var record in records)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(record.RequestId));
            hash.AppendData(separator);
        }

        return Convert.ToHexString(hash.GetHashAndReset(), 0, 16);
    }

    /// <summary>Whether a batch id from a request is one <see cref="IdOf"/> could have made (32 hexadecimal digits).</summary>
    public static bool IsId(string? id) => id is { Length: 32 } && id.All(char.IsAsciiHexDigit);

    /// <summary>What is wrong with one record (named by its index and field), or null when management can store it.</summary>
    public static string? Problem(in RequestRecord record, int index) =>
        string.IsNullOrEmpty(record.ServiceName) ? $"[{index}].serviceName is required."
        : string.IsNullOrEmpty(record.RequestId) || record.RequestId.Length > 64 ? $"[{index}].requestId is required (at most 64 characters)."
        : string.IsNullOrEmpty(record.Method) || record.Method.Length > 16 ? $"[{index}].method is required (at most 16 characters)."
        : record.Url is null || record.Url.Length > 8192 ? $"[{index}].url is required (at most 8192 characters)."
        : record.ResponseCode is < 100 or > 599 ? $"[{index}].responseCode must be an HTTP status (100–599)."
        : !Gateway.SubscriptionKeySlots.IsKnown(record.KeySlot) ? $"[{index}].keySlot must be primary, secondary, previousPrimary, previousSecondary or null."
        : record.RequestSize < 0 || record.ResponseSize < 0 || record.ApiTime < 0 || record.ServiceTime < 0 ? $"[{index}]: sizes and times cannot be negative."
        : null;
}
