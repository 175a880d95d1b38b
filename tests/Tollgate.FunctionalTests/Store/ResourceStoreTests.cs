using System.Text.Json.Nodes;
using Npgsql;
using Tollgate.Management.Persistence;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Store;

/// <summary>One suite, run against every store implementation (SQLite file, real PostgreSQL server).</summary>
public abstract class ResourceStoreTests : IAsyncLifetime
{
    protected IResourceStore Store { get; private set; } = null!;

    protected abstract Task<IResourceStore> CreateStoreAsync();

    public async Task InitializeAsync()
    {
        Store = await CreateStoreAsync();
        await Store.InitializeAsync();
    }

    public virtual async Task DisposeAsync() => await Store.DisposeAsync();

    private static ResourceKey Key(string name, string kind = "api", string parent = "", string service = "svc") => new(service, kind, parent, name);

    private static JsonObject Props(string displayName) => new() { ["displayName"] = displayName };

    [Fact]
    public async Task Initialize_AppliesMigrationsOnce()
    {
        await Store.InitializeAsync();

        Assert.Equal([1, 2, 3, 4, 5], await ((SqlResourceStore)Store).GetAppliedMigrationsAsync());
    }

    [Fact]
    public async Task Put_ThenGet_RoundTrips_NamesCaseInsensitive()
    {
        await Store.ApplyAsync("svc", [new ResourceChange.Put(Key("Echo-API"), Props("Echo"), "c2VjcmV0")]);

        var stored = await Store.GetAsync(Key("echo-api"));

        Assert.NotNull(stored);
        Assert.Equal("Echo-API", stored.Key.Name);
        Assert.Equal("Echo", (string?)stored.Properties["displayName"]);
        Assert.Equal("c2VjcmV0", stored.Secrets);
        Assert.False(string.IsNullOrEmpty(stored.ETag));
    }

    [Fact]
    public async Task List_ByParentAndAcrossParents_InInsertionOrder()
    {
        await Store.ApplyAsync("svc",
        [
            new ResourceChange.Put(Key("b", "operation", "api1"), Props("b"), null),
            new ResourceChange.Put(Key("a", "operation", "api1"), Props("a"), null),
            new ResourceChange.Put(Key("c", "operation", "api2"), Props("c"), null),
        ]);

        var api1 = await Store.ListAsync("svc", "operation", "API1");
        var all = await Store.ListAsync("svc", "operation", null);
        var whole = await Store.ListServiceAsync("svc");

        Assert.Equal(["b", "a"], api1.Select(r => r.Key.Name));
        Assert.Equal(["b", "a", "c"], all.Select(r => r.Key.Name));
        Assert.Equal(3, whole.Count);
    }

    [Fact]
    public async Task ChangeSet_IsAtomic_WhenAPreconditionFails()
    {
        await Store.ApplyAsync("svc", [new ResourceChange.Put(Key("x"), Props("x1"), null)]);
        var revision = await Store.GetRevisionAsync("svc");

        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.ApplyAsync("svc",
        [
            new ResourceChange.Put(Key("y"), Props("y"), null),
            new ResourceChange.Put(Key("x"), Props("x2"), null, IfMatch: "not-the-etag"),
        ]));

