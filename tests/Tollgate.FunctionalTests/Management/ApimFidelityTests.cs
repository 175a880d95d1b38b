using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Management;

/// <summary>
/// APIM management endpoints of issue 13 ("APIM fidelity"), over real HTTP against a real server: named values'
/// refreshSecret, policy fragments' references, a user's subscription, user tokens, SSO URLs, and API import and clone.
/// </summary>
public sealed class ApimFidelityTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private TollgateHost _host = null!;
    private static string Svc => TollgateHost.ServicePath("fidelity");

    public async Task InitializeAsync()
    {
        _host = await TollgateHost.StartAsync(new Dictionary<string, string?> { ["Tollgate:Roles"] = "management" }, time: _time);
        await _host.CreateServiceAsync("fidelity");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static async Task<JsonNode> ErrorAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["error"]!;
    }

    [Fact]
    public async Task RefreshSecret_SaysWhyNothingIsRefreshed_NamingKeyVault()
    {
        await _host.PutAsync($"{Svc}/namedValues/plain", new { properties = new { displayName = "plain", value = "42" } });
        await _host.PutAsync($"{Svc}/namedValues/vaulted", new
        {
            properties = new { displayName = "vaulted", secret = true, keyVault = new { secretIdentifier = "https://contoso.vault.azure.net/secrets/backend-key" } },
        });

        using (var plain = await _host.SendAsync(HttpMethod.Post, $"{Svc}/namedValues/plain/refreshSecret"))
        {
            var error = await ErrorAsync(plain, HttpStatusCode.BadRequest);
            Assert.Equal("ValidationError", (string?)error["code"]);
            Assert.Equal("keyVault", (string?)error["details"]![0]!["target"]);
            Assert.Contains("not a Key Vault reference", (string?)error["details"]![0]!["message"]);
        }

        using (var vaulted = await _host.SendAsync(HttpMethod.Post, $"{Svc}/namedValues/vaulted/refreshSecret"))
        {
            var error = await ErrorAsync(vaulted, HttpStatusCode.BadRequest);
            Assert.Equal("keyVault", (string?)error["details"]![0]!["target"]);
            Assert.Contains("does not reach Azure Key Vault", (string?)error["details"]![0]!["message"]);
        }

        using var missing = await _host.SendAsync(HttpMethod.Post, $"{Svc}/namedValues/nope/refreshSecret");
        Assert.Equal("ResourceNotFound", (string?)(await ErrorAsync(missing, HttpStatusCode.NotFound))["code"]);
    }

    [Fact]
    public async Task FragmentReferences_ListEveryPolicyThatIncludesIt_AndAReferencedFragmentIsNotDeleted()
    {
        const string Include = "<include-fragment fragment-id=\"shared\" />";
        await _host.PutAsync($"{Svc}/policyFragments/shared", new { properties = new { format = "rawxml", value = "<fragment><set-header name=\"x-shared\" exists-action=\"override\"><value>1</value></set-header></fragment>" } });
        await _host.PutAsync($"{Svc}/policyFragments/unused", new { properties = new { format = "rawxml", value = "<fragment><set-header name=\"x-unused\" exists-action=\"override\"><value>1</value></set-header></fragment>" } });
        await _host.PutAsync($"{Svc}/policyFragments/outer", new { properties = new { format = "rawxml", value = $"<fragment>{Include}</fragment>" } });
        await _host.PutAsync($"{Svc}/apis/refs", new { properties = new { displayName = "Refs", path = "refs", serviceUrl = "http://127.0.0.1:9", protocols = new[] { "https" } } });
        await _host.PutAsync($"{Svc}/apis/refs/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/" } });
        var policy = (string inbound) => new { properties = new { format = "rawxml", value = $"<policies><inbound><base />{inbound}</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>" } };
        await _host.PutAsync($"{Svc}/policies/policy", new { properties = new { format = "rawxml", value = $"<policies><inbound>{Include}</inbound><backend><forward-request /></backend><outbound /><on-error /></policies>" } });
        await _host.PutAsync($"{Svc}/products/starter/policies/policy", policy(Include));
        await _host.PutAsync($"{Svc}/apis/refs/policies/policy", policy(Include));
        await _host.PutAsync($"{Svc}/apis/refs/operations/get/policies/policy", policy(Include));

        var references = await _host.OkAsync(HttpMethod.Post, $"{Svc}/policyFragments/shared/listReferences");
        Assert.Equal(5, (int?)references["count"]);
        Assert.Null(references["nextLink"]);
        var base_ = "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/fidelity";
        Assert.Equal(
            [
                $"{base_}/apis/refs/operations/get/policies/policy", $"{base_}/apis/refs/policies/policy", $"{base_}/policies/policy",
                $"{base_}/policyFragments/outer", $"{base_}/products/starter/policies/policy",
            ],
            references["value"]!.AsArray().Select(r => (string?)r!["id"]));
        var apiReference = references["value"]!.AsArray().Single(r => ((string?)r!["id"])!.EndsWith("/apis/refs/policies/policy", StringComparison.Ordinal))!;
        Assert.Equal("Microsoft.ApiManagement/service/apis/policies", (string?)apiReference["type"]);
        Assert.Equal("policy", (string?)apiReference["name"]);

        var page = await _host.OkAsync(HttpMethod.Post, $"{Svc}/policyFragments/shared/listReferences?$top=2&$skip=1");
        Assert.Equal(2, page["value"]!.AsArray().Count);
        Assert.Equal(5, (int?)page["count"]);
        Assert.Equal(0, (int?)(await _host.OkAsync(HttpMethod.Post, $"{Svc}/policyFragments/unused/listReferences"))["count"]);
        using (var missing = await _host.SendAsync(HttpMethod.Post, $"{Svc}/policyFragments/nope/listReferences"))
        {
            await ErrorAsync(missing, HttpStatusCode.NotFound);
        }

        // A fragment still included is not deleted (its policies would stop applying); once nothing includes it, it is.
        using (var refused = await _host.SendAsync(HttpMethod.Delete, $"{Svc}/policyFragments/shared"))
        {
            var error = await ErrorAsync(refused, HttpStatusCode.Conflict);
            Assert.Contains("/apis/refs/policies/policy", (string?)error["message"]);
        }

        Assert.Equal("shared", (string?)(await _host.OkAsync(HttpMethod.Get, $"{Svc}/policyFragments/shared"))["name"]);
        foreach (var owner in new[] { "", "/products/starter", "/apis/refs", "/apis/refs/operations/get" })
        {
            await _host.OkAsync(HttpMethod.Delete, $"{Svc}{owner}/policies/policy");
        }

        await _host.OkAsync(HttpMethod.Delete, $"{Svc}/policyFragments/outer");
        using var deleted = await _host.SendAsync(HttpMethod.Delete, $"{Svc}/policyFragments/shared");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
    }

    [Fact]
    public async Task UserSubscription_IsTheUsersOwn_AndAnotherUsersIsNotFound()
    {
        foreach (var user in new[] { "grace", "alan" })
        {
            await _host.PutAsync($"{Svc}/users/{user}", new { properties = new { email = $"{user}@contoso.example", firstName = user, lastName = "Test" } });
        }

        await _host.PutAsync($"{Svc}/subscriptions/grace-sub", new { properties = new { scope = "/products/starter", ownerId = "/users/grace", displayName = "Grace's" } });
        await _host.PutAsync($"{Svc}/subscriptions/alan-sub", new { properties = new { scope = "/products/starter", ownerId = "/users/alan", displayName = "Alan's" } });

        using (var own = await _host.SendAsync(HttpMethod.Get, $"{Svc}/users/grace/subscriptions/grace-sub"))
        {
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
            Assert.NotNull(own.Headers.ETag);
            var body = JsonNode.Parse(await own.Content.ReadAsStringAsync())!;
            Assert.Equal($"{Svc}/subscriptions/grace-sub", (string?)body["id"]);
            Assert.Equal("Microsoft.ApiManagement/service/subscriptions", (string?)body["type"]);
            Assert.EndsWith("/users/grace", (string?)body["properties"]!["ownerId"]);
            Assert.Null(body["properties"]!["primaryKey"]);
        }

        foreach (var path in new[] { "users/grace/subscriptions/alan-sub", "users/grace/subscriptions/nope", "users/nobody/subscriptions/grace-sub" })
        {
            using var notFound = await _host.SendAsync(HttpMethod.Get, $"{Svc}/{path}");
            Assert.Equal("ResourceNotFound", (string?)(await ErrorAsync(notFound, HttpStatusCode.NotFound))["code"]);
        }

        var list = await _host.OkAsync(HttpMethod.Get, $"{Svc}/users/grace/subscriptions");
        Assert.Equal(["grace-sub"], list["value"]!.AsArray().Select(s => (string?)s!["name"]));
    }

    private static Task<HttpResponseMessage> InternalAsync(TollgateHost host, string path, object body) =>
        host.Management.PostAsync(path, new StringContent(System.Text.Json.JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json"));

    [Fact]
    public async Task UserToken_IsApimsSharedAccessToken_Verifiable_AndExpires()
    {
        await _host.PutAsync($"{Svc}/users/tok", new { properties = new { email = "tok@contoso.example", firstName = "Tok", lastName = "En" } });
        var expiry = _time.GetUtcNow().AddMinutes(10);
        var issued = await _host.OkAsync(HttpMethod.Post, $"{Svc}/users/tok/token", new { properties = new { keyType = "primary", expiry = expiry.ToString("O") } });
        var token = (string)issued["value"]!;
        var parts = token.Split('&');
        Assert.Equal(3, parts.Length);
        Assert.Equal("tok", parts[0]);
        Assert.Equal(expiry.UtcDateTime.ToString("yyyyMMddHHmm"), parts[1]);
        Assert.Equal(64, Convert.FromBase64String(parts[2]).Length);
        var secondary = (string)(await _host.OkAsync(HttpMethod.Post, $"{Svc}/users/tok/token", new { properties = new { keyType = "secondary", expiry = expiry.ToString("O") } }))["value"]!;
        Assert.NotEqual(token, secondary);

        var instance = Svc;
        async Task<HttpResponseMessage> CheckAsync(string t) => await InternalAsync(_host, "/internal/developer/token", new { instance, token = t });
        foreach (var genuine in new[] { token, secondary, "SharedAccessSignature " + token })
        {
            using var ok = await CheckAsync(genuine);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("tok", (string?)JsonNode.Parse(await ok.Content.ReadAsStringAsync())!["userId"]);
        }

        // Another user's name, a later expiry or another signature: the signature no longer matches.
        foreach (var forged in new[] { "other&" + parts[1] + "&" + parts[2], $"tok&{expiry.AddDays(1).UtcDateTime:yyyyMMddHHmm}&{parts[2]}", $"tok&{parts[1]}&{Convert.ToBase64String(new byte[64])}", "garbage" })
        {
            using var refused = await CheckAsync(forged);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        _time.Advance(TimeSpan.FromMinutes(11));
        using (var expired = await CheckAsync(token))
        {
            Assert.Contains("expired", (string?)(await ErrorAsync(expired, HttpStatusCode.Unauthorized))["message"]);
        }

        // The body is checked field by field; an unknown user is not found.
        using (var bad = await _host.SendAsync(HttpMethod.Post, $"{Svc}/users/tok/token", new { properties = new { keyType = "tertiary", expiry = "soon" } }))
        {
            var error = await ErrorAsync(bad, HttpStatusCode.BadRequest);
            Assert.Equal(["keyType", "expiry"], error["details"]!.AsArray().Select(d => (string?)d!["target"]));
        }

        foreach (var when in new[] { _time.GetUtcNow().AddMinutes(-5), _time.GetUtcNow().AddDays(31) })
        {
            using var outOfRange = await _host.SendAsync(HttpMethod.Post, $"{Svc}/users/tok/token", new { properties = new { keyType = "primary", expiry = when.ToString("O") } });
            Assert.Equal("expiry", (string?)(await ErrorAsync(outOfRange, HttpStatusCode.BadRequest))["details"]![0]!["target"]);
        }

        using var unknown = await _host.SendAsync(HttpMethod.Post, $"{Svc}/users/nobody/token", new { properties = new { keyType = "primary", expiry = expiry.ToString("O") } });
        await ErrorAsync(unknown, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task UserToken_IssuedBeforeTheInstanceWasDeleted_DoesNotWorkOnTheInstanceCreatedAgain()
    {
        await _host.PutAsync($"{Svc}/users/tok", new { properties = new { email = "tok@contoso.example", firstName = "Tok", lastName = "En" } });
        var expiry = _time.GetUtcNow().AddDays(1).ToString("O");
        var token = (string)(await _host.OkAsync(HttpMethod.Post, $"{Svc}/users/tok/token", new { properties = new { keyType = "primary", expiry } }))["value"]!;
        var instance = Svc;
        using (var ok = await InternalAsync(_host, "/internal/developer/token", new { instance, token }))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        await _host.OkAsync(HttpMethod.Delete, Svc);
        _time.Advance(TimeSpan.FromSeconds(1));
        await _host.CreateServiceAsync("fidelity");
        await _host.PutAsync($"{Svc}/users/tok", new { properties = new { email = "tok@contoso.example", firstName = "Tok", lastName = "En" } });
        using (var refused = await InternalAsync(_host, "/internal/developer/token", new { instance, token }))
        {
            Assert.Contains("signature", (string?)(await ErrorAsync(refused, HttpStatusCode.Unauthorized))["message"]);
        }

        var fresh = (string)(await _host.OkAsync(HttpMethod.Post, $"{Svc}/users/tok/token", new { properties = new { keyType = "primary", expiry } }))["value"]!;
        Assert.NotEqual(token, fresh);
    }

    [Fact]
    public async Task SsoUrl_SignsTheUserInToTheDeveloperPortal_Once_AndExpires()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await TollgateHost.StartAsync(new Dictionary<string, string?>
        {
            ["Tollgate:Roles"] = "management,portal",
            // The portal shows the instances of the test's subscription and resource group.
            ["Tollgate:Portal:SubscriptionId"] = "sub1",
            ["Tollgate:Portal:ResourceGroup"] = "rg1",
        }, time: time);
        await host.CreateServiceAsync("sso");
        var svc = TollgateHost.ServicePath("sso");
        await host.PutAsync($"{svc}/users/ada", new { properties = new { email = "ada@contoso.example", firstName = "Ada", lastName = "Lovelace" } });
        await host.PutAsync($"{svc}/users/blocked", new { properties = new { email = "blocked@contoso.example", firstName = "Bea", lastName = "Blocked", state = "blocked" } });

        var url = new Uri((string)(await host.OkAsync(HttpMethod.Post, $"{svc}/users/ada/generateSsoUrl"))["value"]!);
        Assert.Equal("/signin-sso", url.AbsolutePath);
        Assert.StartsWith("sso.portal.", url.Host, StringComparison.Ordinal);
        Assert.Matches("^\\?token=[A-Za-z0-9_-]{43}$", url.Query);

        // The portal is reached on its listener, with the host name of the instance's developer portal.
        var portal = new Uri(host.Server.Settings.Portal.Url);
        async Task<(HttpStatusCode Status, string? Location, string Body, HttpClient Browser)> OpenAsync(Uri sso, string? query = null)
        {
            var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = portal };
            using var request = new HttpRequestMessage(HttpMethod.Get, sso.PathAndQuery + query) { Headers = { Host = sso.Authority } };
            using var response = await browser.SendAsync(request);
            return (response.StatusCode, response.Headers.Location?.OriginalString, await response.Content.ReadAsStringAsync(), browser);
        }

        var (status, location, body, signedIn) = await OpenAsync(url, "&returnUrl=%2Fprofile");
        using (signedIn)
        {
            Assert.True(status == HttpStatusCode.Redirect, $"{(int)status}: {body}");
            Assert.Equal("/profile", location);
            using var profile = new HttpRequestMessage(HttpMethod.Get, "/profile") { Headers = { Host = url.Authority } };
            using var page = await signedIn.SendAsync(profile);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("ada@contoso.example", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Single use: the same URL again is refused, naming why.
        var again = await OpenAsync(url);
        again.Browser.Dispose();
        Assert.Equal(HttpStatusCode.BadRequest, again.Status);
        Assert.Contains("used or has expired", again.Body, StringComparison.Ordinal);

        // An unused URL stops working after five minutes; a blocked user is told so; an open redirect is not followed.
        var late = new Uri((string)(await host.OkAsync(HttpMethod.Post, $"{svc}/users/ada/generateSsoUrl"))["value"]!);
        time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        var expired = await OpenAsync(late);
        expired.Browser.Dispose();
        Assert.Equal(HttpStatusCode.BadRequest, expired.Status);

        var blocked = await OpenAsync(new Uri((string)(await host.OkAsync(HttpMethod.Post, $"{svc}/users/blocked/generateSsoUrl"))["value"]!));
        blocked.Browser.Dispose();
        Assert.Equal(HttpStatusCode.Forbidden, blocked.Status);

        var offsite = await OpenAsync(new Uri((string)(await host.OkAsync(HttpMethod.Post, $"{svc}/users/ada/generateSsoUrl"))["value"]!), "&returnUrl=%2F%2Fevil.example");
        offsite.Browser.Dispose();
        Assert.Equal("/", offsite.Location);

        using var unknown = await host.SendAsync(HttpMethod.Post, $"{svc}/users/nobody/generateSsoUrl");
        await ErrorAsync(unknown, HttpStatusCode.NotFound);

        // APIM's delegation redirects to /signin-sso with a user token (users/{id}/token): it signs the user in while it
        // is genuine and unexpired; a forged one does not.
        var userToken = (string)(await host.OkAsync(HttpMethod.Post, $"{svc}/users/ada/token", new { properties = new { keyType = "primary", expiry = time.GetUtcNow().AddHours(1).ToString("O") } }))["value"]!;
        var delegated = await OpenAsync(new Uri(url, "/signin-sso?token=" + Uri.EscapeDataString(userToken)), "&returnUrl=%2Fprofile");
        delegated.Browser.Dispose();
        Assert.True(delegated.Status == HttpStatusCode.Redirect, $"{(int)delegated.Status}: {delegated.Body}");
        Assert.Equal("/profile", delegated.Location);
        var parts = userToken.Split('&');
        var forged = await OpenAsync(new Uri(url, "/signin-sso?token=" + Uri.EscapeDataString($"blocked&{parts[1]}&{parts[2]}")));
        forged.Browser.Dispose();
        Assert.Equal(HttpStatusCode.BadRequest, forged.Status);
        time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
        var stale = await OpenAsync(new Uri(url, "/signin-sso?token=" + Uri.EscapeDataString(userToken)));
        stale.Browser.Dispose();
        Assert.Equal(HttpStatusCode.BadRequest, stale.Status);
    }

    [Fact]
    public async Task UserIdentities_AreApims_BasicWithTheEmail_OrTheOnesTheUserWasWrittenWith()
    {
        await _host.PutAsync($"{Svc}/users/ida", new { properties = new { email = "ida@contoso.example", firstName = "Ida", lastName = "Test" } });
        var identities = await _host.OkAsync(HttpMethod.Get, $"{Svc}/users/ida/identities");
        Assert.Equal(1, (int?)identities["count"]);
        Assert.Null(identities["nextLink"]);
        Assert.Equal("Basic", (string?)identities["value"]![0]!["provider"]);
        Assert.Equal("ida@contoso.example", (string?)identities["value"]![0]!["id"]);

        // The administrator APIM makes with the instance signs in with Azure.
        var administrator = await _host.OkAsync(HttpMethod.Get, $"{Svc}/users/1/identities");
        Assert.Equal("Azure", (string?)administrator["value"]![0]!["provider"]);
        Assert.Equal("admin@contoso.example", (string?)administrator["value"]![0]!["id"]);

        using var unknown = await _host.SendAsync(HttpMethod.Get, $"{Svc}/users/nobody/identities");
        Assert.Equal("ResourceNotFound", (string?)(await ErrorAsync(unknown, HttpStatusCode.NotFound))["code"]);
    }

    private const string YamlDocument = """
        openapi: 3.0.1
        info:
          title: Linked scoring
          version: "1.0"
        paths:
          /score/{model}:
            post:
              operationId: score
              parameters:
                - { name: model, in: path, required: true, schema: { type: string } }
              responses:
                "200": { description: OK }
        """;

    [Fact]
    public async Task ImportFromLink_DownloadsTheDocument_FromAServerOrAnExportLink_AndAnUnreachableOneNamesValue()
    {
        // A document served by a small Kestrel server of the test.
        await using var server = await RecordingBackend.StartAsync();
        server.Response = ("application/yaml", YamlDocument);
        using (var created = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/linked", new
        {
            properties = new { format = "openapi-link", value = $"{server.Url}/specs/scoring.yaml", path = "linked", serviceUrl = "http://127.0.0.1:9" },
        }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal("Linked scoring", (string?)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["properties"]!["displayName"]);
        }

        Assert.Equal("/specs/scoring.yaml", server.Last.Path);
        Assert.Equal("/score/{model}", (string?)(await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/linked/operations/score"))["properties"]!["urlTemplate"]);

        // The management's own export links, as APIM's: an API exported by link imports again by link.
        foreach (var (exportFormat, importFormat, id) in new[] { ("openapi+json-link", "openapi+json-link", "copy-json"), ("swagger-link", "swagger-link-json", "copy-swagger") })
        {
            var link = (string)(await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/linked?export=true&format={Uri.EscapeDataString(exportFormat)}"))["value"]!["link"]!;
            await _host.PutAsync($"{Svc}/apis/{id}", new { properties = new { format = importFormat, value = link, path = id } });
            var operations = await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/{id}/operations");
            Assert.Equal("/score/{model}", (string?)Assert.Single(operations["value"]!.AsArray())!["properties"]!["urlTemplate"]);
        }

        // Unreachable, failing, not http(s), or a format Tollgate does not import: a 400 naming the field.
        server.StatusCode = 404;
        foreach (var (format, value, target, expected) in new[]
        {
            ("openapi-link", "http://127.0.0.1:9/nothing-listens-here.yaml", "value", "could not be downloaded"),
            ("openapi-link", $"{server.Url}/missing.yaml", "value", "404"),
            ("openapi+json-link", "file:///etc/passwd", "value", "http or https"),
            ("openapi-link", "not a url", "value", "http or https"),
            ("wsdl-link", $"{server.Url}/x.wsdl", "format", "not supported"),
        })
        {
            using var refused = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/broken", new { properties = new { format, value, path = "broken" } });
            var detail = (await ErrorAsync(refused, HttpStatusCode.BadRequest))["details"]![0]!;
            Assert.Equal(target, (string?)detail["target"]);
            Assert.Contains(expected, (string?)detail["message"]);
        }

        using var none = await _host.SendAsync(HttpMethod.Get, $"{Svc}/apis/broken");
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
    }

    [Fact]
    public async Task SourceApiId_ClonesOperationsPoliciesAndTags_AndAMissingSourceIsNamed()
    {
        const string ApiPolicy = "<policies><inbound><base /><set-header name=\"x-api\" exists-action=\"override\"><value>api</value></set-header></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>";
        const string OperationPolicy = "<policies><inbound><base /><set-header name=\"x-op\" exists-action=\"override\"><value>op</value></set-header></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>";
        await _host.PutAsync($"{Svc}/apis/echo", new { properties = new { displayName = "Echo", path = "echo", serviceUrl = "http://127.0.0.1:9/echo", protocols = new[] { "https" } } });
        await _host.PutAsync($"{Svc}/apis/echo/operations/get-item", new { properties = new { displayName = "Get item", method = "GET", urlTemplate = "/items/{id}", templateParameters = new[] { new { name = "id", type = "string", required = true } } } });
        await _host.PutAsync($"{Svc}/apis/echo/operations/post-item", new { properties = new { displayName = "Post item", method = "POST", urlTemplate = "/items" } });
        await _host.PutAsync($"{Svc}/apis/echo/policies/policy", new { properties = new { format = "rawxml", value = ApiPolicy } });
        await _host.PutAsync($"{Svc}/apis/echo/operations/get-item/policies/policy", new { properties = new { format = "rawxml", value = OperationPolicy } });
        await _host.PutAsync($"{Svc}/tags/stable", new { properties = new { displayName = "Stable" } });
        await _host.OkAsync(HttpMethod.Put, $"{Svc}/apis/echo/tags/stable");

        using (var created = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/echo2", new
        {
            properties = new
            {
                displayName = "Echo API2", description = "Copy of Echo", path = "echo2", serviceUrl = "http://127.0.0.1:9/echo2", protocols = new[] { "http", "https" },
                isCurrent = true, sourceApiId = $"/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/fidelity/apis/echo",
            },
        }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var api = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
            Assert.Equal("echo2", (string?)api["properties"]!["path"]);
            Assert.Equal("Echo API2", (string?)api["properties"]!["displayName"]);
            Assert.Null(api["properties"]!["sourceApiId"]);
        }

        var operations = await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/echo2/operations");
        Assert.Equal(["get-item", "post-item"], operations["value"]!.AsArray().Select(o => (string?)o!["name"]).Order());
        Assert.Equal("/items/{id}", (string?)(await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/echo2/operations/get-item"))["properties"]!["urlTemplate"]);
        Assert.Contains("x-api", (string?)(await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/echo2/policies/policy?format=rawxml"))["properties"]!["value"]);
        Assert.Contains("x-op", (string?)(await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/echo2/operations/get-item/policies/policy?format=rawxml"))["properties"]!["value"]);
        using (var noPolicy = await _host.SendAsync(HttpMethod.Get, $"{Svc}/apis/echo2/operations/post-item/policies/policy"))
        {
            Assert.Equal(HttpStatusCode.NotFound, noPolicy.StatusCode);
        }

        Assert.Equal(["stable"], (await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/echo2/tags"))["value"]!.AsArray().Select(t => (string?)t!["name"]));

        // The copies are the clone's own: changing the source later leaves them as they were.
        await _host.OkAsync(HttpMethod.Delete, $"{Svc}/apis/echo/operations/post-item");
        Assert.Equal(2, (await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/echo2/operations"))["value"]!.AsArray().Count);

        // The short form /apis/{id} works too; a missing or malformed source is a 400 naming sourceApiId, and nothing is stored.
        await _host.PutAsync($"{Svc}/apis/echo3", new { properties = new { displayName = "Echo 3", path = "echo3", sourceApiId = "/apis/echo2" } });
        Assert.Equal(2, (await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/echo3/operations"))["value"]!.AsArray().Count);
        foreach (var source in new[] { "/apis/nope", "echo", "/subscriptions/other/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/fidelity/apis/echo" })
        {
            using var refused = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/echo4", new { properties = new { displayName = "Echo 4", path = "echo4", sourceApiId = source } });
            Assert.Equal("sourceApiId", (string?)(await ErrorAsync(refused, HttpStatusCode.BadRequest))["details"]![0]!["target"]);
        }

        using var none = await _host.SendAsync(HttpMethod.Get, $"{Svc}/apis/echo4");
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
    }
}
