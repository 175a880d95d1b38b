using Tollgate.FunctionalTests.Store;
using Tollgate.Security;
using Tollgate.Studio.Batch;
using Tollgate.Studio.Data;
using Tollgate.Studio.Storage;

namespace Tollgate.FunctionalTests.Studio;

/// <summary>
/// One suite for Studio's store, run against each engine (a SQLite file, a real PostgreSQL server): the schema, names
/// without case, and the BES job claim — leases, take-over, fencing, cancel. Times are passed in, so no test waits.
/// </summary>
public abstract class StudioStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 5, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    protected StudioStore Store { get; private set; } = null!;

    protected static SecretProtector Protector { get; } = SecretProtector.Load(Convert.ToBase64String(new byte[32]), Path.GetTempPath());

    protected abstract Task<StudioStore> CreateStoreAsync();

    public async Task InitializeAsync()
    {
        Store = await CreateStoreAsync();
        await Store.InitializeAsync();
    }

    public virtual async Task DisposeAsync() => await Store.DisposeAsync();

    private async Task<string> StartedJobAsync(DateTimeOffset created, string status = JobStatus.Running)
    {
        var id = StudioIds.New();
        await Store.InsertJobAsync(new JobRecord(id, "endpoint", JobStatus.NotStarted, "{}", null, null, created, null, null));
        if (status == JobStatus.Running)
        {
            Assert.True(await Store.TransitionJobAsync(id, JobStatus.NotStarted, JobStatus.Running, created));
        }

        return id;
    }

    [Fact]
    public async Task Initialize_Twice_KeepsOneWorkspace()
    {
        var first = await Store.GetOrCreateWorkspaceAsync(TimeProvider.System);
        await Store.InitializeAsync();

        Assert.Equal(first, await Store.GetOrCreateWorkspaceAsync(TimeProvider.System));
    }

    [Fact]
    public async Task Datasets_NamesAreUniqueWithoutCase_AndFoundWithoutCase()
    {
        var schema = new DataSchema([new ColumnSchema("a", ColumnType.Int32)]);
        await Store.InsertDatasetAsync(new DatasetRecord(StudioIds.New(), "Ratings.csv", "csv", schema, 1, "datasets/x.csv", 4, T0));

        var duplicate = await Assert.ThrowsAnyAsync<Exception>(() =>
            Store.InsertDatasetAsync(new DatasetRecord(StudioIds.New(), "RATINGS.CSV", "csv", schema, 1, "datasets/y.csv", 4, T0)));
        Assert.True(Store.IsUniqueViolation(duplicate), duplicate.ToString());
        Assert.Equal("Ratings.csv", (await Store.FindDatasetAsync("ratings.CSV"))!.Name);
    }

    [Fact]
    public async Task Claim_TakesTheOldestStartedJob_NeverANotStartedOne()
    {
        await StartedJobAsync(T0, JobStatus.NotStarted);
        var older = await StartedJobAsync(T0);
        var newer = await StartedJobAsync(T0.AddSeconds(1));

        var first = await Store.ClaimJobAsync("node-a", T0.AddSeconds(2), Lease);
        var second = await Store.ClaimJobAsync("node-b", T0.AddSeconds(2), Lease);

        Assert.Equal((older, "node-a", 1), (first!.Id, first.Owner, first.Attempt));
        Assert.Equal((newer, "node-b", 1), (second!.Id, second.Owner, second.Attempt));
        Assert.Equal(T0.AddSeconds(32), first.LeaseUntil);
        Assert.Null(await Store.ClaimJobAsync("node-c", T0.AddSeconds(2), Lease));
    }

    [Fact]
    public async Task Claim_AfterTheLeaseEnded_TakesTheJobOver_AndFencesTheFormerOwner()
    {
        var id = await StartedJobAsync(T0);
        var a = await Store.ClaimJobAsync("node-a", T0, Lease);
        var leaseA = new JobLease(id, "node-a", a!.Attempt);

        // The lease holds until it ends; the heartbeat extends it.
        Assert.Null(await Store.ClaimJobAsync("node-b", T0 + Lease, Lease));
        Assert.True(await Store.RenewJobLeaseAsync(leaseA, T0 + Lease + Lease));
        Assert.Null(await Store.ClaimJobAsync("node-b", T0 + Lease + TimeSpan.FromSeconds(1), Lease));

        // Node A stops renewing: once its lease has ended node B takes the job, as attempt 2.
        var b = await Store.ClaimJobAsync("node-b", T0 + Lease + Lease + TimeSpan.FromSeconds(1), Lease);
        Assert.Equal(("node-b", 2), (b!.Owner, b.Attempt));

        // Node A's writes are refused from now on: no renewal, no end state, no release.
        Assert.False(await Store.RenewJobLeaseAsync(leaseA, T0.AddHours(1)));
        Assert.False(await Store.TransitionJobAsync(id, JobStatus.Running, JobStatus.Finished, T0.AddMinutes(2), lease: leaseA));
        Assert.False(await Store.ReleaseJobAsync(leaseA));
        Assert.True(await Store.TransitionJobAsync(id, JobStatus.Running, JobStatus.Finished, T0.AddMinutes(2), lease: new JobLease(id, "node-b", 2)));
        Assert.Equal(JobStatus.Finished, (await Store.GetJobAsync("endpoint", id))!.Status);
    }

    [Fact]
    public async Task Cancel_MakesTheOwnersNextHeartbeatFail()
    {
        var id = await StartedJobAsync(T0);
        var claimed = await Store.ClaimJobAsync("node-a", T0, Lease);
        var lease = new JobLease(id, "node-a", claimed!.Attempt);

        Assert.True(await Store.TransitionJobAsync(id, JobStatus.Running, JobStatus.Cancelled, T0.AddSeconds(1)));

        Assert.False(await Store.RenewJobLeaseAsync(lease, T0 + Lease));
        Assert.Null(await Store.ClaimJobAsync("node-b", T0.AddHours(1), Lease));
    }

    [Fact]
    public async Task Release_LetsAnotherNodeClaimAtOnce()
    {
        var id = await StartedJobAsync(T0);
        var claimed = await Store.ClaimJobAsync("node-a", T0, Lease);

        Assert.True(await Store.ReleaseJobAsync(new JobLease(id, "node-a", claimed!.Attempt)));

        var again = await Store.ClaimJobAsync("node-b", T0.AddSeconds(1), Lease);
        Assert.Equal((id, "node-b", 2), (again!.Id, again.Owner, again.Attempt));
    }

    [Fact]
    public async Task ManyClaimsAtOnce_NeverHandOneJobToTwoClaimers()
    {
        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(await StartedJobAsync(T0.AddMilliseconds(i)));
        }

        var claims = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => Store.ClaimJobAsync("node-" + i, T0.AddSeconds(1), Lease))));

        var claimed = claims.Where(c => c is not null).Select(c => c!.Id).ToList();
        Assert.Equal(ids.Order(), claimed.Order());
    }

    [Fact]
    public async Task Revision_GoesUpWithEveryServiceChange()
    {
        var before = await Store.GetRevisionAsync();
        var service = new ServiceRecord(StudioIds.New(), StudioIds.New(), "svc", "", "experiment", "{}", "k1", "k2", 20, T0);
        await Store.InsertServiceAsync(service);

        Assert.True(await Store.UpdateServiceAsync(service with { PrimaryKey = "k3" }));
        var updated = await Store.GetRevisionAsync();
        Assert.True(await Store.DeleteServiceAsync(service));

        Assert.True(updated > before);
        Assert.True(await Store.GetRevisionAsync() > updated);
    }
}

public sealed class SqliteStudioStoreTests : StudioStoreTests
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tollgate-studio-store-").FullName;

    protected override Task<StudioStore> CreateStoreAsync() => Task.FromResult(new StudioStore(Path.Combine(_directory, "studio.db"), Protector));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}

public sealed class PostgresStudioStoreTests(PostgresFixture postgres) : StudioStoreTests, IClassFixture<PostgresFixture>
{
    protected override async Task<StudioStore> CreateStoreAsync() =>
        new StudioStore(new PostgresStudioDialect(await postgres.CreateDatabaseAsync()), Protector);
}
