using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Tollgate.Security;
using Tollgate.Management.Persistence;
using Tollgate.Management.Services;

namespace Tollgate.UnitTests.Management;

public sealed class TenantAccessTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tollgate-tenant-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
    private SqliteResourceStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = SqliteResourceStore.ForDataDirectory(_directory, _time);
        await _store.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Token_IsValidUntilItsExpiry_OnTheInjectedClock()
    {
        var tenant = new TenantAccess(_store, new SecretVault(new SecretProtector(RandomNumberGenerator.GetBytes(32))), _time);
        var token = await tenant.CreateTokenAsync(TimeSpan.FromHours(1));

        Assert.Null(await tenant.ValidateAsync(token));
        _time.Advance(TimeSpan.FromMinutes(59));
        Assert.Null(await tenant.ValidateAsync(token));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("The SharedAccessSignature token has expired.", await tenant.ValidateAsync(token));
    }

    [Fact]
    public async Task Credentials_AreCreatedOnce_AndStoredEncrypted()
    {
        var vault = new SecretVault(new SecretProtector(RandomNumberGenerator.GetBytes(32)));
        var first = await new TenantAccess(_store, vault, _time).GetAsync();
        var second = await new TenantAccess(_store, vault, _time).GetAsync();
        var stored = await _store.GetSettingAsync("tenant-access");

        Assert.Equal(first, second);
        Assert.Equal("integration", first.Id);
        Assert.Equal(64, Convert.FromBase64String(first.PrimaryKey).Length);
        Assert.NotEqual(first.PrimaryKey, first.SecondaryKey);
        Assert.DoesNotContain(first.PrimaryKey, stored);
    }
}
