using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Tollgate.Gateway.Policies.Caching;

namespace Tollgate.Gateway.Policies.Counters;

/// <summary>Registers <see cref="IRateLimitStore"/>, <see cref="IQuotaStore"/> and <see cref="ICacheStore"/> (and, with Redis, the backends' circuit breakers).</summary>
public static class CounterStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the stores <paramref name="options"/> name, as singletons created on first use (a gateway whose
    /// policies never count opens no file and no connection). Each can be replaced by registering it first.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown provider, or <c>redis</c> without a configuration.</exception>
    public static IServiceCollection AddTollgateCounterStores(this IServiceCollection services, CounterStoreOptions options, string dataDirectory)
    {
        services.TryAddSingleton(TimeProvider.System);
        switch (options.Provider.ToLowerInvariant())
        {
            case CounterStoreOptions.MemoryProvider:
                var quotaFile = options.QuotaFilePath ?? Path.Combine(dataDirectory, "quota-counters.json");
                services.TryAddSingleton<IRateLimitStore>(sp => new InMemoryRateLimitStore(sp.GetRequiredService<TimeProvider>()));
                services.TryAddSingleton<IQuotaStore>(sp => new InMemoryQuotaStore(
                    sp.GetRequiredService<TimeProvider>(),
                    new InMemoryQuotaStoreOptions { FilePath = quotaFile, PersistInterval = options.QuotaPersistInterval > TimeSpan.Zero && options.QuotaPersistInterval < CounterStoreOptions.MaxQuotaPersistInterval
                        ? options.QuotaPersistInterval
                        : CounterStoreOptions.MaxQuotaPersistInterval },
                    sp.GetService<ILogger<InMemoryQuotaStore>>()));
                services.TryAddSingleton<ICacheStore>(sp => new MemoryCacheStore(
                    sp.GetRequiredService<TimeProvider>(), new MemoryCacheStoreOptions { SizeLimitBytes = options.CacheSizeLimitBytes }));
                break;

            case CounterStoreOptions.RedisProvider:
                if (string.IsNullOrWhiteSpace(options.RedisConfiguration))
                {
                    throw new ArgumentException("Tollgate:Gateway:Counters:RedisConfiguration is required when Provider is 'redis'.", nameof(options));
                }

                var configuration = ConfigurationOptions.Parse(options.RedisConfiguration);
                // Start (and keep serving) while Redis is down; the stores then throw CounterStoreException.
                configuration.AbortOnConnectFail = false;
                var prefix = options.KeyPrefix;
                var leases = options.RedisLeases;
                services.TryAddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(configuration));
                services.TryAddSingleton<IRateLimitStore>(sp => new RedisRateLimitStore(
                    sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<TimeProvider>(), prefix, leases: leases));
                services.TryAddSingleton<IQuotaStore>(sp => new RedisQuotaStore(
                    sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<TimeProvider>(), prefix, leases: leases));
                services.TryAddSingleton<ICacheStore>(sp => new RedisCacheStore(
                    sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<TimeProvider>(), prefix));
                // The backends' circuit breakers live with the counters: a trip one gateway sees opens the circuit on all.
                services.TryAddSingleton<Handlers.IBackendCircuitBreakers>(sp => new Handlers.RedisBackendCircuitBreakers(
                    sp.GetRequiredService<IConnectionMultiplexer>(), prefix,
                    sp.GetService<ILoggerFactory>()?.CreateLogger("Tollgate.Gateway.Policies") ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance));
                break;

            default:
                throw new ArgumentException(
                    $"Tollgate:Gateway:Counters:Provider '{options.Provider}' is not one of '{CounterStoreOptions.MemoryProvider}', '{CounterStoreOptions.RedisProvider}'.",
                    nameof(options));
        }

        return services;
    }
}
