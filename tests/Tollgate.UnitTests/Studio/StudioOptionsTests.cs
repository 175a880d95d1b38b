using Tollgate.Studio;

namespace Tollgate.UnitTests.Studio;

public sealed class StudioOptionsTests
{
    [Fact]
    public void Problem_Defaults_None_AndFilesStayLocal()
    {
        var options = new StudioOptions();

        Assert.Null(options.Problem());
        Assert.False(options.FilesInBlobStorage);
    }

    [Fact]
    public void FilesInBlobStorage_FollowsThePostgresStore_UnlessFilesSaysOtherwise()
    {
        var postgres = new StudioOptions { Store = { Provider = "Postgres", ConnectionString = "Host=db" }, DefaultStorageConnectionString = "UseDevelopmentStorage=true" };
        var local = new StudioOptions { Store = { Provider = "postgres", ConnectionString = "Host=db", Files = "local" } };
        var blob = new StudioOptions { Store = { Files = "BLOB" }, DefaultStorageConnectionString = "UseDevelopmentStorage=true" };

        Assert.True(postgres.FilesInBlobStorage);
        Assert.False(local.FilesInBlobStorage);
        Assert.True(blob.FilesInBlobStorage);
        Assert.All(new[] { postgres, local, blob }, o => Assert.Null(o.Problem()));
    }

    [Theory]
    [InlineData("mysql", "Host=db", null, "Tollgate:Studio:Store:Provider is 'mysql': it must be 'sqlite' (the default) or 'postgres'.")]
    [InlineData("postgres", "", "local", "Tollgate:Studio:Store:ConnectionString is empty: the 'postgres' store needs a PostgreSQL connection string (Host=...;Database=...;Username=...).")]
    [InlineData("sqlite", null, "disk", "Tollgate:Studio:Store:Files is 'disk': it must be 'local' or 'blob'.")]
    [InlineData("sqlite", null, "blob", "Tollgate:Studio:DefaultStorageConnectionString is empty: datasets and trained models are kept in blob storage")]
    [InlineData("postgres", "Host=db", null, "Tollgate:Studio:DefaultStorageConnectionString is empty: datasets and trained models are kept in blob storage")]
    public void Problem_NamesTheSettingAndTheFix(string provider, string? connectionString, string? files, string expected)
    {
        var options = new StudioOptions { Store = { Provider = provider, ConnectionString = connectionString, Files = files } };

        Assert.StartsWith(expected, options.Problem());
    }

    [Theory]
    [InlineData("00:00:00.500", "00:00:01", "Tollgate:Studio:JobLease is 00:00:00.5000000: it must be between 00:00:01 and 01:00:00.")]
    [InlineData("00:00:30", "00:00:00", "Tollgate:Studio:JobPollInterval is 00:00:00: it must be between 00:00:00.010 and 01:00:00.")]
    public void Problem_RefusesLeasesAndPollsOutOfRange(string lease, string poll, string expected)
    {
        var options = new StudioOptions { JobLease = TimeSpan.Parse(lease, System.Globalization.CultureInfo.InvariantCulture), JobPollInterval = TimeSpan.Parse(poll, System.Globalization.CultureInfo.InvariantCulture) };

        Assert.Equal(expected, options.Problem());
    }
}
