using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Tollgate.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.FunctionalTests.Management;

/// <summary>
/// Runs every example of <c>RestExamples/manifest.json</c> once, in the manifest's order (the instance, then the writes
/// later examples read, reads, updates, actions, deletes, the instance last), against one Tollgate, and keeps what each
/// was answered. Prerequisites no example creates are created first, with the ids the example uses (the manifest's
/// <c>setup</c>, each with the reason). The example's own instance (<c>subid</c>/<c>rg1</c>/<c>apimService1</c>) becomes
/// this one, in the path and in ids inside the body.
/// </summary>
public sealed class RestExamplesFixture : IAsyncLifetime
{
    internal const string Service = "rest-examples";

    internal static string Directory => Path.Combine(AppContext.BaseDirectory, "Management", "RestExamples");

    internal IReadOnlyDictionary<string, IReadOnlyList<string>> Problems { get; private set; } = new Dictionary<string, IReadOnlyList<string>>();

    public async Task InitializeAsync()
    {
        await using var host = await TollgateHost.StartAsync();
        var service = TollgateHost.ServicePath(Service);
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Directory, "manifest.json")))!;
        var problems = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var entry in manifest["examples"]!.AsArray().OfType<JsonObject>())
        {
            var file = (string)entry["file"]!;
            problems[file] = await RunAsync(host, service, entry, JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Directory, file)))!.AsObject());
        }

        Problems = problems;
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static async Task<IReadOnlyList<string>> RunAsync(TollgateHost host, string service, JsonObject entry, JsonObject example)
    {
        var parameters = example["parameters"]!.AsObject();
        var documented = example["responses"]!.AsObject();
        var problems = new List<string>();
        foreach (var step in entry["setup"]?.AsArray().OfType<JsonObject>() ?? [])
        {
            var method = (string)step["method"]!;
            var path = (string)step["path"]!;
            var body = step["body"] is JsonValue v && (string?)v == "response"
                ? new JsonObject { ["properties"] = ResponseProperties(documented, path[(path.LastIndexOf('/') + 1)..]) }
                : step["body"]?.DeepClone();
            using var response = await host.SendAsync(new HttpMethod(method), $"{service}/{path}", InstanceIds(body, parameters, service));
            if ((int)response.StatusCode >= 300 && !(method == "DELETE" && response.StatusCode == HttpStatusCode.NotFound))
            {
                problems.Add($"setup {method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }

        var instance = new Dictionary<string, string>
        {
            ["subscriptionId"] = "sub1",
            ["resourceGroupName"] = "rg1",
            ["serviceName"] = Service,
        };
        var url = Regex.Replace((string)entry["path"]!, @"\{([^}]+)\}", m =>
            instance.TryGetValue(m.Groups[1].Value, out var mine) ? mine : Uri.EscapeDataString((string)parameters[m.Groups[1].Value]!).Replace("%3B", ";").Replace("%3D", "="));
        using var answer = await host.SendAsync(new HttpMethod((string)entry["method"]!), url,
            InstanceIds(parameters["parameters"], parameters, service), (string?)parameters["If-Match"]);
        var text = await answer.Content.ReadAsStringAsync();
        var status = ((int)answer.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (documented[status] is not JsonObject expected)
        {
            problems.Add($"status {status} (APIM documents {string.Join(", ", documented.Select(r => r.Key))}): {text}");
            return problems;
        }

        if (expected["body"] is { } expectedBody)
        {
            JsonNode? actual = null;
            try
            {
                actual = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                problems.Add($"body is not JSON: {text}");
            }

            if (actual is not null)
            {
                problems.AddRange(ArmShape.Body(expectedBody, actual));
            }
        }

        if (expected["headers"] is JsonObject headers && headers.Any(h => h.Key.Equals("etag", StringComparison.OrdinalIgnoreCase))
            && answer.Headers.ETag is null)
        {
            problems.Add("ETag header: missing");
        }

        return problems;
    }

    /// <summary>The properties of the example's answer (200, else 201); in a list, those of the item with that name.</summary>
    private static JsonNode ResponseProperties(JsonObject documented, string name)
    {
        var body = (documented["200"]?["body"] ?? documented["201"]!["body"])!;
        if (body["value"] is JsonArray items)
        {
            body = items.First(i => (string?)i!["name"] == name)!;
        }

        return body["properties"]!.DeepClone();
    }

    /// <summary>The example's ARM ids of its own instance (…/service/apimService1/…) as ids of this one; the JSON text to send.</summary>
    private static string? InstanceIds(JsonNode? body, JsonObject parameters, string service)
    {
        if (body is null)
        {
            return null;
        }

        var theirs = $"/subscriptions/{parameters["subscriptionId"]}/resourceGroups/{parameters["resourceGroupName"]}/providers/Microsoft.ApiManagement/service/{parameters["serviceName"]}";
        return Regex.Replace(body.ToJsonString(), Regex.Escape(theirs), _ => service, RegexOptions.IgnoreCase);
    }
}

/// <summary>
/// Issue 13: Microsoft's REST API examples of the management API 2022-08-01 (Azure/azure-rest-api-specs, stored unchanged in
/// <c>RestExamples/</c>, see its SOURCE.md) for the resources Tollgate implements, each answered in APIM's shape: a
/// status code the example documents and a body of the example's shape (<see cref="ArmShape"/>). The ones that are
/// not are listed in <see cref="Known"/> with the reason; they must still fail, so the list stays true.
/// <c>scripts/apim-rest-examples.py</c> runs the same manifest against a running Tollgate from outside.
/// </summary>
public sealed class RestExamplesTests(RestExamplesFixture fixture, ITestOutputHelper output) : IClassFixture<RestExamplesFixture>
{
    /// <summary>The examples not answered in APIM's shape yet, and why. "endpoint:" — the route is missing (Api/).</summary>
    public static readonly IReadOnlyDictionary<string, string> Known = new Dictionary<string, string>
    {
        ["ApiManagementUpdateApiOperation.json"] = "the documented answer is another operation's (CancelOrder, whose request has a description); the update "
            + "sets no request description, so Tollgate's answer has none",
        ["ApiManagementUpdateServicePublisherDetails.json"] = "the instance's answer has no scmUrl (there is no Git configuration endpoint), publicIPAddresses "
            + "or customProperties (Azure's public addresses and its TLS and cipher switches)",
        ["ApiManagementUserToken.json"] = "the example's expiry (2019-04-21) is in the past: Tollgate refuses a token that could never be used, naming 'expiry'",
    };

    public static TheoryData<string> Files
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var file in ManifestFiles())
            {
                data.Add(file);
            }

            return data;
        }
    }

    private static List<string> ManifestFiles() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(RestExamplesFixture.Directory, "manifest.json")))!["examples"]!.AsArray()
            .Select(entry => (string)entry!["file"]!).ToList();

    [Fact]
    public void EveryStoredExample_IsInTheManifest_AndInSource()
    {
        var stored = System.IO.Directory.GetFiles(RestExamplesFixture.Directory, "ApiManagement*.json").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();
        var listed = ManifestFiles().Order(StringComparer.Ordinal).ToList();
        Assert.Equal(stored, listed);
        var source = File.ReadAllText(Path.Combine(RestExamplesFixture.Directory, "SOURCE.md"));
        Assert.All(stored, f => Assert.Contains($"`{f}`", source, StringComparison.Ordinal));
        Assert.All(Known.Keys, k => Assert.Contains(k, listed));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Example_IsAnsweredInApimShape(string file)
    {
        var problems = fixture.Problems[file];
        if (Known.TryGetValue(file, out var reason))
        {
            output.WriteLine($"{file}: known ({reason}): {string.Join("; ", problems)}");
            Assert.True(problems.Count > 0, $"'{file}' is now answered in APIM's shape: remove its Known reason ({reason}).");
            return;
        }

        Assert.True(problems.Count == 0, $"{file}:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
    }
}

/// <summary>
/// "In APIM's shape": the example's property names, recursively, are in the answer (values may differ — keys, dates,
/// etags, what the server decides); a resource's <c>id</c> has the example's form (the same collections, any names)
/// and its <c>type</c> the example's; a list is <c>value</c>/<c>count</c>/<c>nextLink</c> whose items have the names
/// every example item has. The same rules as <c>scripts/apim-rest-examples.py</c>.
/// </summary>
internal static class ArmShape
{
    /// <summary>Keys whose values are the user's own dictionaries (their names are data): only their presence counts.</summary>
    private static readonly HashSet<string> Opaque = ["customProperties", "document", "query", "header", "tags", "additionalProperties"];

    public static List<string> Body(JsonNode expected, JsonNode actual)
    {
        var problems = new List<string>();
        if (expected is JsonObject list && list["value"] is JsonArray expectedItems && list.ContainsKey("nextLink"))
        {
            if (actual is not JsonObject page || page["value"] is not JsonArray items)
            {
                problems.Add("body: expected a list {value, count, nextLink}");
                return problems;
            }

            foreach (var key in new[] { "count", "nextLink" }.Where(k => !page.ContainsKey(k)))
            {
                problems.Add($"body.{key}: missing");
            }

            var examples = expectedItems.OfType<JsonObject>().ToList();
            if (examples.Count > 0 && items.Count > 0)
            {
                var first = examples[0];
                for (var i = 0; i < items.Count; i++)
                {
                    Resource(first, items[i], $"body.value[{i}]", problems, withProperties: false);
                }

                Shape(Common(examples.Select(e => e["properties"] as JsonObject ?? [])), Union(items.Select(i => i?["properties"] as JsonObject ?? [])),
                    "body.value[].properties", problems);
            }
        }
        else if (expected is JsonObject resource && (resource.ContainsKey("properties") || resource.ContainsKey("id")))
        {
            Resource(resource, actual, "body", problems, withProperties: true);
        }
        else
        {
            Shape(expected, actual, "body", problems);
        }

        return problems;
    }

    private static void Resource(JsonObject expected, JsonNode? actual, string path, List<string> problems, bool withProperties)
    {
        if (actual is not JsonObject resource)
        {
            problems.Add($"{path}: expected a resource");
            return;
        }

        foreach (var key in new[] { "id", "name", "type" }.Where(expected.ContainsKey))
        {
            var value = resource[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? (string)v! : null;
            if (value is null)
            {
                problems.Add($"{path}.{key}: missing");
            }
            else if (key == "id" && !Form(value).SequenceEqual(Form((string)expected[key]!)))
            {
                problems.Add($"{path}.id: {value} is not of the form {expected[key]}");
            }
            else if (key == "type" && TypeForm(value) != TypeForm((string)expected[key]!))
            {
                problems.Add($"{path}.type: {value}, APIM's is {expected[key]}");
            }
        }

        if (!withProperties)
        {
            return;
        }

        // A resource's properties; a body that names a resource without them (an export link): its other names.
        var names = expected["properties"] is { } properties
            ? new JsonObject { ["properties"] = properties.DeepClone() }
            : new JsonObject(expected.Where(p => p.Key is not ("id" or "name" or "type")).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        Shape(names, resource, path, problems);
    }

    private static void Shape(JsonNode? expected, JsonNode? actual, string path, List<string> problems)
    {
        switch (expected)
        {
            case JsonObject names:
                if (actual is not JsonObject found)
                {
                    problems.Add($"{path}: expected an object, got {actual?.ToJsonString()}");
                    return;
                }

                foreach (var (key, value) in names)
                {
                    if (!found.ContainsKey(key))
                    {
                        problems.Add($"{path}.{key}: missing");
                    }
                    else if (!Opaque.Contains(key) && found[key] is not null)
                    {
                        Shape(value, found[key], $"{path}.{key}", problems);
                    }
                }

                break;
            case JsonArray items:
                if (actual is not JsonArray foundItems)
                {
                    problems.Add($"{path}: expected an array, got {actual?.ToJsonString()}");
                    return;
                }

                var objects = items.OfType<JsonObject>().ToList();
                if (objects.Count > 0 && foundItems.OfType<JsonObject>().Any())
                {
                    Shape(Common(objects), Union(foundItems.OfType<JsonObject>()), $"{path}[]", problems);
                }

                break;
        }
    }

    /// <summary>The names every object has (with the first one's values).</summary>
    private static JsonObject Common(IEnumerable<JsonObject> objects)
    {
        var all = objects.ToList();
        var result = new JsonObject();
        foreach (var (key, value) in all.FirstOrDefault() ?? [])
        {
            if (all.All(o => o.ContainsKey(key)))
            {
                result[key] = value?.DeepClone();
            }
        }

        return result;
    }

    /// <summary>The names any object has (a non-null value wins).</summary>
    private static JsonObject Union(IEnumerable<JsonObject> objects)
    {
        var result = new JsonObject();
        foreach (var o in objects)
        {
            foreach (var (key, value) in o)
            {
                if (value is not null || !result.ContainsKey(key))
                {
                    result[key] = value?.DeepClone();
                }
            }
        }

        return result;
    }

    /// <summary>An ARM id's form: its collection segments, the names left out (…/apis/{}/operations/{}).</summary>
    private static IEnumerable<string> Form(string id) =>
        id.Trim('/').Split('/').Select((part, i) => i % 2 == 0 ? part.ToLowerInvariant() : "{}");

    private static string TypeForm(string type) => type.ToLowerInvariant().Replace("-", "", StringComparison.Ordinal);
}
