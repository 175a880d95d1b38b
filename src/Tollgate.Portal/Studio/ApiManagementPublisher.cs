using System.Text.Json.Nodes;
using Tollgate.Portal.Management;

namespace Tollgate.Portal.Studio;

/// <summary>
/// The dashboard's "Publish to API management": in one step, an API in front of a Studio web service in a Tollgate
/// instance, with the walkthrough's five operations, added to a product; or, when the API exists, its
/// <c>serviceUrl</c> pointed at this Studio (its operations made whole again).
/// </summary>
public sealed class ApiManagementPublisher(ManagementApi management)
{
    /// <summary>The walkthrough's five operations: id, method, URL template, display name, template parameters.</summary>
    public static readonly (string Id, string Method, string Template, string Name, string[] Parameters)[] Operations =
    [
        ("rrs-execute", "POST", "/workspaces/{workspace}/services/{service}/execute?api-version={apiversion}&details={details}", "RRS Execute", ["workspace", "service", "apiversion", "details"]),
        ("bes-submit", "POST", "/workspaces/{workspace}/services/{service}/jobs?api-version={apiversion}", "BES Submit", ["workspace", "service", "apiversion"]),
        ("bes-start", "POST", "/workspaces/{workspace}/services/{service}/jobs/{jobid}/start?api-version={apiversion}", "BES Start", ["workspace", "service", "jobid", "apiversion"]),
        ("bes-status", "GET", "/workspaces/{workspace}/services/{service}/jobs/{jobid}?api-version={apiversion}", "BES Status", ["workspace", "service", "jobid", "apiversion"]),
        ("bes-delete", "DELETE", "/workspaces/{workspace}/services/{service}/jobs/{jobid}?api-version={apiversion}", "BES Delete", ["workspace", "service", "jobid", "apiversion"]),
    ];

    /// <summary>What was done: the API's id, whether it was created, and its address on the instance's gateway.</summary>
    public sealed record Outcome(string ApiId, bool Created, string GatewayUrl);

    /// <summary>The operation's body (each with a <c>200 OK</c> response).</summary>
    public static JsonObject OperationBody(string method, string template, string name, IEnumerable<string> parameters) => new()
    {
        ["properties"] = new JsonObject
        {
            ["displayName"] = name,
            ["method"] = method,
            ["urlTemplate"] = template,
            ["templateParameters"] = new JsonArray(parameters.Select(p => (JsonNode)new JsonObject { ["name"] = p, ["type"] = "string", ["required"] = true }).ToArray()),
            ["responses"] = new JsonArray(new JsonObject { ["statusCode"] = 200, ["description"] = "OK" }),
        },
    };

    /// <summary>
    /// Creates or updates the API <paramref name="apiId"/> in <paramref name="instance"/> in front of <paramref name="serviceUrl"/>
    /// (Studio's base address) and adds it to <paramref name="product"/> (none when empty). Errors name the form's fields.
    /// </summary>
    public async Task<(Outcome? Outcome, ManagementError? Error)> PublishAsync(string instance, string apiId, string displayName, string path, string serviceUrl,
        string product, CancellationToken ct)
    {
        var existing = await management.GetAsync(instance, $"/apis/{Uri.EscapeDataString(apiId)}", ct);
        if (!existing.Ok && existing.Error!.Status != 404)
        {
            return (null, existing.Error);
        }

        var created = !existing.Ok;
        var api = created
            ? await management.PutAsync(instance, $"/apis/{Uri.EscapeDataString(apiId)}", new JsonObject
            {
                ["properties"] = new JsonObject
                {
                    ["displayName"] = displayName,
                    ["description"] = "An Azure ML Studio (classic) web service (RRS and BES) behind API management.",
                    ["serviceUrl"] = serviceUrl,
                    ["path"] = path,
                    ["protocols"] = new JsonArray("https"),
                },
            }, ct)
            : await management.PatchAsync(instance, $"/apis/{Uri.EscapeDataString(apiId)}", new JsonObject { ["properties"] = new JsonObject { ["serviceUrl"] = serviceUrl } }, ct);
        if (!api.Ok)
        {
            return (null, api.Error);
        }

        foreach (var (id, method, template, name, parameters) in Operations)
        {
            var operation = await management.PutAsync(instance, $"/apis/{Uri.EscapeDataString(apiId)}/operations/{id}", OperationBody(method, template, name, parameters), ct);
            if (!operation.Ok)
            {
                return (null, operation.Error);
            }
        }

        if (product.Length > 0)
        {
            var link = await management.PutAsync(instance, $"/products/{Uri.EscapeDataString(product)}/apis/{Uri.EscapeDataString(apiId)}", [], ct);
            if (!link.Ok)
            {
                return (null, link.Error! with { Details = [.. link.Error.Details.Select(d => d with { Target = "product" }), .. link.Error.Details.Count == 0 ? [new ErrorDetail("product", link.Error.Message)] : Array.Empty<ErrorDetail>()] });
            }
        }

        var service = await management.GetInstanceAsync(instance, ct);
        var gateway = service.Ok ? ResourceIds.Text(service.Body!, "gatewayUrl") : "";
        var apiPath = (string?)api.Body?["properties"]?["path"] ?? path;
        return (new Outcome(apiId, created, gateway.TrimEnd('/') + "/" + apiPath.TrimStart('/')), null);
    }
}
