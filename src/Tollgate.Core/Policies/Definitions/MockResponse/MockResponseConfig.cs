namespace Tollgate.Core.Policies.Definitions.MockResponse;

/// <summary>A <c>mock-response</c>.</summary>
/// <param name="StatusCode">The declared response to answer with; 200 by default.</param>
/// <param name="ContentType">The representation to answer with; the first declared when null.</param>
public sealed record MockResponseConfig(int StatusCode, string? ContentType);
