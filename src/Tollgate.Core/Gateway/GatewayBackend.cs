namespace Tollgate.Core.Gateway;

/// <summary>
/// A backend (<c>backends/{id}</c>) that <c>set-backend-service backend-id</c> routes to: one URL with the credentials
/// sent to it and an optional circuit breaker, or (<see cref="Pool"/>) a pool of such backends.
/// </summary>
public sealed record GatewayBackend
{
    public required string Id { get; init; }

    /// <summary>Absolute URL of a single backend; null for a pool.</summary>
    public string? Url { get; init; }

    /// <summary>Headers sent with every request to the backend (<c>credentials.header</c>): name and values.</summary>
    public IReadOnlyList<GatewayBackendValue> Headers { get; init; } = [];

    /// <summary>Query parameters added to every request to the backend (<c>credentials.query</c>).</summary>
    public IReadOnlyList<GatewayBackendValue> Query { get; init; } = [];

    /// <summary>The Authorization header sent to the backend (<c>credentials.authorization</c>: scheme and parameter), if any.</summary>
    public string? Authorization { get; init; }

    /// <summary>
    /// Thumbprints of the instance's certificates presented to the backend as its client certificate
    /// (<c>credentials.certificateIds</c> resolved, else <c>credentials.certificate</c>); empty: none.
    /// </summary>
    public IReadOnlyList<string> ClientCertificates { get; init; } = [];

    /// <summary>Whether the backend's server certificate must chain to a trusted root (<c>tls.validateCertificateChain</c>).</summary>
    public bool ValidateCertificateChain { get; init; } = true;

    /// <summary>Whether the backend's server certificate must name its host (<c>tls.validateCertificateName</c>).</summary>
    public bool ValidateCertificateName { get; init; } = true;

    /// <summary>The circuit breaker's rule, if any.</summary>
    public GatewayCircuitBreaker? CircuitBreaker { get; init; }

    /// <summary>The members of a pool (<c>type: Pool</c>); empty for a single backend.</summary>
    public IReadOnlyList<GatewayPoolMember> Pool { get; init; } = [];

    public bool IsPool => Pool.Count > 0;

    public bool Equals(GatewayBackend? other) =>
        other is not null && Id == other.Id && Url == other.Url && Authorization == other.Authorization && CircuitBreaker == other.CircuitBreaker
        && ValidateCertificateChain == other.ValidateCertificateChain && ValidateCertificateName == other.ValidateCertificateName
        && Headers.SequenceEqual(other.Headers) && Query.SequenceEqual(other.Query) && Pool.SequenceEqual(other.Pool)
        && ClientCertificates.SequenceEqual(other.ClientCertificates, StringComparer.OrdinalIgnoreCase);

    public override int GetHashCode() => HashCode.Combine(Id, Url, Authorization, CircuitBreaker, Headers.Count, Query.Count, Pool.Count);
}

/// <summary>A header or query parameter a backend's credentials add, with its values (sent comma-joined for a header, repeated for a query parameter).</summary>
public sealed record GatewayBackendValue(string Name, IReadOnlyList<string> Values)
{
    public bool Equals(GatewayBackendValue? other) => other is not null && Name == other.Name && Values.SequenceEqual(other.Values);

    public override int GetHashCode() => HashCode.Combine(Name, Values.Count);
}

/// <summary>
/// A circuit breaker rule: <see cref="Count"/> responses whose status is in <see cref="StatusCodeRanges"/> (or that
/// never came) within <see cref="Interval"/> open the circuit for <see cref="TripDuration"/> (or the backend's
/// Retry-After when <see cref="AcceptRetryAfter"/>).
/// </summary>
public sealed record GatewayCircuitBreaker
{
    public string Name { get; init; } = "";

    public required int Count { get; init; }

    public required TimeSpan Interval { get; init; }

    public required TimeSpan TripDuration { get; init; }

    public bool AcceptRetryAfter { get; init; }

    /// <summary>Inclusive ranges of failing status codes.</summary>
    public IReadOnlyList<GatewayStatusRange> StatusCodeRanges { get; init; } = [];

    public bool Equals(GatewayCircuitBreaker? other) =>
        other is not null && Name == other.Name && Count == other.Count && Interval == other.Interval && TripDuration == other.TripDuration
        && AcceptRetryAfter == other.AcceptRetryAfter && StatusCodeRanges.SequenceEqual(other.StatusCodeRanges);

    public override int GetHashCode() => HashCode.Combine(Name, Count, Interval, TripDuration, AcceptRetryAfter, StatusCodeRanges.Count);
}

/// <summary>An inclusive range of status codes.</summary>
public sealed record GatewayStatusRange(int Min, int Max);

/// <summary>A member of a pool: the backend's id, its priority (lower first) and its weight within that priority.</summary>
public sealed record GatewayPoolMember(string Id, int Priority, int Weight);

/// <summary>
/// A client certificate of the instance (<c>certificates/{id}</c>): its id, SHA-1 thumbprint (upper-case hex) and the
/// PFX with its private key (and the chain it was uploaded with), base64 without a password. Snapshots carry it to
/// the gateways as they carry secret named values and host name certificates.
/// </summary>
public sealed record GatewayClientCertificate(string Id, string Thumbprint, string Pfx);
