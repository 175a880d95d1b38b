using StackExchange.Redis;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Counters;

/// <summary>One real redis-server on a free loopback port for every Redis store test; each test uses its own key prefix.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>A new multiplexer of its own (as a separate gateway process would have); the caller disposes it.</summary>
    public async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var options = ConfigurationOptions.Parse(Server.Configuration);
        options.AbortOnConnectFail = true;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    /// <summary>A key prefix no other test uses.</summary>
    public static string NewPrefix() => $"test:{Guid.NewGuid():N}:";
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisFixture>
{
    public const string Name = "redis";
}

/// <summary>Multiplexers a Redis test opened, disposed with it.</summary>
internal sealed class Connections(RedisFixture redis) : IAsyncDisposable
{
    private readonly List<ConnectionMultiplexer> _open = [];

    public async Task<ConnectionMultiplexer> OpenAsync()
    {
        var connection = await redis.ConnectAsync();
        lock (_open)
        {
            _open.Add(connection);
        }

        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _open)
        {
            await connection.DisposeAsync();
        }
    }
}
