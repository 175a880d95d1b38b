using System.Net;
using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;
using static Tollgate.FunctionalTests.Infrastructure.ArmAssert;

namespace Tollgate.FunctionalTests.Management;

/// <summary>
/// APIM's version sets, revisions, releases and clones through the management API (REST 2022-08-01 shapes): what
/// ARM templates and the portal's REST calls do with them.
/// </summary>
public sealed class ApiVersionsTests : IAsyncLifetime
{
    private const string Service = "versions";
    private const string ApiPolicy = "<policies><inbound><base /><set-header name=\"x-rev\" exists-action=\"override\"><value>api</value></set-header></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>";
    private static readonly string Svc = TollgateHost.ServicePath(Service);
    private TollgateHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await TollgateHost.StartAsync(new Dictionary<string, string?> { ["Tollgate:Roles"] = "management" });
        await _host.CreateServiceAsync(Service);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static object Api(string displayName, string path, object? more = null)
    {
        var properties = new JsonObject { ["displayName"] = displayName, ["path"] = path, ["serviceUrl"] = "http://127.0.0.1:9/" + path, ["protocols"] = new JsonArray("https") };
        if (more is not null)
        {
            foreach (var (name, value) in System.Text.Json.JsonSerializer.SerializeToNode(more)!.AsObject())
            {
                properties[name] = value?.DeepClone();
            }
        }

        return new JsonObject { ["properties"] = properties };
    }

    private async Task<JsonObject> ErrorOfAsync(HttpMethod method, string path, object? body, HttpStatusCode status)
    {
        using var response = await _host.SendAsync(method, path, body);
        return await ErrorAsync(response, status);
    }

