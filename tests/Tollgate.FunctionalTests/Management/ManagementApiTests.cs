using System.Net;
using System.Text.Json.Nodes;
using Tollgate.Security;
using Tollgate.FunctionalTests.Infrastructure;

namespace Tollgate.FunctionalTests.Management;

/// <summary>The ARM-shaped management API: authentication, built-ins, CRUD, ETags, lists, secrets and bad input.</summary>
public sealed class ManagementApiTests : IAsyncLifetime
{
    private const string Service = "mgmt";
    private static readonly string Svc = TollgateHost.ServicePath(Service);
    private TollgateHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await TollgateHost.StartAsync();
        await _host.CreateServiceAsync(Service);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task NewInstance_HasApimBuiltIns()
    {
        var products = await _host.OkAsync(HttpMethod.Get, $"{Svc}/products");
        var groups = await _host.OkAsync(HttpMethod.Get, $"{Svc}/groups");
        var starter = await _host.OkAsync(HttpMethod.Get, $"{Svc}/products/starter");
        var admin = await _host.OkAsync(HttpMethod.Get, $"{Svc}/users/1");
        var adminSubscriptions = await _host.OkAsync(HttpMethod.Get, $"{Svc}/users/1/subscriptions");

        Assert.Equal(["starter", "unlimited"], products["value"]!.AsArray().Select(p => (string)p!["name"]!).Order());
        Assert.Equal(["administrators", "developers", "guests"], groups["value"]!.AsArray().Select(g => (string)g!["name"]!).Order());
        Assert.True((bool)groups["value"]![0]!["properties"]!["builtIn"]!);
        Assert.Equal("Microsoft.ApiManagement/service/products", (string?)starter["type"]);
        Assert.Equal($"{Svc}/products/starter", (string?)starter["id"]);
        Assert.Equal("published", (string?)starter["properties"]!["state"]);
        Assert.Equal("admin@contoso.example", (string?)admin["properties"]!["email"]);
        Assert.Contains(admin["properties"]!["groups"]!.AsArray(), g => (string?)g!["name"] == "administrators");
        Assert.Equal(2, (int)adminSubscriptions["count"]!);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer abc")]
    [InlineData("SharedAccessSignature uid=integration&ex=2099-01-01T00:00:00.0000000Z&sn=AAAA")]
    public async Task WithoutValidSignature_Is401(string? authorization)
    {
        using var client = new HttpClient { BaseAddress = _host.Management.BaseAddress };
        if (authorization is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await client.GetAsync($"{Svc}/apis?api-version=2022-08-01");

        var error = await ArmAssert.ErrorAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Unauthorized", (string?)error["code"]);
        Assert.Equal(["SharedAccessSignature", "Bearer"], response.Headers.WwwAuthenticate.Select(h => h.Scheme));
    }

    [Fact]
    public async Task ExpiredSignature_Is401_SecondaryKeySignatureWorks()
    {
        var credentials = await _host.Server.TenantAccess!.GetAsync();
        using var client = new HttpClient { BaseAddress = _host.Management.BaseAddress };
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization",
            SharedAccessSignature.Create(credentials.Id, credentials.PrimaryKey, DateTimeOffset.UtcNow.AddMinutes(-1)));
        using (var expired = await client.GetAsync($"{Svc}/apis?api-version=2022-08-01"))
        {
            var error = await ArmAssert.ErrorAsync(expired, HttpStatusCode.Unauthorized);
            Assert.Contains("expired", (string?)error["message"]);
        }

        using var secondary = new HttpClient { BaseAddress = _host.Management.BaseAddress };
        secondary.DefaultRequestHeaders.TryAddWithoutValidation("Authorization",
            SharedAccessSignature.Create(credentials.Id, credentials.SecondaryKey, DateTimeOffset.UtcNow.AddHours(1)));
        using var ok = await secondary.GetAsync($"{Svc}/apis?api-version=2022-08-01");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task TenantAccess_IsListed_AndCannotBeSwitchedOff_ForThePortalsSignWithIt()
    {
        var list = await _host.OkAsync(HttpMethod.Get, $"{Svc}/tenant");
        var access = Assert.Single(list["value"]!.AsArray())!;
        Assert.Equal("access", (string?)access["name"]);
        Assert.True((bool)access["properties"]!["enabled"]!);

        var kept = await _host.OkAsync(HttpMethod.Patch, $"{Svc}/tenant/access", new { properties = new { enabled = true } });
        Assert.True((bool)kept["properties"]!["enabled"]!);

        using (var off = await _host.SendAsync(HttpMethod.Patch, $"{Svc}/tenant/access", new { properties = new { enabled = false } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, off.StatusCode);
            var error = JsonNode.Parse(await off.Content.ReadAsStringAsync())!["error"]!;
            Assert.Equal("properties.enabled", (string?)error["details"]![0]!["target"]);
            Assert.Contains("regenerate", (string?)error["details"]![0]!["message"]);
        }

        using (var wrong = await _host.SendAsync(HttpMethod.Patch, $"{Svc}/tenant/access", new { properties = new { enabled = "no" } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        }

        // Still on: the same token goes on working.
        Assert.NotNull(await _host.OkAsync(HttpMethod.Get, $"{Svc}/tenant/access"));
    }

    [Fact]
    public async Task RegeneratedSecondaryKey_OldTokensStop_PrimaryTokensGoOn()
    {
        var before = await _host.Server.TenantAccess!.GetAsync();
        var oldSecondary = SharedAccessSignature.Create(before.Id, before.SecondaryKey, DateTimeOffset.UtcNow.AddHours(1));

        using (var regenerated = await _host.SendAsync(HttpMethod.Post, $"{Svc}/tenant/access/regenerateSecondaryKey"))
        {
            Assert.Equal(HttpStatusCode.NoContent, regenerated.StatusCode);
        }

        var secrets = await _host.OkAsync(HttpMethod.Post, $"{Svc}/tenant/access/listSecrets");
        using var client = new HttpClient { BaseAddress = _host.Management.BaseAddress };
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", oldSecondary);
        using var refused = await client.GetAsync($"{Svc}/apis?api-version=2022-08-01");

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.NotEqual(before.SecondaryKey, (string?)secrets["secondaryKey"]);
        Assert.Equal(before.PrimaryKey, (string?)secrets["primaryKey"]);
        await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis");
    }

    [Fact]
    public async Task MissingApiVersion_Is400()
    {
        using var response = await _host.Management.GetAsync($"{Svc}/apis");

        var error = await ArmAssert.ErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("MissingApiVersionParameter", (string?)error["code"]);
    }

    [Fact]
    public async Task Api_PutGetPatchDelete_WithETags()
    {
        using var created = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/sentiment", new
        {
            properties = new { displayName = "Sentiment model", path = "ml/sentiment", serviceUrl = "http://scoring:8080/v1", protocols = new[] { "https" } },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        var props = body["properties"]!;
        Assert.Equal("Microsoft.ApiManagement/service/apis", (string?)body["type"]);
        Assert.Equal("1", (string?)props["apiRevision"]);
        Assert.True((bool)props["isCurrent"]!);
        Assert.True((bool)props["subscriptionRequired"]!);
        Assert.Equal("Ocp-Apim-Subscription-Key", (string?)props["subscriptionKeyParameterNames"]!["header"]);
        Assert.Equal("subscription-key", (string?)props["subscriptionKeyParameterNames"]!["query"]);
        var etag = created.Headers.ETag!.Tag;

        using (var replaced = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/sentiment", new
        {
            properties = new { displayName = "Sentiment v2", path = "ml/sentiment", serviceUrl = "http://scoring:8080/v2" },
        }))
        {
            Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        }

        using (var stale = await _host.SendAsync(HttpMethod.Patch, $"{Svc}/apis/sentiment", new { properties = new { displayName = "Stale" } }, ifMatch: etag))
        {
            Assert.Equal("PreconditionFailed", (string?)(await ArmAssert.ErrorAsync(stale, HttpStatusCode.PreconditionFailed))["code"]);
        }

        using var get = await _host.SendAsync(HttpMethod.Get, $"{Svc}/apis/sentiment");
        var current = get.Headers.ETag!.Tag;
        using (var patched = await _host.SendAsync(HttpMethod.Patch, $"{Svc}/apis/sentiment", new { properties = new { description = "Scores text" } }, ifMatch: current))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
            var p = JsonNode.Parse(await patched.Content.ReadAsStringAsync())!["properties"]!;
            Assert.Equal("Sentiment v2", (string?)p["displayName"]);
            Assert.Equal("Scores text", (string?)p["description"]);
        }

        using (var deleted = await _host.SendAsync(HttpMethod.Delete, $"{Svc}/apis/sentiment", ifMatch: "*"))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        using var gone = await _host.SendAsync(HttpMethod.Get, $"{Svc}/apis/sentiment");
        Assert.Equal("ResourceNotFound", (string?)(await ArmAssert.ErrorAsync(gone, HttpStatusCode.NotFound))["code"]);
        using var again = await _host.SendAsync(HttpMethod.Delete, $"{Svc}/apis/sentiment");
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
    }

    [Fact]
    public async Task List_FilterTopSkipAndNextLink()
    {
        for (var i = 0; i < 5; i++)
        {
            await _host.PutAsync($"{Svc}/apis/list-{i}", new { properties = new { displayName = i % 2 == 0 ? $"Even {i}" : $"Odd {i}", path = $"list{i}", serviceUrl = "http://b" } });
        }

        var filtered = await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis?$filter=startswith(properties/displayName,'Even')");
        var page = await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis?$filter=contains(name,'list-')&$top=2");
        var next = (string)page["nextLink"]!;
        using var nextResponse = await _host.Management.GetAsync(next);
        var second = JsonNode.Parse(await nextResponse.Content.ReadAsStringAsync())!;
        var byName = await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis?$filter=name eq 'list-3'");

        Assert.Equal(3, (int)filtered["count"]!);
        Assert.Equal(5, (int)page["count"]!);
        Assert.Equal(2, page["value"]!.AsArray().Count);
        Assert.Contains("$skip=2", next);
        Assert.Equal(["list-2", "list-3"], second["value"]!.AsArray().Select(v => (string)v!["name"]!));
        Assert.Equal("Odd 3", (string?)byName["value"]![0]!["properties"]!["displayName"]);

        using var badField = await _host.SendAsync(HttpMethod.Get, $"{Svc}/apis?$filter=colour eq 'red'");
        Assert.Equal(["$filter"], ArmAssert.Targets(await ArmAssert.ErrorAsync(badField, HttpStatusCode.BadRequest)));
    }

    [Fact]
    public async Task SubscriptionKeys_NeverOnGet_ListSecretsAndExplicitKeys()
    {
        await _host.PutAsync($"{Svc}/subscriptions/explicit", new { properties = new { scope = "/apis", displayName = "Explicit", state = "active", primaryKey = "my-primary-key-1", secondaryKey = "my-secondary-key-2" } });

        using var get = await _host.SendAsync(HttpMethod.Get, $"{Svc}/subscriptions/explicit");
        var text = await get.Content.ReadAsStringAsync();
        var secrets = await _host.OkAsync(HttpMethod.Post, $"{Svc}/subscriptions/explicit/listSecrets");
        var props = JsonNode.Parse(text)!["properties"]!;

        Assert.DoesNotContain("my-primary-key-1", text);
        Assert.DoesNotContain("my-secondary-key-2", text);
        // No key property (the keys' lifecycle extensions, primaryKeyExpiresAt and the like, hold no key).
        Assert.False(props.AsObject().ContainsKey("primaryKey"));
        Assert.False(props.AsObject().ContainsKey("secondaryKey"));
        Assert.Equal($"{Svc}/apis", (string?)props["scope"]);
        Assert.NotNull((string?)props["createdDate"]);
        Assert.Equal("my-primary-key-1", (string?)secrets["primaryKey"]);
        Assert.Equal("my-secondary-key-2", (string?)secrets["secondaryKey"]);
        var stored = await File.ReadAllBytesAsync(Path.Combine(_host.DataDirectory, "tollgate.db"));
        Assert.DoesNotContain("my-primary-key-1", System.Text.Encoding.UTF8.GetString(stored));
    }

    [Fact]
    public async Task GeneratedKeys_Are32HexCharacters_AndSubscriptionDefaultsToSubmitted()
    {
        await _host.PutAsync($"{Svc}/subscriptions/gen", new { properties = new { scope = "/products/starter", displayName = "Gen" } });
        var secrets = await _host.OkAsync(HttpMethod.Post, $"{Svc}/subscriptions/gen/listSecrets");
        var sub = await _host.OkAsync(HttpMethod.Get, $"{Svc}/subscriptions/gen");

        Assert.Matches("^[0-9a-f]{32}$", (string)secrets["primaryKey"]!);
        Assert.Matches("^[0-9a-f]{32}$", (string)secrets["secondaryKey"]!);
        Assert.NotEqual((string)secrets["primaryKey"]!, (string)secrets["secondaryKey"]!);
        Assert.Equal("submitted", (string?)sub["properties"]!["state"]);
    }

    [Fact]
    public async Task DuplicateKey_IsRefused()
    {
        await _host.PutAsync($"{Svc}/subscriptions/k1", new { properties = new { scope = "/apis", displayName = "K1", primaryKey = "shared-key-aaaa" } });

        using var response = await _host.SendAsync(HttpMethod.Put, $"{Svc}/subscriptions/k2", new { properties = new { scope = "/apis", displayName = "K2", primaryKey = "shared-key-aaaa" } });

        Assert.Contains("primaryKey", ArmAssert.Targets(await ArmAssert.ErrorAsync(response, HttpStatusCode.BadRequest)));
    }

    [Fact]
    public async Task MalformedJson_Is400_AndNothingStored()
    {
        using var response = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/broken", """{"properties": {"displayName": "x", "path": "p",,}}""");

        var error = await ArmAssert.ErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("InvalidRequestContent", (string?)error["code"]);
        Assert.Contains("line 1", (string?)error["message"]);
        await AssertNotStoredAsync("apis/broken");
    }

    [Fact]
    public async Task WrongTypes_AllReportedAtOnce_NamingEachField()
    {
        using var response = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/typed", """
            {"properties": {"displayName": 42, "path": "typed", "subscriptionRequired": "yes", "protocols": "https", "serviceUrl": "ftp://files"}}
            """);

        var error = await ArmAssert.ErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("ValidationError", (string?)error["code"]);
        Assert.Equal(["displayName", "protocols", "serviceUrl", "subscriptionRequired"], ArmAssert.Targets(error).Order());
        await AssertNotStoredAsync("apis/typed");
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("/relative/path")]
    [InlineData("ftp://example.com")]
    public async Task ServiceUrl_MustBeAbsoluteHttp(string serviceUrl)
    {
        using var response = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/badurl", new { properties = new { displayName = "x", path = "badurl", serviceUrl } });

        var error = await ArmAssert.ErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(["serviceUrl"], ArmAssert.Targets(error));
        Assert.Contains("absolute http or https URL", (string?)error["details"]![0]!["message"]);
        await AssertNotStoredAsync("apis/badurl");
    }

    [Fact]
    public async Task MissingRequiredFields_AreNamed()
    {
        using var response = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/empty", new { properties = new { } });

        Assert.Equal(["displayName", "path"], ArmAssert.Targets(await ArmAssert.ErrorAsync(response, HttpStatusCode.BadRequest)).Order());
    }

    [Fact]
    public async Task DuplicateApiPath_Is400_NamingPath()
    {
        await _host.PutAsync($"{Svc}/apis/first", new { properties = new { displayName = "First", path = "shared", serviceUrl = "http://a" } });

        using var response = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/second", new { properties = new { displayName = "Second", path = "/Shared/", serviceUrl = "http://b" } });

        var error = await ArmAssert.ErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(["path"], ArmAssert.Targets(error));
        Assert.Contains("first", (string?)error["details"]![0]!["message"]);
        await AssertNotStoredAsync("apis/second");
    }

    [Theory]
    [InlineData("/users/{id", "unclosed '{' at 7")]
    [InlineData("/users/id}", "'}' without a matching '{' at 9")]
    [InlineData("/a/*/b", "'*' at 3")]
    public async Task BadUrlTemplate_Is400_WithPosition(string template, string expected)
    {
        await _host.PutAsync($"{Svc}/apis/tpl", new { properties = new { displayName = "Tpl", path = "tpl", serviceUrl = "http://a" } });

        using var response = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/tpl/operations/op", new { properties = new { displayName = "Op", method = "GET", urlTemplate = template } });

        var error = await ArmAssert.ErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(["urlTemplate"], ArmAssert.Targets(error));
        Assert.Contains(expected, (string?)error["details"]![0]!["message"]);
        await AssertNotStoredAsync("apis/tpl/operations/op");
    }

    [Fact]
    public async Task Operation_TemplateParametersMustMatch_AndAreValidated()
    {
        await _host.PutAsync($"{Svc}/apis/ops", new { properties = new { displayName = "Ops", path = "ops", serviceUrl = "http://a" } });

        using var undeclared = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/ops/operations/score", new
        {
            properties = new { displayName = "Score", method = "POST", urlTemplate = "/models/{modelId}/score?mode={mode}", templateParameters = new[] { new { name = "modelId", type = "string", required = true } } },
        });
        var error = await ArmAssert.ErrorAsync(undeclared, HttpStatusCode.BadRequest);
        Assert.Equal(["templateParameters"], ArmAssert.Targets(error));
        Assert.Contains("'mode'", (string?)error["details"]![0]!["message"]);

        using var badMethod = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/ops/operations/score", new
        {
            properties = new { displayName = "Score", method = "FETCH", urlTemplate = "/x", templateParameters = new[] { new { name = 1 } } },
        });
        Assert.Equal(["method", "templateParameters[0].name", "templateParameters[0].type"], ArmAssert.Targets(await ArmAssert.ErrorAsync(badMethod, HttpStatusCode.BadRequest)).Order());

        var op = await _host.PutAsync($"{Svc}/apis/ops/operations/score", new
        {
            properties = new
            {
                displayName = "Score", method = "post", urlTemplate = "/models/{modelId}/score?mode={mode}", description = "Scores a batch",
                templateParameters = new object[]
                {
                    new { name = "modelId", type = "string", required = true },
                    new { name = "mode", type = "string", required = true, values = new[] { "fast", "accurate" }, defaultValue = "fast" },
                },
                request = new { queryParameters = new[] { new { name = "explain", type = "boolean", required = false } }, representations = new[] { new { contentType = "application/json" } } },
                responses = new[] { new { statusCode = 200, description = "ok", representations = new[] { new { contentType = "application/json", examples = new { @default = new { value = new { score = 0.93 } } } } } } },
            },
        });
        Assert.Equal("POST", (string?)op["properties"]!["method"]);
        Assert.Equal(0.93, (double)op["properties"]!["responses"]![0]!["representations"]![0]!["examples"]!["default"]!["value"]!["score"]!);
        Assert.Equal($"{Svc}/apis/ops/operations/score", (string?)op["id"]);
    }

    [Fact]
    public async Task Subscription_UnknownScopeOrOwner_Is400()
    {
        using var response = await _host.SendAsync(HttpMethod.Put, $"{Svc}/subscriptions/bad", new { properties = new { scope = "/products/nope", ownerId = "/users/ghost", displayName = "Bad" } });

        Assert.Equal(["ownerId", "scope"], ArmAssert.Targets(await ArmAssert.ErrorAsync(response, HttpStatusCode.BadRequest)).Order());
        await AssertNotStoredAsync("subscriptions/bad");
    }

    [Fact]
    public async Task ProductWithSubscriptions_DeleteNeedsDeleteSubscriptions()
    {
        await _host.PutAsync($"{Svc}/products/gold", new { properties = new { displayName = "Gold", state = "published" } });
        await _host.PutAsync($"{Svc}/subscriptions/gold-1", new { properties = new { scope = "/products/gold", displayName = "g" } });

        using (var refused = await _host.SendAsync(HttpMethod.Delete, $"{Svc}/products/gold"))
        {
            await ArmAssert.ErrorAsync(refused, HttpStatusCode.Conflict);
        }

        using var deleted = await _host.SendAsync(HttpMethod.Delete, $"{Svc}/products/gold?deleteSubscriptions=true");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        await AssertNotStoredAsync("subscriptions/gold-1");
    }

    [Fact]
    public async Task Links_ProductApis_GroupUsers_AndLists()
    {
        await _host.PutAsync($"{Svc}/apis/linked", new { properties = new { displayName = "Linked", path = "linked", serviceUrl = "http://a" } });
        await _host.PutAsync($"{Svc}/groups/partners", new { properties = new { displayName = "Partners" } });
        await _host.PutAsync($"{Svc}/users/carol", new { properties = new { email = "carol@example.com", firstName = "Carol", lastName = "C" } });

        await _host.PutAsync($"{Svc}/products/starter/apis/linked", new { });
        await _host.PutAsync($"{Svc}/groups/partners/users/carol", new { });
        var productApis = await _host.OkAsync(HttpMethod.Get, $"{Svc}/products/starter/apis");
        var apiProducts = await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/linked/products");
        var carolGroups = await _host.OkAsync(HttpMethod.Get, $"{Svc}/users/carol/groups");

        Assert.Contains(productApis["value"]!.AsArray(), a => (string?)a!["name"] == "linked");
        Assert.Equal(["starter"], apiProducts["value"]!.AsArray().Select(p => (string)p!["name"]!));
        Assert.Equal(["developers", "partners"], carolGroups["value"]!.AsArray().Select(g => (string)g!["name"]!).Order());
        using var missing = await _host.SendAsync(HttpMethod.Put, $"{Svc}/products/starter/apis/nope", new { });
        await ArmAssert.ErrorAsync(missing, HttpStatusCode.NotFound);
        using var builtIn = await _host.SendAsync(HttpMethod.Delete, $"{Svc}/groups/developers");
        await ArmAssert.ErrorAsync(builtIn, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task NamedValues_SecretValueOnlyThroughListValue()
    {
        await _host.PutAsync($"{Svc}/namedValues/ml-key", new { properties = new { displayName = "ml-key", value = "s3cret-value", secret = true } });
        await _host.PutAsync($"{Svc}/namedValues/region", new { properties = new { displayName = "region", value = "local" } });

        using var get = await _host.SendAsync(HttpMethod.Get, $"{Svc}/namedValues/ml-key");
        var text = await get.Content.ReadAsStringAsync();
        var value = await _host.OkAsync(HttpMethod.Post, $"{Svc}/namedValues/ml-key/listValue");
        var plain = await _host.OkAsync(HttpMethod.Get, $"{Svc}/namedValues/region");

        Assert.DoesNotContain("s3cret-value", text);
        Assert.Equal("s3cret-value", (string?)value["value"]);
        Assert.Equal("local", (string?)plain["properties"]!["value"]);
        using var badName = await _host.SendAsync(HttpMethod.Put, $"{Svc}/namedValues/bad", new { properties = new { displayName = "has space", value = "v" } });
        Assert.Equal(["displayName"], ArmAssert.Targets(await ArmAssert.ErrorAsync(badName, HttpStatusCode.BadRequest)));
    }

    [Fact]
    public async Task ConcurrentApisWithTheSamePath_OnlyOneIsCreated()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/race-{i}", new { properties = new { displayName = $"Race {i}", path = "race", serviceUrl = "http://a" } })));

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(7, responses.Count(r => r.StatusCode == HttpStatusCode.BadRequest));
        var list = await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis?$filter=properties/path eq 'race'");
        Assert.Equal(1, (int)list["count"]!);
        foreach (var r in responses)
        {
            r.Dispose();
        }
    }

    [Fact]
    public async Task UnknownInstance_Is404()
    {
        using var response = await _host.SendAsync(HttpMethod.Get, $"{TollgateHost.ServicePath("nope")}/apis");

        Assert.Equal("ResourceNotFound", (string?)(await ArmAssert.ErrorAsync(response, HttpStatusCode.NotFound))["code"]);
    }

    [Fact]
    public async Task Instance_GetAndList()
    {
        var service = await _host.OkAsync(HttpMethod.Get, Svc);
        var list = await _host.OkAsync(HttpMethod.Get, "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.ApiManagement/service");

        Assert.Equal("Microsoft.ApiManagement/service", (string?)service["type"]);
        Assert.Equal("Contoso ML", (string?)service["properties"]!["publisherName"]);
        Assert.Equal("Succeeded", (string?)service["properties"]!["provisioningState"]);
        Assert.Contains(list["value"]!.AsArray(), s => (string?)s!["name"] == Service);
    }

    [Fact]
    public async Task Instance_BadBody_Is400NamingFields()
    {
        using var response = await _host.SendAsync(HttpMethod.Put, TollgateHost.ServicePath("bad-instance"), new { properties = new { publisherName = "", publisherEmail = "not-an-email" } });

        Assert.Equal(["publisherEmail", "publisherName"], ArmAssert.Targets(await ArmAssert.ErrorAsync(response, HttpStatusCode.BadRequest)).Order());
    }

    private async Task AssertNotStoredAsync(string relative)
    {
        using var response = await _host.SendAsync(HttpMethod.Get, $"{Svc}/{relative}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
