using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Tollgate.FunctionalTests.Infrastructure;

namespace Tollgate.FunctionalTests.Management;

/// <summary>
/// The developer portal's sign-in of an instance's users as the portal calls it (<c>/internal/developer/*</c>): the
/// password the user was written with signs in (stored only as a PBKDF2 hash), wrong e-mails and passwords get the
/// same answer, five failures lock that e-mail's sign-in for 15 minutes, blocked and pending users are told why, and
/// a password change needs the current one.
/// </summary>
public sealed class DeveloperAccountsTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));
    private TollgateHost _host = null!;
    private static string Svc => TollgateHost.ServicePath("devs");

    public async Task InitializeAsync()
    {
        _host = await TollgateHost.StartAsync(new Dictionary<string, string?> { ["Tollgate:Roles"] = "management" }, time: _time);
        await _host.CreateServiceAsync("devs");
        await _host.PutAsync($"{Svc}/users/ada", new { properties = new { email = "ada@contoso.example", firstName = "Ada", lastName = "Lovelace", password = Password } });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task ThePassword_SignsIn_AndWrongOnesAreRefusedAlike_WithoutTheHashEverShown()
    {
        using var ok = await SignInAsync("ADA@contoso.example", Password);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var user = JsonNode.Parse(await ok.Content.ReadAsStringAsync())!;
        Assert.Equal("ada", (string?)user["userId"]);
        Assert.Equal("Lovelace", (string?)user["lastName"]);

        foreach (var (email, password) in new[] { ("nobody@contoso.example", Password), ("ada@contoso.example", Password + "x"), ("", "") })
        {
            using var refused = await SignInAsync(email, password);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("The e-mail or password is not correct.", (string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["message"]);
        }

        var stored = await _host.OkAsync(HttpMethod.Get, $"{Svc}/users/ada");
        Assert.DoesNotContain("pbkdf2", stored.ToJsonString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Password, stored.ToJsonString(), StringComparison.Ordinal);

        using var badInstance = await PostAsync("/internal/developer/signin", new { instance = "/not/an/instance", email = "ada@contoso.example", password = Password });
        Assert.Equal(HttpStatusCode.BadRequest, badInstance.StatusCode);
        Assert.Equal("instance", (string?)JsonNode.Parse(await badInstance.Content.ReadAsStringAsync())!["error"]!["details"]![0]!["target"]);
    }

    [Fact]
    public async Task FiveFailures_LockThatEmailsSignIn_ForFifteenMinutes()
    {
        for (var i = 1; i < 5; i++)
        {
            using var wrong = await SignInAsync("ada@contoso.example", "wrong");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var locked = await SignInAsync("ada@contoso.example", "wrong");
        Assert.Equal((HttpStatusCode)429, locked.StatusCode);
        Assert.Equal("900", locked.Headers.RetryAfter!.ToString());
        using (var stillLocked = await SignInAsync("ada@contoso.example", Password))
        {
            Assert.Equal((HttpStatusCode)429, stillLocked.StatusCode);
        }

        _time.Advance(TimeSpan.FromMinutes(15));
        using var after = await SignInAsync("ada@contoso.example", Password);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task BlockedAndPendingUsers_AreToldWhy_AndOnlyWithTheRightPassword()
    {
        await _host.OkAsync(HttpMethod.Patch, $"{Svc}/users/ada", new { properties = new { state = "blocked" } });
        using (var blocked = await SignInAsync("ada@contoso.example", Password))
        {
            Assert.Equal(HttpStatusCode.Forbidden, blocked.StatusCode);
            Assert.Equal("UserBlocked", (string?)JsonNode.Parse(await blocked.Content.ReadAsStringAsync())!["error"]!["code"]);
        }

        using (var wrong = await SignInAsync("ada@contoso.example", "wrong"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        await _host.OkAsync(HttpMethod.Patch, $"{Svc}/users/ada", new { properties = new { state = "pending" } });
        using var pending = await SignInAsync("ada@contoso.example", Password);
        Assert.Equal(HttpStatusCode.Forbidden, pending.StatusCode);
        Assert.Equal("UserPending", (string?)JsonNode.Parse(await pending.Content.ReadAsStringAsync())!["error"]!["code"]);
    }

    [Fact]
    public async Task PasswordChange_NeedsTheCurrentPassword_AndNamesTheWrongField()
    {
        using (var wrong = await PostAsync("/internal/developer/password", new { instance = Svc, userId = "ada", currentPassword = "wrong", newPassword = "a new long password" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
            Assert.Equal("currentPassword", (string?)JsonNode.Parse(await wrong.Content.ReadAsStringAsync())!["error"]!["details"]![0]!["target"]);
        }

        using (var shortOne = await PostAsync("/internal/developer/password", new { instance = Svc, userId = "ada", currentPassword = Password, newPassword = "short" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, shortOne.StatusCode);
            Assert.Equal("newPassword", (string?)JsonNode.Parse(await shortOne.Content.ReadAsStringAsync())!["error"]!["details"]![0]!["target"]);
        }

        using (var changed = await PostAsync("/internal/developer/password", new { instance = Svc, userId = "ada", currentPassword = Password, newPassword = "a new long password" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        }

        using var old = await SignInAsync("ada@contoso.example", Password);
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        using var current = await SignInAsync("ada@contoso.example", "a new long password");
        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
    }

    private Task<HttpResponseMessage> SignInAsync(string email, string password) =>
        PostAsync("/internal/developer/signin", new { instance = Svc, email, password });

    private Task<HttpResponseMessage> PostAsync(string path, object body) =>
        _host.Management.PostAsync(path, new StringContent(System.Text.Json.JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));
}
