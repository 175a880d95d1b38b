using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tollgate.Gateway.Policies.Caching;
using Tollgate.Gateway.Policies.Counters;

namespace Tollgate.Gateway.Policies.Runtime;

/// <summary>What policy handlers use at run time: counter and cache stores (opened on first use), the clock, logging, options.</summary>
public sealed class PolicyServices
{
    private readonly Lazy<IRateLimitStore> _rateLimits;
    private readonly Lazy<IQuotaStore> _quotas;
    private readonly Lazy<ICacheStore> _cache;
    private readonly Lazy<ILimitBatchStore> _limitBatches;

    public PolicyServices(IServiceProvider services, TimeProvider time, GatewayOptions options, ILoggerFactory? loggers = null)
    {
        _rateLimits = new(services.GetRequiredService<IRateLimitStore>);
        _quotas = new(services.GetRequiredService<IQuotaStore>);
        _cache = new(services.GetRequiredService<ICacheStore>);
        _limitBatches = new(() => LimitBatchStore.For(RateLimits, Quotas));
        Time = time;
        Options = options;
        Logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger("Tollgate.Gateway.Policies");
        HttpClients = services.GetService<IHttpClientFactory>();
        _breakers = new(() => services.GetService<Handlers.IBackendCircuitBreakers>() ?? new Handlers.BackendCircuitBreakers());
    }

    /// <summary>For tests and benchmarks: explicit stores.</summary>
    public PolicyServices(IRateLimitStore rateLimits, IQuotaStore quotas, ICacheStore cache, TimeProvider time, GatewayOptions options, ILogger? logger = null)
    {
        _rateLimits = new(rateLimits);
        _quotas = new(quotas);
        _cache = new(cache);
        _limitBatches = new(() => LimitBatchStore.For(RateLimits, Quotas));
        Time = time;
        Options = options;
        Logger = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// For management's check before a document is saved: handlers are built exactly as when a snapshot is applied, but
    /// nothing is fetched or opened (no store is reachable; validate-jwt does not load its OpenID metadata).
    /// </summary>
    public static PolicyServices ForChecking(TimeProvider time) => new(time);

    private PolicyServices(TimeProvider time)
    {
        static T Unavailable<T>() => throw new InvalidOperationException("Stores are not available while a policy document is checked.");
        _rateLimits = new(Unavailable<IRateLimitStore>);
        _quotas = new(Unavailable<IQuotaStore>);
        _cache = new(Unavailable<ICacheStore>);
        _limitBatches = new(Unavailable<ILimitBatchStore>);
        Time = time;
        Options = new GatewayOptions();
        Logger = NullLogger.Instance;
        Checking = true;
    }

    /// <summary>True for <see cref="ForChecking"/>: build handlers, start nothing.</summary>
    public bool Checking { get; }

    public IRateLimitStore RateLimits => _rateLimits.Value;

    public IQuotaStore Quotas => _quotas.Value;

    public ICacheStore Cache => _cache.Value;

    /// <summary>Decides adjacent rate-limit and quota policies together (one round trip on Redis).</summary>
    public ILimitBatchStore LimitBatches => _limitBatches.Value;

    public TimeProvider Time { get; }

    public GatewayOptions Options { get; }

    public ILogger Logger { get; }

    public IHttpClientFactory? HttpClients { get; }

    /// <summary>Requests inside limit-concurrency policies, per key (one count per gateway process).</summary>
    public LimitConcurrency.ConcurrencyCounters Concurrency { get; } = new();

    private readonly Lazy<Handlers.IBackendCircuitBreakers> _breakers = new(() => new Handlers.BackendCircuitBreakers());

    /// <summary>The backends' circuit breakers (<c>set-backend-service backend-id</c>): per gateway process, or in Redis with the counters.</summary>
    internal Handlers.IBackendCircuitBreakers Breakers => _breakers.Value;
}
