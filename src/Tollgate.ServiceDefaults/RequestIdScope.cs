using System.Collections;

namespace Tollgate.ServiceDefaults;

/// <summary>
/// The logging scope of one request: structured loggers (JSON console, OpenTelemetry) see a <c>RequestId</c>
/// property, the simple console prints <c>RequestId:…</c>. One small object per request, no dictionary.
/// </summary>
public sealed class RequestIdScope(string requestId) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public string RequestId { get; } = requestId;

    public int Count => 1;

    public KeyValuePair<string, object?> this[int index] =>
        index == 0 ? new KeyValuePair<string, object?>("RequestId", RequestId) : throw new ArgumentOutOfRangeException(nameof(index));

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => "RequestId:" + RequestId;
}
