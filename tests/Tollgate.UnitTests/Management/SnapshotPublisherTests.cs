using Microsoft.Extensions.Logging.Abstractions;
using Tollgate.Core.Gateway;
using Tollgate.Management.Persistence;
using Tollgate.Management.Services;
using Tollgate.Security;

namespace Tollgate.UnitTests.Management;

/// <summary>
/// Publication is coalesced without delaying anyone: a write in a quiet period publishes at once; writes that arrive
/// while a build runs share the one build that follows it, and each caller returns once a snapshot with its write is
/// published.
/// </summary>
public sealed class SnapshotPublisherTests
{
    private const string Service = "svc";

    [Fact]
    public async Task WriteInAQuietPeriod_IsPublishedAtOnce_EachTime()
    {
        var (store, feed, publisher) = Create();

        store.Revision = 1;
        await publisher.PublishAsync(Service, CancellationToken.None);
        Assert.Equal(1, feed.Get(Service)!.Revision);

        store.Revision = 2;
        await publisher.PublishAsync(Service, CancellationToken.None);
        Assert.Equal(2, feed.Get(Service)!.Revision);
        Assert.Equal(2, store.Builds);
    }

    [Fact]
    public async Task WritesDuringABuild_ShareOneBuild_ThatStartsWhenItEnds()
    {
        var (store, feed, publisher) = Create();
        var published = new List<long>();
        feed.Published += s => published.Add(s.Revision);

        store.Revision = 1;
        var hold = store.HoldNextBuild();
        var first = publisher.PublishAsync(Service, CancellationToken.None);
        await store.BuildStarted;

        var waiting = new List<Task>();
        for (var revision = 2; revision <= 5; revision++)
        {
            store.Revision = revision;
            waiting.Add(publisher.PublishAsync(Service, CancellationToken.None));
        }

        Assert.All(waiting, w => Assert.False(w.IsCompleted));
        hold.SetResult();
        await first;
        await Task.WhenAll(waiting);

        Assert.Equal([1L, 5L], published);
        Assert.Equal(2, store.Builds);
    }

    [Fact]
    public async Task FailedBuild_FailsItsCaller_AndTheBuildAfterItStillPublishes()
    {
        var (store, feed, publisher) = Create();
        store.Revision = 1;
        var hold = store.HoldNextBuild(fail: true);
        var first = publisher.PublishAsync(Service, CancellationToken.None);
        await store.BuildStarted;
        store.Revision = 2;
        var second = publisher.PublishAsync(Service, CancellationToken.None);

        hold.SetResult();

        await Assert.ThrowsAsync<InvalidOperationException>(() => first);
        await second;
        Assert.Equal(2, feed.Get(Service)!.Revision);
    }

    private static (FakeStore Store, SnapshotFeed Feed, SnapshotPublisher Publisher) Create()
    {
        var store = new FakeStore();
        var feed = new SnapshotFeed();
        var vault = new SecretVault(new SecretProtector(new byte[32]));
        return (store, feed, new SnapshotPublisher(store, vault, feed, NullLogger<SnapshotPublisher>.Instance));
    }

    /// <summary>A store of one empty instance whose revision the test sets, and whose next build can be held.</summary>
    private sealed class FakeStore : IResourceStore
    {
        private TaskCompletionSource? _hold;
        private bool _fail;
        private TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Revision { get; set; }

        public int Builds { get; private set; }

        public Task BuildStarted => _started.Task;

        public TaskCompletionSource HoldNextBuild(bool fail = false)
        {
            _hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _fail = fail;
            _started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _hold;
        }

        public Task<long> GetRevisionAsync(string service, CancellationToken cancellationToken = default) => Task.FromResult(Revision);

        public async Task<IReadOnlyList<StoredResource>> ListServiceAsync(string service, CancellationToken cancellationToken = default)
        {
            Builds++;
            if (Interlocked.Exchange(ref _hold, null) is { } hold)
            {
                _started.TrySetResult();
                await hold.Task;
                if (_fail)
                {
                    _fail = false;
                    throw new InvalidOperationException("The store is down.");
                }
            }

            return [];
        }

        public Task InitializeAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<StoredResource?> GetAsync(ResourceKey key, CancellationToken cancellationToken = default) => Task.FromResult<StoredResource?>(null);

        public Task<IReadOnlyList<StoredResource>> ListAsync(string service, string kind, string? parent, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<long> ApplyAsync(string service, IReadOnlyList<ResourceChange> changes, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<string?> GetSettingAsync(string name, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<string> GetOrAddSettingAsync(string name, string value, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task SetSettingAsync(string name, string value, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyDictionary<string, long>> GetRevisionsAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IAsyncDisposable> LockWritesAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<bool> PingAsync(CancellationToken cancellationToken = default) => Task.FromResult(true);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
