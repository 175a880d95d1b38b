using System.Collections.Concurrent;
using Tollgate.Core.Gateway;

namespace Tollgate.Gateway.Policies.Handlers;

/// <summary>
/// Where the backends' circuit breakers (<c>circuitBreaker</c>) keep their state: in this gateway process
/// (<see cref="BackendCircuitBreakers"/>), or in Redis shared by every gateway when the counters are there
/// (<see cref="RedisBackendCircuitBreakers"/>), so a trip seen by one gateway opens the circuit on all.
/// </summary>
internal interface IBackendCircuitBreakers
{
    /// <summary>Whether the backend's circuit is open at <paramref name="now"/> (a timestamp of the gateway's TimeProvider).</summary>
    ValueTask<bool> IsOpenAsync(string service, GatewayBackend backend, DateTimeOffset now);

    /// <summary>Records the outcome of a call to the backend; true when this failure opened the circuit.</summary>
    ValueTask<bool> RecordAsync(string service, GatewayBackend backend, int? status, TimeSpan? retryAfter, DateTimeOffset now);
}

/// <summary>
/// The circuit breakers of the backends (<c>circuitBreaker</c>), per gateway process: a backend's failures are counted
/// over its rule's interval; reaching the count opens the circuit for the trip duration (or the backend's Retry-After),
/// during which calls routed to it are answered 503 without being sent. A changed rule starts closed.
/// </summary>
internal sealed class BackendCircuitBreakers : IBackendCircuitBreakers
{
    public ValueTask<bool> IsOpenAsync(string service, GatewayBackend backend, DateTimeOffset now) => ValueTask.FromResult(IsOpen(service, backend, now));

    public ValueTask<bool> RecordAsync(string service, GatewayBackend backend, int? status, TimeSpan? retryAfter, DateTimeOffset now) =>
        ValueTask.FromResult(Record(service, backend, status, retryAfter, now));

    private readonly ConcurrentDictionary<string, Breaker> _breakers = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether the backend's circuit is open at <paramref name="now"/> (a timestamp of the gateway's TimeProvider).</summary>
    public bool IsOpen(string service, GatewayBackend backend, DateTimeOffset now) =>
        backend.CircuitBreaker is { } rule && _breakers.TryGetValue(Key(service, backend), out var breaker) && breaker.IsOpen(rule, now);

    /// <summary>Records the outcome of a call to the backend; returns true when this failure opened the circuit.</summary>
    public bool Record(string service, GatewayBackend backend, int? status, TimeSpan? retryAfter, DateTimeOffset now)
    {
        if (backend.CircuitBreaker is not { } rule || !Fails(rule, status))
        {
            return false;
        }

        var breaker = _breakers.GetOrAdd(Key(service, backend), _ => new Breaker());
        return breaker.Fail(rule, Trip(rule, retryAfter), now);
    }

    /// <summary>A call that got no response counts as a failure; a response, when its status is in one of the rule's ranges.</summary>
    internal static bool Fails(GatewayCircuitBreaker rule, int? status)
    {
        if (status is not { } code)
        {
            return true;
        }

        foreach (var range in rule.StatusCodeRanges)
        {
            if (code >= range.Min && code <= range.Max)
            {
                return true;
            }
        }

        return false;
    }

    internal static string Key(string service, GatewayBackend backend) => service + "|" + backend.Id;

    /// <summary>The trip duration of a failure: the backend's Retry-After when the rule accepts it, else the rule's.</summary>
    internal static TimeSpan Trip(GatewayCircuitBreaker rule, TimeSpan? retryAfter) =>
        rule.AcceptRetryAfter && retryAfter is { } r && r > TimeSpan.Zero ? r : rule.TripDuration;

    private sealed class Breaker
    {
        private readonly Queue<DateTimeOffset> _failures = new();
        private GatewayCircuitBreaker? _rule;
        private DateTimeOffset _openUntil;

        public bool IsOpen(GatewayCircuitBreaker rule, DateTimeOffset now)
        {
            lock (_failures)
            {
                return Equals(_rule, rule) && now < _openUntil;
            }
        }

        public bool Fail(GatewayCircuitBreaker rule, TimeSpan trip, DateTimeOffset now)
        {
            lock (_failures)
            {
                if (!Equals(_rule, rule))
                {
                    _rule = rule;
                    _failures.Clear();
                    _openUntil = default;
                }

                if (now < _openUntil)
                {
                    return false;
                }

                while (_failures.Count > 0 && now - _failures.Peek() >= rule.Interval)
                {
                    _failures.Dequeue();
                }

                _failures.Enqueue(now);
                if (_failures.Count < rule.Count)
                {
                    return false;
                }

                _failures.Clear();
                _openUntil = now + trip;
                return true;
            }
        }
    }
}