        Assert.Null(await Store.GetAsync(Key("y")));
        Assert.Equal("x1", (string?)(await Store.GetAsync(Key("x")))!.Properties["displayName"]);
        Assert.Equal(revision, await Store.GetRevisionAsync("svc"));
    }

    [Fact]
    public async Task IfMatch_StarNeedsExistence_ETagMustMatch()
    {
        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.ApplyAsync("svc", [new ResourceChange.Put(Key("m"), Props("m"), null, IfMatch: "*")]));
        await Store.ApplyAsync("svc", [new ResourceChange.Put(Key("m"), Props("m"), null)]);
        var etag = (await Store.GetAsync(Key("m")))!.ETag;

        await Store.ApplyAsync("svc", [new ResourceChange.Put(Key("m"), Props("m2"), null, IfMatch: $"\"{etag}\"")]);
        var changed = await Store.GetAsync(Key("m"));
        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.ApplyAsync("svc", [new ResourceChange.Delete(Key("m"), IfMatch: etag)]));
        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.ApplyAsync("svc", [new ResourceChange.Put(Key("m"), Props("m3"), null, IfNoneMatch: true)]));

        Assert.NotEqual(etag, changed!.ETag);
        Assert.Equal("m2", (string?)changed.Properties["displayName"]);
    }

    [Fact]
    public async Task DeleteAll_ByParent_AndByNameUnderAnyParent()
    {
        await Store.ApplyAsync("svc",
        [
            new ResourceChange.Put(Key("o1", "operation", "api1"), Props("o1"), null),
            new ResourceChange.Put(Key("o2", "operation", "api1"), Props("o2"), null),
            new ResourceChange.Put(Key("o3", "operation", "api2"), Props("o3"), null),
            new ResourceChange.Put(Key("api1", "productApi", "starter"), [], null),
            new ResourceChange.Put(Key("api1", "productApi", "unlimited"), [], null),
            new ResourceChange.Put(Key("api2", "productApi", "starter"), [], null),
        ]);

        await Store.ApplyAsync("svc",
        [
            new ResourceChange.DeleteAll("svc", "operation", "api1"),
            new ResourceChange.DeleteAll("svc", "productApi", null, "api1"),
        ]);

        Assert.Equal(["o3"], (await Store.ListAsync("svc", "operation", null)).Select(r => r.Key.Name));
        Assert.Equal(["api2"], (await Store.ListAsync("svc", "productApi", null)).Select(r => r.Key.Name));
    }

    [Fact]
    public async Task Revisions_CountChangeSets_PerService()
    {
        Assert.Equal(0, await Store.GetRevisionAsync("svc"));
        await Store.ApplyAsync("svc", [new ResourceChange.Put(Key("a"), Props("a"), null)]);
        await Store.ApplyAsync("svc", [new ResourceChange.Put(Key("b"), Props("b"), null)]);
        await Store.ApplyAsync("other", [new ResourceChange.Put(Key("a", service: "other"), Props("a"), null)]);

        Assert.Equal(2, await Store.GetRevisionAsync("svc"));
        Assert.Equal(1, await Store.GetRevisionAsync("other"));
        Assert.Empty(await Store.ListServiceAsync("third"));
    }

    [Fact]
    public async Task ConcurrentChangeSets_AllLand_WithDistinctRevisions()
    {
        var revisions = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            Task.Run(() => Store.ApplyAsync("svc", [new ResourceChange.Put(Key($"c{i}"), Props($"c{i}"), null)]))));

        Assert.Equal(40, revisions.Distinct().Count());
        Assert.Equal(40, (await Store.ListAsync("svc", "api", "")).Count);
        Assert.Equal(40, await Store.GetRevisionAsync("svc"));
    }

    [Fact]
    public async Task Settings_FirstValueWins()
    {
        Assert.Null(await Store.GetSettingAsync("k"));

        var first = await Store.GetOrAddSettingAsync("k", "one");
        var second = await Store.GetOrAddSettingAsync("k", "two");

        Assert.Equal("one", first);
        Assert.Equal("one", second);
        Assert.Equal("one", await Store.GetSettingAsync("k"));
    }

    [Fact]
    public async Task SetSetting_Replaces()
    {
        await Store.SetSettingAsync("s", "one");
        await Store.SetSettingAsync("s", "two");

        Assert.Equal("two", await Store.GetSettingAsync("s"));
    }

    [Fact]
    public async Task ReadChanges_GivesWhatWasWrittenAndDeletedSinceARevision_InCreationOrder()
    {
        await Store.ApplyAsync("svc",
        [
            new ResourceChange.Put(Key("Keep"), Props("keep"), null),
            new ResourceChange.Put(Key("Gone"), Props("gone"), null),
            new ResourceChange.Put(Key("op1", "operation", "Gone"), Props("op1"), null),
            new ResourceChange.Put(Key("op2", "operation", "Gone"), Props("op2"), null),
        ]);
        var first = await Store.ReadChangesAsync("svc", 0);

        await Store.ApplyAsync("svc", [new ResourceChange.Put(Key("Later"), Props("later"), null), new ResourceChange.Put(Key("keep"), Props("kept"), null)]);
        await Store.ApplyAsync("svc", [new ResourceChange.Delete(Key("gone")), new ResourceChange.DeleteAll("svc", "operation", "gone")]);
        var since = await Store.ReadChangesAsync("svc", first.Revision);
        var none = await Store.ReadChangesAsync("svc", since.Revision);

        Assert.True(first.Full);
        Assert.Equal(["Keep", "Gone", "op1", "op2"], first.Written.Select(r => r.Key.Name));
        Assert.False(since.Full);
        Assert.Equal(first.Revision + 2, since.Revision);
        // "Keep" was created first, so it comes first though it was written last.
        Assert.Equal(["Keep", "Later"], since.Written.Select(r => r.Key.Name));
        Assert.Equal("kept", (string?)since.Written[0].Properties["displayName"]);
        Assert.Equal(["api/gone", "operation/op1", "operation/op2"], since.Deleted.Select(k => k.Kind + "/" + k.Name).Order());
        Assert.Empty(none.Written);
        Assert.Empty(none.Deleted);
    }

    [Fact]
    public async Task FindByProperty_MatchesIgnoringCaseAndSlashes_WithoutOtherKindsOrServices()
    {
        await Store.ApplyAsync("svc",
        [
            new ResourceChange.Put(Key("echo"), new JsonObject { ["path"] = "Echo/V1" }, null),
            new ResourceChange.Put(Key("other"), new JsonObject { ["path"] = "echo" }, null),
            new ResourceChange.Put(Key("op", "operation", "echo"), new JsonObject { ["path"] = "echo/v1" }, null),
        ]);
        await Store.ApplyAsync("svc2", [new ResourceChange.Put(Key("echo", service: "svc2"), new JsonObject { ["path"] = "echo/v1" }, null)]);

        var found = await Store.FindByPropertyAsync("svc", "api", "path", "/echo/v1/");

        Assert.Equal("echo", Assert.Single(found).Key.Name);
        Assert.Empty(await Store.FindByPropertyAsync("svc", "api", "path", "echo/v2"));
    }

    [Fact]
    public async Task ReadChanges_ADeletedThenRecreatedResource_IsWrittenNotDeleted()
    {
        await Store.ApplyAsync("svc", [new ResourceChange.Put(Key("x"), Props("x1"), null)]);
        var start = await Store.GetRevisionAsync("svc");
        await Store.ApplyAsync("svc", [new ResourceChange.Delete(Key("x"))]);
        await Store.ApplyAsync("svc", [new ResourceChange.Put(Key("x"), Props("x2"), null)]);

        var since = await Store.ReadChangesAsync("svc", start);

        // The deletion is reported too; a reader applies deletions before writes, so the resource stays.
        Assert.Equal("x2", (string?)Assert.Single(since.Written).Properties["displayName"]);
        Assert.Equal("x", Assert.Single(since.Deleted).Name);
    }

    [Fact]
    public async Task Ping_AnswersWhenReachable() => Assert.True(await Store.PingAsync());
}

