namespace Tollgate.Core.Policies.Definitions.Cors;

/// <summary>A <c>cors</c>.</summary>
/// <param name="AllowCredentials">Whether credentials are allowed; false by default.</param>
/// <param name="TerminateUnmatchedRequest">Whether an unmatched preflight, GET or HEAD gets an empty 200; true by default.</param>
/// <param name="AllowedOrigins">The <c>origin</c> texts (<c>*</c>: any).</param>
/// <param name="AllowedMethods">The <c>method</c> texts (<c>*</c>: any); GET and POST without <c>allowed-methods</c>.</param>
/// <param name="AllowedHeaders">The <c>allowed-headers</c> texts (<c>*</c>: any).</param>
/// <param name="ExposeHeaders">The <c>expose-headers</c> texts.</param>
/// <param name="PreflightResultMaxAge"><c>preflight-result-max-age</c>, if given.</param>
public sealed record CorsConfig(
    PolicySetting AllowCredentials,
    PolicySetting TerminateUnmatchedRequest,
    IReadOnlyList<string> AllowedOrigins,
    IReadOnlyList<string> AllowedMethods,
    IReadOnlyList<string> AllowedHeaders,
    IReadOnlyList<string> ExposeHeaders,
    string? PreflightResultMaxAge);
