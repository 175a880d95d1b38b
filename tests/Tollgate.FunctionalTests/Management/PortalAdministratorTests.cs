using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Management.Services;

namespace Tollgate.FunctionalTests.Management;

/// <summary>
/// The portal administrator's sign-in as the portal calls it (<c>/internal/administrator/*</c>, signed like every
/// management call): the first password from a CSPRNG signs in, wrong ones are refused alike, five in a row lock the
/// sign-in for 15 minutes (even for the right password), and a changed password replaces the first one.
/// </summary>
public sealed class PortalAdministratorTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));
    private TollgateHost _host = null!;
    private PortalAdministrator _administrator = null!;

    public async Task InitializeAsync()
    {
        _host = await TollgateHost.StartAsync(new Dictionary<string, string?> { ["Tollgate:Roles"] = "management" }, time: _time);
        _administrator = _host.Server.Services!.GetRequiredService<PortalAdministrator>();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task FirstPassword_IsRandom_KeptOwnerOnly_AndSignsIn()
    {
        var password = _administrator.ReadInitialPassword();
        Assert.Matches("^[A-Za-z0-9]{20}$", password);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_administrator.InitialPasswordPath));
        }

        using var ok = await SignInAsync("1", password!);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("1", (string?)JsonNode.Parse(await ok.Content.ReadAsStringAsync())!["userId"]);

        // A wrong user and a wrong password get the same answer.
        foreach (var (user, pass) in new[] { ("2", password!), ("1", password + "x") })
        {
            using var refused = await SignInAsync(user, pass);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("InvalidCredentials", (string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["code"]);
        }

        // Without a SharedAccessSignature nobody may even try.
        using var plain = new HttpClient();
        using var anonymous = await plain.PostAsync(new Uri(new Uri(_host.Server.Settings.Management.Url), "/internal/administrator/signin"),
            new StringContent($$"""{"userName":"1","password":"{{password}}"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task FiveFailuresInARow_LockTheSignIn_ForFifteenMinutes()
    {
        var password = _administrator.ReadInitialPassword()!;
        for (var i = 0; i < PortalAdministrator.MaxFailures - 1; i++)
        {
            using var wrong = await SignInAsync("1", "wrong-" + i);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using (var locked = await SignInAsync("1", "wrong-again"))
        {
            Assert.Equal((HttpStatusCode)429, locked.StatusCode);
            Assert.Equal(TimeSpan.FromMinutes(15), locked.Headers.RetryAfter!.Delta);
            var error = JsonNode.Parse(await locked.Content.ReadAsStringAsync())!["error"]!;
            Assert.Equal("TooManyFailedSignIns", (string?)error["code"]);
            Assert.Equal("Too many failed sign-ins: sign-in is locked until 12:15 UTC.", (string?)error["message"]);
        }

        using (var stillLocked = await SignInAsync("1", password))
        {
            Assert.Equal((HttpStatusCode)429, stillLocked.StatusCode);
        }

        _time.Advance(TimeSpan.FromMinutes(15));
        using var open = await SignInAsync("1", password);
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
    }

    [Fact]
    public async Task ChangingThePassword_ReplacesTheFirstOne_AndNamesTheWrongField()
    {
        var first = _administrator.ReadInitialPassword()!;
        using (var wrongCurrent = await PostAsync("/internal/administrator/password", new { currentPassword = "nope", newPassword = "a-long-new-password" }))
        {
            Assert.Equal(["currentPassword"], ArmAssert.Targets(await ArmAssert.ErrorAsync(wrongCurrent, HttpStatusCode.BadRequest)));
        }

        using (var tooShort = await PostAsync("/internal/administrator/password", new { currentPassword = first, newPassword = "short" }))
        {
            Assert.Equal(["newPassword"], ArmAssert.Targets(await ArmAssert.ErrorAsync(tooShort, HttpStatusCode.BadRequest)));
        }

        using (var changed = await PostAsync("/internal/administrator/password", new { currentPassword = first, newPassword = "a-long-new-password" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        }

        Assert.Null(_administrator.ReadInitialPassword());
        using var old = await SignInAsync("1", first);
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        using var current = await SignInAsync("1", "a-long-new-password");
        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
    }

    private Task<HttpResponseMessage> SignInAsync(string user, string password) =>
        PostAsync("/internal/administrator/signin", new { userName = user, password });

    private Task<HttpResponseMessage> PostAsync(string path, object body) =>
        _host.Management.PostAsync(path, new StringContent(System.Text.Json.JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));
}
