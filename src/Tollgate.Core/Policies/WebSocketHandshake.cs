namespace Tollgate.Core.Policies;

/// <summary>
/// What APIM allows on a WebSocket API's handshake (its <c>onHandshake</c> operation, where a WebSocket API's policies
/// run): one list for management, which refuses these policies in the API's and the operation's documents, and for the
/// gateway, which skips them when the global or a product scope's document brings them in, as APIM does at run time.
/// </summary>
public static class WebSocketHandshake
{
    /// <summary>The policies APIM does not support on <c>onHandshake</c> (its "unsupported policies"), in its docs' order.</summary>
    public static IReadOnlyList<string> UnsupportedPolicies { get; } =
    [
        "mock-response", "cache-lookup", "cache-store", "cross-domain", "cors", "jsonp", "set-method", "set-body", "xml-to-json", "json-to-xml",
        "xsl-transform", "validate-content", "validate-parameters", "validate-headers", "validate-status-code",
    ];

    private static readonly HashSet<string> Unsupported = new(UnsupportedPolicies, StringComparer.Ordinal);

    /// <summary>Whether APIM does not support the policy named <paramref name="name"/> on a WebSocket handshake.</summary>
    public static bool IsUnsupported(string name) => Unsupported.Contains(name);

    /// <summary>
    /// Whether a policy of a WebSocket API's effective handshake policy is skipped: one APIM does not support there,
    /// inherited from the global or a product scope (the API's and operation's own documents cannot hold one).
    /// </summary>
    public static bool IsSkipped(string name, PolicyScopeLevel scope) =>
        scope is PolicyScopeLevel.Global or PolicyScopeLevel.Product && IsUnsupported(name);
}
