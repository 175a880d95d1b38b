using System.Text.Json.Nodes;
using Tollgate.Commands;

namespace Tollgate.Demo;

/// <summary>
/// docs/walkthrough.md Part 2, steps 1–3, done through the management API exactly as a user would:
/// create the instance, add the "AzureML Demo API", its five operations, and put it in the Starter product.
/// Idempotent: running it again leaves the same configuration.
/// </summary>
public static class TutorialSetup
{
    public const string ServiceName = "demoazureml";

    /// <summary>
    /// The Azure subscription id the demo's instance lives under. Azure SDKs require a GUID here; this is the
    /// all-zero one Azure's own documentation uses as a stand-in.
    /// </summary>
    public const string SubscriptionId = "00000000-0000-0000-0000-000000000000";

    /// <summary>The demo instance's resource group.</summary>
    public const string ResourceGroup = "tollgate";
    public const string ApiId = "azureml-demo";

    public static async Task<string> RunAsync(ManagementClient client, string backendUrl, CancellationToken ct) =>
        await RunAsync(client, backendUrl, ["https"], ct);

    /// <summary>The same, with the API served on <paramref name="protocols"/> (a gateway behind a balancer that speaks HTTP to it needs <c>http</c>).</summary>
    public static async Task<string> RunAsync(ManagementClient client, string backendUrl, IReadOnlyList<string> protocols, CancellationToken ct)
    {
        await client.PutAsync("", new JsonObject
        {
            ["location"] = "local",
            ["sku"] = new JsonObject { ["name"] = "Developer", ["capacity"] = 1 },
            ["properties"] = new JsonObject { ["publisherName"] = "Contoso ML", ["publisherEmail"] = "admin@contoso.example" },
        }, ct);
        await client.PutAsync($"/apis/{ApiId}", new JsonObject
        {
            ["properties"] = new JsonObject
            {
                ["displayName"] = "AzureML Demo API",
                ["description"] = "Azure ML Studio (classic) RRS and BES web service behind API management.",
                ["serviceUrl"] = backendUrl,
                ["path"] = "azureml-demo",
                ["protocols"] = new JsonArray(protocols.Select(p => (JsonNode?)p).ToArray()),
            },
        }, ct);
        foreach (var (id, method, template, name, parameters) in Operations)
        {
            await client.PutAsync($"/apis/{ApiId}/operations/{id}", Tollgate.Portal.Studio.ApiManagementPublisher.OperationBody(method, template, name, parameters), ct);
        }

        await client.PutAsync($"/products/starter/apis/{ApiId}", [], ct);
        var subscriptions = await client.GetAsync("/users/1/subscriptions", ct);
        var starter = subscriptions["value"]!.AsArray().OfType<JsonObject>()
            .First(s => ((string?)s["properties"]!["scope"])?.EndsWith("/products/starter", StringComparison.OrdinalIgnoreCase) == true);
        var secrets = await client.PostAsync($"/subscriptions/{(string)starter["name"]!}/listSecrets", ct);
        return (string)secrets["primaryKey"]!;
    }

    /// <summary>The tutorial's five operations: id, method, URL template, display name, template parameters.</summary>
    public static IReadOnlyList<(string Id, string Method, string Template, string Name, string[] Parameters)> Operations => Tollgate.Portal.Studio.ApiManagementPublisher.Operations;
}
