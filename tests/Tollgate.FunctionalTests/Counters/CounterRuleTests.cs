using Microsoft.Extensions.DependencyInjection;
using Tollgate.Gateway.Policies.Caching;
using Tollgate.Gateway.Policies.Counters;

namespace Tollgate.FunctionalTests.Counters;

/// <summary>The rule and result types the runtime builds and reads, and the stores' registration.</summary>
public sealed class CounterRuleTests
{
    [Theory]
    [InlineData(0, "00:00:00")]
    [InlineData(59, "00:00:59")]
    [InlineData(3600 + 61, "01:01:01")]
    [InlineData(86399, "23:59:59")]
    [InlineData(86400, "1.00:00:00")]
    [InlineData((5 * 86400) + (3 * 3600) + (23 * 60) + 11, "5.03:23:11")]
    [InlineData(12 * 86400, "12.00:00:00")]
    public void FormatDuration_IsDotNetsDaysHoursMinutesSeconds(int seconds, string expected) =>
        Assert.Equal(expected, QuotaDecision.FormatDuration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void RetryAfter_RoundsTheRenewalUp()
    {
        var decision = new QuotaDecision(false, QuotaLimit.Calls, 1, 0, TimeSpan.FromMilliseconds(86_399_001), default);

        Assert.Equal(86_400, decision.RetryAfterSeconds);
        Assert.Equal("1.00:00:00", decision.RenewsInText);
    }

    [Fact]
    public void Rules_RefuseWhatAPIMRefuses()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RateLimitRule(1, 301));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RateLimitRule(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RateLimitRule(-1, 60));
        Assert.Throws<ArgumentException>(() => new QuotaRule(null, null, 60, DateTimeOffset.MinValue));
        Assert.Throws<ArgumentOutOfRangeException>(() => new QuotaRule(-1, null, 60, DateTimeOffset.MinValue));
        Assert.Throws<ArgumentOutOfRangeException>(() => new QuotaRule(1, null, -1, DateTimeOffset.MinValue));
        Assert.Equal(300, new RateLimitRule(1, 300).RenewalPeriodSeconds);
        Assert.Equal(40_960_000, new QuotaRule(null, 40_000, 0, DateTimeOffset.MinValue).BandwidthBytes);
    }

    [Fact]
    public void Registration_InProcessByDefault_RedisWhenConfigured_RefusesUnknownProviders()
    {
        var directory = Directory.CreateTempSubdirectory("tollgate-counters-").FullName;
        try
        {
            using (var memory = new ServiceCollection().AddTollgateCounterStores(new CounterStoreOptions(), directory).BuildServiceProvider())
            {
                Assert.IsType<InMemoryRateLimitStore>(memory.GetRequiredService<IRateLimitStore>());
                Assert.IsType<InMemoryQuotaStore>(memory.GetRequiredService<IQuotaStore>());
                Assert.IsType<MemoryCacheStore>(memory.GetRequiredService<ICacheStore>());
            }

            var redis = new ServiceCollection().AddTollgateCounterStores(
                new CounterStoreOptions { Provider = "Redis", RedisConfiguration = "127.0.0.1:1" }, directory);
            Assert.Contains(redis, d => d.ServiceType == typeof(StackExchange.Redis.IConnectionMultiplexer));
            Assert.Throws<ArgumentException>(() => new ServiceCollection().AddTollgateCounterStores(new CounterStoreOptions { Provider = "redis" }, directory));
            Assert.Throws<ArgumentException>(() => new ServiceCollection().AddTollgateCounterStores(new CounterStoreOptions { Provider = "sql" }, directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
