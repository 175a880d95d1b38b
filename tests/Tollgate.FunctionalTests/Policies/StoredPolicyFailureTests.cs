using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Management.Persistence;
using Tollgate.Management.Services;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Policies;

/// <summary>
/// A stored policy document the gateway cannot load (saved by an older version, or written behind management's back)
/// never stops the process nor holds back other changes: it fails only the operations it applies to, with a 500
/// naming the problem, and management still lists it. Before the fix a 5,000-level document stored this way ended
/// every start with a stack overflow, and any document that did not build left the gateway without any snapshot.
/// </summary>
public sealed class StoredPolicyFailureTests
{
    private const string Service = "stored";

    private static string Svc => TollgateHost.ServicePath(Service);

    private static string NestedChoose(int levels) =>
        "<policies><inbound>" + string.Concat(Enumerable.Repeat("<choose><when condition=\"true\">", levels)) + "<set-header name=\"X\"><value>1</value></set-header>"
        + string.Concat(Enumerable.Repeat("</when></choose>", levels)) + "</inbound></policies>";

    private static async Task SetUpAsync(TollgateHost host, RecordingBackend backend)
    {
        await host.CreateServiceAsync(Service);
        foreach (var api in new[] { "good", "bad" })
        {
            await host.PutAsync($"{Svc}/apis/{api}", new { properties = new { displayName = api, path = api, serviceUrl = backend.Url, protocols = new[] { "http" }, subscriptionRequired = false } });
            await host.PutAsync($"{Svc}/apis/{api}/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/items" } });
            await host.PutAsync($"{Svc}/apis/{api}/operations/other", new { properties = new { displayName = "Other", method = "GET", urlTemplate = "/other" } });
        }

        await host.PutAsync($"{Svc}/apis/good/policies/policy", new
        {
            properties = new { format = "xml", value = "<policies><inbound><set-header name=\"X-Good\"><value>yes</value></set-header></inbound></policies>" },
        });
    }

    /// <summary>Writes a policy document straight into the store, skipping management's validation.</summary>
    private static async Task StoreAsync(TollgateHost host, string parent, string xml)
    {
        var store = host.Server.Services!.GetRequiredService<IResourceStore>();
        await store.ApplyAsync(Service, [new ResourceChange.Put(new ResourceKey(Service, PolicyService.Kind, parent, "policy"), new JsonObject { ["format"] = "xml", ["value"] = xml }, null)]);
    }

    private static async Task<string> ServerErrorAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.InternalServerError, $"{(int)response.StatusCode}: {text}");
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(500, (int)body["statusCode"]!);
        return (string)body["message"]!;
    }

    public static TheoryData<string, string, string> BadDocuments => new()
    {
        // Deeper than any policy may be (5,000 levels crashed every start).
        { "apis/bad/operations/get", NestedChoose(5_000), "more than 64 levels deep" },

        // Not a policy this version knows.
        { "apis/bad/operations/get", "<policies><inbound><redirect-content-urls /></inbound></policies>", "'redirect-content-urls' is not a known policy" },

        // An expression that does not compile.
        { "apis/bad/operations/get", "<policies><inbound><set-header name=\"X\"><value>@(context.NoSuchMember)</value></set-header></inbound></policies>", "NoSuchMember" },

        // A Liquid template that does not parse (stored before management checked documents with the gateway's build).
        { "apis/bad/operations/get", "<policies><inbound><set-body template=\"liquid\">{% if body.x %}never closed</set-body></inbound></policies>", "Liquid template does not parse" },

        // A DTD.
        { "apis/bad/operations/get", "<!DOCTYPE policies [<!ENTITY e \"x\">]><policies><inbound /></policies>", "DTD" },
    };

    [Theory]
    [MemberData(nameof(BadDocuments))]
    public async Task StoredDocumentThatCannotBeLoaded_FailsOnlyItsOperation_AcrossARestart(string parent, string xml, string problem)
    {
        await using var backend = await RecordingBackend.StartAsync();
        var data = Directory.CreateTempSubdirectory("tollgate-stored-").FullName;
        try
        {
            await using (var first = await TollgateHost.StartAsync(dataDirectory: data))
            {
                await SetUpAsync(first, backend);
                await StoreAsync(first, parent, xml);
            }

            // The process starts from a store holding the document.
            await using var host = await TollgateHost.StartAsync(dataDirectory: data);

            using (var broken = await host.Gateway.GetAsync("/bad/items"))
            {
                var message = await ServerErrorAsync(broken);
                Assert.Contains("operation 'bad/get'", message);
                Assert.Contains(problem, message);
            }

            using (var sibling = await host.Gateway.GetAsync("/bad/other"))
            {
                Assert.Equal(HttpStatusCode.OK, sibling.StatusCode);
            }

            using (var good = await host.Gateway.GetAsync("/good/items"))
            {
                Assert.Equal(HttpStatusCode.OK, good.StatusCode);
                Assert.Equal("yes", backend.Last.Header("X-Good"));
            }

            // Management still lists it, and other changes are served.
            var listed = await host.OkAsync(HttpMethod.Get, $"{Svc}/{parent}/policies");
            Assert.Equal(xml, (string)listed["value"]![0]!["properties"]!["value"]!);
            var policy = await host.OkAsync(HttpMethod.Get, $"{Svc}/{parent}/policies/policy");
            Assert.Contains(problem, string.Join("\n", policy["properties"]!["problems"]!.AsArray().Select(p => (string)p!)));
            await host.PutAsync($"{Svc}/apis/good/policies/policy", new
            {
                properties = new { format = "xml", value = "<policies><inbound><set-header name=\"X-Good\"><value>again</value></set-header></inbound></policies>" },
            });
            using (var changed = await host.Gateway.GetAsync("/good/items"))
            {
                Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
                Assert.Equal("again", backend.Last.Header("X-Good"));
            }

            // A new API added while the document is stored is routed (the gateway follows the store).
            await host.PutAsync($"{Svc}/apis/fresh", new { properties = new { displayName = "fresh", path = "fresh", serviceUrl = backend.Url, protocols = new[] { "http" }, subscriptionRequired = false } });
            await host.PutAsync($"{Svc}/apis/fresh/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/items" } });
            using (var fresh = await host.Gateway.GetAsync("/fresh/items"))
            {
                Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
                Assert.Equal("/items", backend.Last.Path);
            }

            using (var stillBroken = await host.Gateway.GetAsync("/bad/items"))
            {
                Assert.Contains(problem, await ServerErrorAsync(stillBroken));
            }

            // Replacing the document through management mends the operation.
            await host.PutAsync($"{Svc}/{parent}/policies/policy", new { properties = new { format = "xml", value = "<policies><inbound /></policies>" } });
            using var mended = await host.Gateway.GetAsync("/bad/items");
            Assert.Equal(HttpStatusCode.OK, mended.StatusCode);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task StoredApiPolicyThatCannotBeLoaded_FailsEveryOperationOfTheApi_AndNothingElse()
    {
        await using var backend = await RecordingBackend.StartAsync();
        await using var host = await TollgateHost.StartAsync();
        await SetUpAsync(host, backend);

        await StoreAsync(host, "apis/bad", "<policies><inbound><no-such-policy /></inbound></policies>");
        await host.Server.Services!.GetRequiredService<SnapshotPublisher>().PublishAsync(Service, CancellationToken.None);

        foreach (var path in new[] { "/bad/items", "/bad/other" })
        {
            using var broken = await host.Gateway.GetAsync(path);
            var message = await ServerErrorAsync(broken);
            Assert.Contains("the policy of API 'bad' cannot be loaded", message);
            Assert.Contains("no-such-policy", message);
        }

        using var good = await host.Gateway.GetAsync("/good/items");
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
    }

    [Fact]
    public async Task StoredFragmentsThatIncludeEachOther_FailTheOperationsIncludingThem_InsteadOfRecursingForever()
    {
        await using var backend = await RecordingBackend.StartAsync();
        await using var host = await TollgateHost.StartAsync();
        await SetUpAsync(host, backend);
        var store = host.Server.Services!.GetRequiredService<IResourceStore>();
        await store.ApplyAsync(Service,
        [
            new ResourceChange.Put(new ResourceKey(Service, PolicyService.FragmentKind, "", "ping"), new JsonObject { ["format"] = "xml", ["value"] = "<fragment><include-fragment fragment-id=\"pong\" /></fragment>" }, null),
            new ResourceChange.Put(new ResourceKey(Service, PolicyService.FragmentKind, "", "pong"), new JsonObject { ["format"] = "xml", ["value"] = "<fragment><include-fragment fragment-id=\"ping\" /></fragment>" }, null),
        ]);
        await StoreAsync(host, "apis/bad/operations/get", "<policies><inbound><include-fragment fragment-id=\"ping\" /></inbound></policies>");
        await host.Server.Services!.GetRequiredService<SnapshotPublisher>().PublishAsync(Service, CancellationToken.None);

        using (var broken = await host.Gateway.GetAsync("/bad/items"))
        {
            Assert.Contains("policy fragment 'ping' includes itself", await ServerErrorAsync(broken));
        }

        using var good = await host.Gateway.GetAsync("/good/items");
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
    }

    [Fact]
    public async Task FragmentThatWouldIncludeItself_IsRefusedOnSave()
    {
        await using var host = await TollgateHost.StartAsync();
        await host.CreateServiceAsync(Service);
        await host.PutAsync($"{Svc}/policyFragments/ping", new { properties = new { format = "xml", value = "<fragment><set-header name=\"X\"><value>1</value></set-header></fragment>" } });
        await host.PutAsync($"{Svc}/policyFragments/pong", new { properties = new { format = "xml", value = "<fragment><include-fragment fragment-id=\"ping\" /></fragment>" } });

        using var cycle = await host.SendAsync(HttpMethod.Put, $"{Svc}/policyFragments/ping", new
        {
            properties = new { format = "xml", value = "<fragment><include-fragment fragment-id=\"pong\" /></fragment>" },
        });

        var error = await ArmAssert.ErrorAsync(cycle, HttpStatusCode.BadRequest);
        Assert.Contains("ping -> pong -> ping", Messages(error));
    }

    private static string Messages(JsonObject error) => string.Join("\n", error["details"]!.AsArray().Select(d => (string)d!["message"]!));
}
