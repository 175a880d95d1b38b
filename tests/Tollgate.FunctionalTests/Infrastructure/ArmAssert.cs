using System.Net;
using System.Text.Json.Nodes;

namespace Tollgate.FunctionalTests.Infrastructure;

/// <summary>Assertions on the management API's ARM error bodies.</summary>
public static class ArmAssert
{
    /// <summary>Requires the status and returns the <c>error</c> object of the body.</summary>
    public static async Task<JsonObject> ErrorAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["error"]!.AsObject();
    }

    /// <summary>The fields the error's details name.</summary>
    public static IEnumerable<string> Targets(JsonObject error) =>
        error["details"]!.AsArray().Select(d => (string)d!["target"]!);
}