    [Fact]
    public async Task VersionSets_HaveArmShapes_AndValidationNamesTheField()
    {
        var error = await ErrorOfAsync(HttpMethod.Put, $"{Svc}/apiVersionSets/bad", new { properties = new { versioningScheme = "Path" } }, HttpStatusCode.BadRequest);
        Assert.Equal(["displayName", "versioningScheme"], Targets(error).Order());
        error = await ErrorOfAsync(HttpMethod.Put, $"{Svc}/apiVersionSets/bad", new { properties = new { displayName = "Bad", versioningScheme = "Header" } }, HttpStatusCode.BadRequest);
        Assert.Equal(["versionHeaderName"], Targets(error));
        error = await ErrorOfAsync(HttpMethod.Put, $"{Svc}/apiVersionSets/bad", new { properties = new { displayName = "Bad", versioningScheme = "Query" } }, HttpStatusCode.BadRequest);
        Assert.Equal(["versionQueryName"], Targets(error));
        error = await ErrorOfAsync(HttpMethod.Put, $"{Svc}/apiVersionSets/bad", new { properties = new { displayName = "Bad", versioningScheme = "Header", versionHeaderName = "Api Version" } }, HttpStatusCode.BadRequest);
        Assert.Equal(["versionHeaderName"], Targets(error));
        using (var none = await _host.SendAsync(HttpMethod.Get, $"{Svc}/apiVersionSets/bad"))
        {
            Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        }

        using (var created = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apiVersionSets/scoring", new { properties = new { displayName = "Scoring", versioningScheme = "header", versionHeaderName = "Api-Version", description = "Scoring versions" } }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.NotNull(created.Headers.ETag);
            var body = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
            Assert.Equal($"{Svc}/apiVersionSets/scoring", (string?)body["id"]);
            Assert.Equal("Microsoft.ApiManagement/service/apiVersionSets", (string?)body["type"]);
            Assert.Equal("Header", (string?)body["properties"]!["versioningScheme"]);
            Assert.Equal("Api-Version", (string?)body["properties"]!["versionHeaderName"]);
        }

        var patched = await _host.OkAsync(HttpMethod.Patch, $"{Svc}/apiVersionSets/scoring", new { properties = new { versioningScheme = "Query", versionQueryName = "api-version" } });
        Assert.Equal("Query", (string?)patched["properties"]!["versioningScheme"]);
        Assert.Equal("Scoring", (string?)patched["properties"]!["displayName"]);
        await _host.PutAsync($"{Svc}/apiVersionSets/billing", new { properties = new { displayName = "Billing", versioningScheme = "Segment" } });
        var list = await _host.OkAsync(HttpMethod.Get, $"{Svc}/apiVersionSets?$filter=properties/versioningScheme eq 'Segment'");
        Assert.Equal("billing", (string?)Assert.Single(list["value"]!.AsArray())!["name"]);

        using var stale = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apiVersionSets/billing", new { properties = new { displayName = "Billing", versioningScheme = "Segment" } }, ifMatch: "\"not-it\"");
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        using (var deleted = await _host.SendAsync(HttpMethod.Delete, $"{Svc}/apiVersionSets/billing"))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }
    }

    [Fact]
    public async Task Versions_NameTheirSet_ShareAPath_AreUniqueInIt_AndTheSetGoesWithItsLastApi()
    {
        await _host.PutAsync($"{Svc}/apiVersionSets/echo-set", new { properties = new { displayName = "Echo", versioningScheme = "Segment" } });
        var missing = await ErrorOfAsync(HttpMethod.Put, $"{Svc}/apis/echo", Api("Echo", "echo", new { apiVersionSetId = "/apiVersionSets/nope" }), HttpStatusCode.NotFound);
        Assert.Equal(["apiVersionSetId"], Targets(missing));

        var original = await _host.PutAsync($"{Svc}/apis/echo", Api("Echo", "echo", new { apiVersionSetId = $"{Svc}/apiVersionSets/echo-set" }));
        Assert.Equal($"{Svc}/apiVersionSets/echo-set", (string?)original["properties"]!["apiVersionSetId"]);
        var details = original["properties"]!["apiVersionSet"]!;
        Assert.Equal($"{Svc}/apiVersionSets/echo-set", (string?)details["id"]);
        Assert.Equal("Echo", (string?)details["name"]);
        Assert.Equal("Segment", (string?)details["versioningScheme"]);
        var v2 = await _host.PutAsync($"{Svc}/apis/echo-v2", Api("Echo", "echo", new { apiVersion = "v2", apiVersionSetId = "/apiVersionSets/echo-set" }));
        Assert.Equal("v2", (string?)v2["properties"]!["apiVersion"]);
        Assert.Equal("1", (string?)v2["properties"]!["apiRevision"]);
        Assert.True((bool)v2["properties"]!["isCurrent"]!);

        // One API per version of a set (the original is the one without), a version that is a path segment, and the
        // path only for versions of one set.
        Assert.Equal(["apiVersion"], Targets(await ErrorOfAsync(HttpMethod.Put, $"{Svc}/apis/echo-v2b", Api("Echo", "echo", new { apiVersion = "V2", apiVersionSetId = "/apiVersionSets/echo-set" }), HttpStatusCode.BadRequest)).Distinct());
        Assert.Contains("apiVersion", Targets(await ErrorOfAsync(HttpMethod.Put, $"{Svc}/apis/echo-orig2", Api("Echo", "echo2", new { apiVersionSetId = "/apiVersionSets/echo-set" }), HttpStatusCode.BadRequest)));
        Assert.Equal(["apiVersion"], Targets(await ErrorOfAsync(HttpMethod.Put, $"{Svc}/apis/echo-v3", Api("Echo", "echo", new { apiVersion = "v3/beta", apiVersionSetId = "/apiVersionSets/echo-set" }), HttpStatusCode.BadRequest)));
        Assert.Equal(["path"], Targets(await ErrorOfAsync(HttpMethod.Put, $"{Svc}/apis/other", Api("Other", "echo"), HttpStatusCode.BadRequest)));

        // apiVersionSet's details without an id make a new set with the API.
        Assert.Equal(["apiVersionSet.versionQueryName"], Targets(await ErrorOfAsync(HttpMethod.Put, $"{Svc}/apis/inline", Api("Inline", "inline", new { apiVersion = "v1", apiVersionSet = new { name = "Inline", versioningScheme = "Query" } }), HttpStatusCode.BadRequest)));
        var inline = await _host.PutAsync($"{Svc}/apis/inline", Api("Inline", "inline", new { apiVersion = "v1", apiVersionSet = new { name = "Inline", versioningScheme = "Query", versionQueryName = "v" } }));
        var inlineSet = (string)inline["properties"]!["apiVersionSetId"]!;
        Assert.StartsWith($"{Svc}/apiVersionSets/", inlineSet);
        Assert.Equal("v", (string?)inline["properties"]!["apiVersionSet"]!["versionQueryName"]);
        Assert.Equal("Inline", (string?)(await _host.OkAsync(HttpMethod.Get, inlineSet))["properties"]!["displayName"]);

        // A set that still has versions is not deleted; deleting its last API deletes it, as in APIM.
        var conflict = await ErrorOfAsync(HttpMethod.Delete, $"{Svc}/apiVersionSets/echo-set", null, HttpStatusCode.Conflict);
        Assert.Contains("echo-v2", (string?)conflict["message"]);
        await _host.OkAsync(HttpMethod.Delete, $"{Svc}/apis/echo");
        await _host.OkAsync(HttpMethod.Get, $"{Svc}/apiVersionSets/echo-set");
        await _host.OkAsync(HttpMethod.Delete, $"{Svc}/apis/echo-v2");
        using var gone = await _host.SendAsync(HttpMethod.Get, $"{Svc}/apiVersionSets/echo-set");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Revision_IsACopyOfTheApi_ListedWithItsFlags_AndAReleaseMakesItCurrent()
    {
        await _host.PutAsync($"{Svc}/apis/rev", Api("Rev", "rev"));
        await _host.PutAsync($"{Svc}/apis/rev/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/items/{id}", templateParameters = new[] { new { name = "id", type = "string", required = true } } } });
        await _host.PutAsync($"{Svc}/apis/rev/policies/policy", new { properties = new { format = "rawxml", value = ApiPolicy } });
        await _host.PutAsync($"{Svc}/apis/rev/schemas/defs", new { properties = new { contentType = "application/vnd.oai.openapi.components+json", document = new { components = new { schemas = new { Item = new { type = "object" } } } } } });
        await _host.PutAsync($"{Svc}/tags/stable", new { properties = new { displayName = "Stable" } });
        await _host.OkAsync(HttpMethod.Put, $"{Svc}/apis/rev/tags/stable");

        // The portal's "Create revision": PUT apis/{id};rev=2 with sourceApiId apis/{id};rev=1.
        JsonNode revision;
        using (var created = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/rev;rev=2", new
        {
            properties = new { sourceApiId = $"{Svc}/apis/rev;rev=1", apiRevisionDescription = "Second try", serviceUrl = "http://127.0.0.1:9/rev2" },
        }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            revision = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        }

        Assert.Equal("rev;rev=2", (string?)revision["name"]);
        Assert.Equal($"{Svc}/apis/rev;rev=2", (string?)revision["id"]);
        Assert.Equal("Rev", (string?)revision["properties"]!["displayName"]);
        Assert.Equal("rev", (string?)revision["properties"]!["path"]);
        Assert.Equal("2", (string?)revision["properties"]!["apiRevision"]);
        Assert.False((bool)revision["properties"]!["isCurrent"]!);
        Assert.Equal("Second try", (string?)revision["properties"]!["apiRevisionDescription"]);
        Assert.Equal("/items/{id}", (string?)(await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/rev;rev=2/operations/get"))["properties"]!["urlTemplate"]);
        Assert.Contains("x-rev", (string?)(await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/rev;rev=2/policies/policy?format=rawxml"))["properties"]!["value"]);
        await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/rev;rev=2/schemas/defs");
        Assert.Equal(["stable"], (await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/rev;rev=2/tags"))["value"]!.AsArray().Select(t => (string?)t!["name"]));

        // apis/{id};rev={n} of the current revision is the API; a revision keeps its API's path; changing it leaves the API as it was.
        Assert.Equal("rev", (string?)(await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/rev;rev=1"))["name"]);
        Assert.Equal(["path"], Targets(await ErrorOfAsync(HttpMethod.Patch, $"{Svc}/apis/rev;rev=2", new { properties = new { path = "elsewhere" } }, HttpStatusCode.BadRequest)));
        await _host.OkAsync(HttpMethod.Delete, $"{Svc}/apis/rev;rev=2/operations/get");
        Assert.Single((await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/rev/operations"))["value"]!.AsArray());
        await _host.PutAsync($"{Svc}/apis/rev;rev=2/operations/get2", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/v2/items" } });

        var names = (await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis"))["value"]!.AsArray().Select(a => (string?)a!["name"]).ToList();
        Assert.Contains("rev", names);
        Assert.Contains("rev;rev=2", names);
        var revisions = (await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/rev/revisions"))["value"]!.AsArray();
        Assert.Equal(["/apis/rev;rev=1", "/apis/rev;rev=2"], revisions.Select(r => (string?)r!["apiId"]));
        Assert.Equal([true, false], revisions.Select(r => (bool)r!["isCurrent"]!));
        Assert.Equal("/rev;rev=2", (string?)revisions[1]!["privateUrl"]);
        Assert.Equal("Second try", (string?)revisions[1]!["description"]);

        // A release of revision 2 makes it current: apis/rev is revision 2, revision 1 is apis/rev;rev=1.
        Assert.Equal(["apiId"], Targets(await ErrorOfAsync(HttpMethod.Put, $"{Svc}/apis/rev/releases/r0", new { properties = new { apiId = "/apis/rev;rev=7" } }, HttpStatusCode.BadRequest)));
        Assert.Equal(["apiId"], Targets(await ErrorOfAsync(HttpMethod.Put, $"{Svc}/apis/rev/releases/r0", new { properties = new { apiId = "/apis/other;rev=2" } }, HttpStatusCode.BadRequest)));
        JsonNode release;
        using (var released = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/rev/releases/r1", new { properties = new { apiId = $"{Svc}/apis/rev;rev=2", notes = "Version two" } }))
        {
            Assert.Equal(HttpStatusCode.Created, released.StatusCode);
            release = JsonNode.Parse(await released.Content.ReadAsStringAsync())!;
        }

        Assert.Equal($"{Svc}/apis/rev/releases/r1", (string?)release["id"]);
        Assert.Equal("Microsoft.ApiManagement/service/apis/releases", (string?)release["type"]);
        Assert.Equal($"{Svc}/apis/rev;rev=2", (string?)release["properties"]!["apiId"]);
        Assert.NotNull(release["properties"]!["createdDateTime"]);
        var current = await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/rev");
        Assert.Equal("2", (string?)current["properties"]!["apiRevision"]);
        Assert.True((bool)current["properties"]!["isCurrent"]!);
        Assert.Equal("http://127.0.0.1:9/rev2", (string?)current["properties"]!["serviceUrl"]);
        Assert.Equal(["get2"], (await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/rev/operations"))["value"]!.AsArray().Select(o => (string?)o!["name"]));
        var previous = await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/rev;rev=1");
        Assert.False((bool)previous["properties"]!["isCurrent"]!);
        Assert.Equal(["get"], (await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/rev;rev=1/operations"))["value"]!.AsArray().Select(o => (string?)o!["name"]));
        Assert.Equal([false, true], (await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/rev/revisions"))["value"]!.AsArray().Select(r => (bool)r!["isCurrent"]!));
        Assert.Equal("r1", (string?)Assert.Single((await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/rev/releases"))["value"]!.AsArray())!["name"]);
        Assert.Equal("Version two", (string?)(await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/rev/releases/r1"))["properties"]!["notes"]);
        Assert.Equal("Notes", (string?)(await _host.OkAsync(HttpMethod.Patch, $"{Svc}/apis/rev/releases/r1", new { properties = new { notes = "Notes" } }))["properties"]!["notes"]);

        // The current revision is deleted only with its API; another revision alone; the API with all of them.
        Assert.Equal(["apiId"], Targets(await ErrorOfAsync(HttpMethod.Delete, $"{Svc}/apis/rev;rev=2", null, HttpStatusCode.BadRequest)));
        await _host.OkAsync(HttpMethod.Delete, $"{Svc}/apis/rev/releases/r1");
        Assert.Equal("2", (string?)(await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/rev"))["properties"]!["apiRevision"]);
        await _host.PutAsync($"{Svc}/apis/rev;rev=3", new { properties = new { sourceApiId = "/apis/rev" } });
        await _host.OkAsync(HttpMethod.Delete, $"{Svc}/apis/rev;rev=1");
        Assert.Equal(["2", "3"], (await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/rev/revisions"))["value"]!.AsArray().Select(r => (string?)r!["apiRevision"]));
        await _host.OkAsync(HttpMethod.Delete, $"{Svc}/apis/rev");
        foreach (var path in new[] { "apis/rev", "apis/rev;rev=3", "apis/rev;rev=3/operations" })
        {
            using var none = await _host.SendAsync(HttpMethod.Get, $"{Svc}/{path}");
            Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        }
    }

    [Fact]
    public async Task IsCurrentTrue_OnARevision_MakesItCurrentWithoutARelease_AndTheCurrentOneCannotBeUnmadeCurrent()
    {
        await _host.PutAsync($"{Svc}/apis/cur", Api("Cur", "cur", new { apiRevisionDescription = "First" }));
        await _host.PutAsync($"{Svc}/apis/cur/operations/one", new { properties = new { displayName = "One", method = "GET", urlTemplate = "/one" } });
        await _host.PutAsync($"{Svc}/apis/cur;rev=2", new { properties = new { sourceApiId = "/apis/cur", apiRevisionDescription = "Second" } });
        await _host.PutAsync($"{Svc}/apis/cur;rev=2/operations/two", new { properties = new { displayName = "Two", method = "GET", urlTemplate = "/two" } });
        await _host.PutAsync($"{Svc}/apis/cur;rev=3", new { properties = new { sourceApiId = "/apis/cur", apiRevisionDescription = "Third" } });

        // isCurrent false on the current revision, by either name: refused, naming isCurrent; nothing changes.
        foreach (var (method, path) in new[] { (HttpMethod.Put, "apis/cur"), (HttpMethod.Patch, "apis/cur"), (HttpMethod.Patch, "apis/cur;rev=1") })
        {
            var refused = await ErrorOfAsync(method, $"{Svc}/{path}", Api("Cur", "cur", new { isCurrent = false }), HttpStatusCode.BadRequest);
            Assert.Equal(["isCurrent"], Targets(refused));
            Assert.Contains("current revision", (string?)refused["details"]![0]!["message"], StringComparison.Ordinal);
        }

        // A revision that does not exist yet cannot be created current (APIM: create it, then make it current); nor is isCurrent anything but a boolean.
        Assert.Equal(["isCurrent"], Targets(await ErrorOfAsync(HttpMethod.Put, $"{Svc}/apis/cur;rev=9", new { properties = new { isCurrent = true } }, HttpStatusCode.BadRequest)));
        Assert.Equal(["isCurrent"], Targets(await ErrorOfAsync(HttpMethod.Patch, $"{Svc}/apis/cur;rev=2", new { properties = new { isCurrent = "yes" } }, HttpStatusCode.BadRequest)));
        using (var none = await _host.SendAsync(HttpMethod.Get, $"{Svc}/apis/cur;rev=9"))
        {
            Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        }

        Assert.Equal([true, false, false], (await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/cur/revisions"))["value"]!.AsArray().Select(r => (bool)r!["isCurrent"]!));
        // false on a revision that is not current, and true on the current one, ask nothing.
        Assert.False((bool)(await _host.OkAsync(HttpMethod.Patch, $"{Svc}/apis/cur;rev=3", new { properties = new { isCurrent = false } }))["properties"]!["isCurrent"]!);
        Assert.Equal("1", (string?)(await _host.OkAsync(HttpMethod.Patch, $"{Svc}/apis/cur", new { properties = new { isCurrent = true } }))["properties"]!["apiRevision"]);

        // PUT apis/cur;rev=2 with isCurrent true: written with the body's other fields, then current; revision 1 is apis/cur;rev=1.
        var made = await _host.OkAsync(HttpMethod.Put, $"{Svc}/apis/cur;rev=2", new { properties = new { isCurrent = true, apiRevisionDescription = "Second, live", serviceUrl = "http://127.0.0.1:9/cur2" } });
        Assert.Equal($"{Svc}/apis/cur", (string?)made["id"]);
        Assert.Equal("2", (string?)made["properties"]!["apiRevision"]);
        Assert.True((bool)made["properties"]!["isCurrent"]!);
        Assert.Equal("Second, live", (string?)made["properties"]!["apiRevisionDescription"]);
        var current = await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/cur");
        Assert.Equal("2", (string?)current["properties"]!["apiRevision"]);
        Assert.Equal("http://127.0.0.1:9/cur2", (string?)current["properties"]!["serviceUrl"]);
        Assert.Equal(["one", "two"], (await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/cur/operations"))["value"]!.AsArray().Select(o => (string?)o!["name"]));
        var previous = await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/cur;rev=1");
        Assert.False((bool)previous["properties"]!["isCurrent"]!);
        Assert.Equal("First", (string?)previous["properties"]!["apiRevisionDescription"]);
        Assert.Equal(["one"], (await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/cur;rev=1/operations"))["value"]!.AsArray().Select(o => (string?)o!["name"]));
        var revisions = (await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/cur/revisions"))["value"]!.AsArray();
        Assert.Equal([false, true, false], revisions.Select(r => (bool)r!["isCurrent"]!));
        Assert.Equal("/cur;rev=1", (string?)revisions[0]!["privateUrl"]);
        // As APIM's make-current without posting to the change log: no release is recorded.
        Assert.Empty((await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/cur/releases"))["value"]!.AsArray());

        // PATCH with isCurrent true does the same; the old current revision can now be deleted alone.
        var patched = await _host.OkAsync(HttpMethod.Patch, $"{Svc}/apis/cur;rev=3", new { properties = new { isCurrent = true } });
        Assert.Equal("3", (string?)patched["properties"]!["apiRevision"]);
        Assert.Equal([false, false, true], (await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/cur/revisions"))["value"]!.AsArray().Select(r => (bool)r!["isCurrent"]!));
        Assert.Equal("Second, live", (string?)(await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/cur;rev=2"))["properties"]!["apiRevisionDescription"]);
        await _host.OkAsync(HttpMethod.Delete, $"{Svc}/apis/cur;rev=2");
        Assert.Equal(["1", "3"], (await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/cur/revisions"))["value"]!.AsArray().Select(r => (string?)r!["apiRevision"]));
    }

    [Fact]
    public async Task RevisionOfAnApiThatDoesNotExist_CreatesTheApi_AsArmTemplatesDo_AndAChangeOfTheApiReachesItsRevisions()
    {
        using (var created = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/arm;rev=1", Api("ARM", "arm")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal("arm", (string?)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["name"]);
        }

        // Without sourceApiId a revision starts from the current one's properties, with no operations.
        await _host.PutAsync($"{Svc}/apis/arm/operations/op", new { properties = new { displayName = "Op", method = "GET", urlTemplate = "/op" } });
        var second = await _host.PutAsync($"{Svc}/apis/arm;rev=2", new { properties = new { serviceUrl = "http://127.0.0.1:9/two" } });
        Assert.Equal("ARM", (string?)second["properties"]!["displayName"]);
        Assert.Empty((await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/arm;rev=2/operations"))["value"]!.AsArray());

        await _host.OkAsync(HttpMethod.Patch, $"{Svc}/apis/arm", new { properties = new { path = "arm2", displayName = "ARM 2" } });
        var follows = await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/arm;rev=2");
        Assert.Equal("arm2", (string?)follows["properties"]!["path"]);
        Assert.Equal("ARM 2", (string?)follows["properties"]!["displayName"]);
        Assert.Equal("http://127.0.0.1:9/two", (string?)follows["properties"]!["serviceUrl"]);

        Assert.Equal(["apiId"], Targets(await ErrorOfAsync(HttpMethod.Get, $"{Svc}/apis/arm;rev=x", null, HttpStatusCode.BadRequest)));
        using var missing = await _host.SendAsync(HttpMethod.Get, $"{Svc}/apis/arm;rev=9");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Clone_CopiesOperationsPoliciesSchemasAndTags_FromARevisionToo_AndAMissingSourceIsNamed()
    {
        await _host.PutAsync($"{Svc}/apis/src", Api("Source", "src"));
        await _host.PutAsync($"{Svc}/apis/src/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/get" } });
        await _host.PutAsync($"{Svc}/apis/src;rev=2", new { properties = new { sourceApiId = "/apis/src" } });
        await _host.PutAsync($"{Svc}/apis/src;rev=2/operations/post", new { properties = new { displayName = "Post", method = "POST", urlTemplate = "/post" } });
        await _host.PutAsync($"{Svc}/apis/src;rev=2/policies/policy", new { properties = new { format = "rawxml", value = ApiPolicy } });

        // A clone of revision 2 is a new API (revision 1, current) with revision 2's operations and policy.
        var clone = await _host.PutAsync($"{Svc}/apis/copy", Api("Copy", "copy", new { sourceApiId = $"{Svc}/apis/src;rev=2" }));
        Assert.Equal("1", (string?)clone["properties"]!["apiRevision"]);
        Assert.True((bool)clone["properties"]!["isCurrent"]!);
        Assert.Equal(["get", "post"], (await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/copy/operations"))["value"]!.AsArray().Select(o => (string?)o!["name"]).Order());
        Assert.Contains("x-rev", (string?)(await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/copy/policies/policy?format=rawxml"))["properties"]!["value"]);

        foreach (var source in new[] { "/apis/src;rev=5", "/apis/none", "/apis/none;rev=1" })
        {
            var error = await ErrorOfAsync(HttpMethod.Put, $"{Svc}/apis/copy2", Api("Copy 2", "copy2", new { sourceApiId = source }), HttpStatusCode.BadRequest);
            Assert.Equal(["sourceApiId"], Targets(error));
        }

        // A revision is made from a revision of its own API.
        Assert.Equal(["sourceApiId"], Targets(await ErrorOfAsync(HttpMethod.Put, $"{Svc}/apis/copy;rev=2", new { properties = new { sourceApiId = "/apis/src" } }, HttpStatusCode.BadRequest)));
    }

    [Fact]
    public async Task DeveloperPortalCatalogue_ShowsAnApisCurrentRevisionOnly()
    {
        await using var host = await TollgateHost.StartAsync(new Dictionary<string, string?>
        {
            ["Tollgate:Roles"] = "management,portal",
            ["Tollgate:Portal:SubscriptionId"] = "sub1",
            ["Tollgate:Portal:ResourceGroup"] = "rg1",
            ["Tollgate:Portal:DefaultInstance"] = "catalogue",
        });
        var svc = TollgateHost.ServicePath("catalogue");
        await host.CreateServiceAsync("catalogue");
        await host.PutAsync($"{svc}/apis/shown", Api("Shown API", "shown"));
        await host.PutAsync($"{svc}/apis/shown;rev=2", new { properties = new { sourceApiId = "/apis/shown" } });

        using var portal = new HttpClient { BaseAddress = new Uri(host.Server.Settings.Portal.Url) };
        foreach (var page in new[] { "/apis", "/apis?search=Shown", "/" })
        {
            var html = await portal.GetStringAsync(page);
            Assert.Contains("href=\"/apis/shown\"", html, StringComparison.Ordinal);
            Assert.DoesNotContain("rev=2", Uri.UnescapeDataString(html), StringComparison.Ordinal);
        }
    }
}