public sealed class SqliteResourceStoreTests : ResourceStoreTests
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tollgate-store-").FullName;

    protected override Task<IResourceStore> CreateStoreAsync() =>
        Task.FromResult<IResourceStore>(SqliteResourceStore.ForDataDirectory(_directory, TimeProvider.System));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>A real PostgreSQL server (Debian's postgresql package) on a free loopback port, shared by the class.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private int _databases;

    public PostgresServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>A fresh, empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"tollgate_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..30];
        // Unpooled: a test may have restarted the server, which breaks pooled connections.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Server.ConnectionString) { Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(Server.ConnectionString) { Database = name }.ToString();
    }
}

public sealed class PostgresResourceStoreTests(PostgresFixture postgres) : ResourceStoreTests, IClassFixture<PostgresFixture>
{
    protected override async Task<IResourceStore> CreateStoreAsync() =>
        new PostgresResourceStore(await postgres.CreateDatabaseAsync(), TimeProvider.System);

    [Fact]
    public async Task Ping_FailsWhileServerIsDown_AndRecovers()
    {
        await postgres.Server.StopAsync();
        try
        {
            Assert.False(await Store.PingAsync());
        }
        finally
        {
            await postgres.Server.StartAgainAsync();
        }

        Assert.True(await Store.PingAsync());
    }
}
