using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Commands;

namespace Tollgate.GitOps;

/// <summary>
/// An instance as files in APIOps' artifact layout, read through the management API:
/// <code>
/// policy.xml                                          the global policy
/// apis/{api}/apiInformation.json                      {"properties":{…}}
/// apis/{api}/specification.yaml                       OpenAPI 3 (the API's operations)
/// apis/{api}/policy.xml, operations/{op}/policy.xml
/// apis/{api};rev={n}/…                                a non-current revision, with the same files
/// apis/{api}/releases/{id}/apiReleaseInformation.json a release: the revision it names (apiId) and its notes
/// apiVersionSets/{id}/versionSetInformation.json      version sets (an API names its set as /apiVersionSets/{id})
/// backends/{id}/backendInformation.json               url, credentials, circuitBreaker, pool, tls…
/// certificates/{id}/certificateInformation.json       names the certificate only: its PFX is a secret
/// products/{product}/productInformation.json, policy.xml, apis.json, groups.json
/// groups/{group}/groupInformation.json                custom groups (the built-in ones exist everywhere)
/// namedValues/{name}/namedValueInformation.json       secret values left out
/// policyFragments/{id}/policyFragmentInformation.json, policy.xml
/// </code>
/// Output is deterministic: JSON with sorted keys, two-space indents and "\n" line ends; lists sorted by name;
/// policies exactly as stored. Exporting an unchanged instance twice gives byte-identical files.
/// </summary>
public static partial class ArtifactExporter
{
    /// <summary>The top-level entries an export owns in its folder; anything else there (.git, README) is left alone.</summary>
    public static readonly IReadOnlyList<string> OwnedEntries = ["apis", "products", "groups", "namedValues", "policyFragments", "apiVersionSets", "backends", "certificates", "policy.xml"];

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        IndentSize = 2,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Read-only properties the server computes: never written, never applied.</summary>
    private static readonly HashSet<string> ReadOnly = new(StringComparer.Ordinal)
    {
        "isCurrent", "isOnline", "apiVersionSet", "builtIn", "provisioningState", "createdDate",
    };

    /// <summary>The instance's artifacts: relative path ('/'-separated) → file content.</summary>
    public static async Task<SortedDictionary<string, string>> ExportAsync(ManagementClient client, Action<string>? progress, CancellationToken ct)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        progress?.Invoke("global policy");
        if (await PolicyAsync(client, "", ct) is { } global)
        {
            files["policy.xml"] = global;
        }

        foreach (var api in ByName(await client.ListAsync("/apis", ct)))
        {
            var name = Name(api);
            progress?.Invoke($"API {name}");
            var dir = $"apis/{name}/";
            // The folder of a non-current revision is apis/{api};rev={n} (as GET apis lists it); the current one's
            // apiInformation.json keeps its apiRevision, so which revision is current travels with the folder.
            files[dir + "apiInformation.json"] = Information(Relative(api["properties"] as JsonObject));
            var link = await client.GetAsync($"/apis/{Escape(name)}?export=true&format=openapi-link", ct);
            var url = (string?)link["value"]?["link"] ?? throw new ManagementException(500, "InvalidResponse", $"The export of API '{name}' named no link.");
            files[dir + "specification.yaml"] = Lf(await client.DownloadAsync(url, ct));
            if (await PolicyAsync(client, $"/apis/{Escape(name)}", ct) is { } apiPolicy)
            {
                files[dir + "policy.xml"] = apiPolicy;
            }

            if (!name.Contains(";rev=", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var release in ByName(await client.ListAsync($"/apis/{Escape(name)}/releases", ct)))
                {
                    // When it was made is the instance's own record, not something to apply.
                    var properties = Relative(release["properties"] as JsonObject) ?? [];
                    properties.Remove("createdDateTime");
                    properties.Remove("updatedDateTime");
                    files[$"{dir}releases/{Name(release)}/apiReleaseInformation.json"] = Information(properties);
                }
            }

            foreach (var operation in ByName(await client.ListAsync($"/apis/{Escape(name)}/operations", ct)))
            {
                if (await PolicyAsync(client, $"/apis/{Escape(name)}/operations/{Escape(Name(operation))}", ct) is { } operationPolicy)
                {
                    files[$"{dir}operations/{Name(operation)}/policy.xml"] = operationPolicy;
                }
            }
        }

        foreach (var product in ByName(await client.ListAsync("/products", ct)))
        {
            var name = Name(product);
            progress?.Invoke($"product {name}");
            var dir = $"products/{name}/";
            files[dir + "productInformation.json"] = Information(product["properties"] as JsonObject);
            if (await PolicyAsync(client, $"/products/{Escape(name)}", ct) is { } productPolicy)
            {
                files[dir + "policy.xml"] = productPolicy;
            }

            files[dir + "apis.json"] = NameList(await client.ListAsync($"/products/{Escape(name)}/apis", ct));
            files[dir + "groups.json"] = NameList(await client.ListAsync($"/products/{Escape(name)}/groups", ct));
        }

        progress?.Invoke("groups");
        foreach (var group in ByName(await client.ListAsync("/groups", ct)))
        {
            if (group["properties"]?["builtIn"] is JsonValue b && b.GetValue<bool>() || (string?)group["properties"]?["type"] == "system")
            {
                continue;
            }

            files[$"groups/{Name(group)}/groupInformation.json"] = Information(group["properties"] as JsonObject);
        }

        progress?.Invoke("named values");
        foreach (var namedValue in ByName(await client.ListAsync("/namedValues", ct)))
        {
            var properties = (JsonObject?)namedValue["properties"]?.DeepClone() ?? [];
            if (properties["secret"] is JsonValue s && s.GetValue<bool>())
            {
                // Secrets stay in the instance: the file names the value, apply takes it from the environment.
                properties.Remove("value");
            }

            files[$"namedValues/{Name(namedValue)}/namedValueInformation.json"] = Information(properties);
        }

        progress?.Invoke("version sets");
        foreach (var set in ByName(await client.ListAsync("/apiVersionSets", ct)))
        {
            files[$"apiVersionSets/{Name(set)}/versionSetInformation.json"] = Information(set["properties"] as JsonObject);
        }

        progress?.Invoke("backends");
        foreach (var backend in ByName(await client.ListAsync("/backends", ct)))
        {
            files[$"backends/{Name(backend)}/backendInformation.json"] = Information(Relative(backend["properties"] as JsonObject));
        }

        progress?.Invoke("certificates");
        foreach (var certificate in ByName(await client.ListAsync("/certificates", ct)))
        {
            // The PFX is a secret and never leaves the instance (as a secret named value's value): the file names the
            // certificate, and apply takes its PFX from the environment when the target lacks it. Its subject,
            // thumbprint and expiry are the PFX's, so they are left out too: each environment may hold its own.
            var information = new JsonObject();
            if (certificate["properties"]?["keyVault"] is JsonObject keyVault)
            {
                information["keyVault"] = keyVault.DeepClone();
            }

            files[$"certificates/{Name(certificate)}/certificateInformation.json"] = Information(information);
        }

        progress?.Invoke("policy fragments");
        foreach (var fragment in ByName(await client.ListAsync("/policyFragments", ct)))
        {
            var properties = fragment["properties"] as JsonObject ?? [];
            var dir = $"policyFragments/{Name(fragment)}/";
            var information = new JsonObject();
            if (properties["description"] is JsonValue description)
            {
                information["description"] = description.DeepClone();
            }

            files[dir + "policyFragmentInformation.json"] = Information(information);
            files[dir + "policy.xml"] = Lf((string?)properties["value"] ?? "", trim: false);
        }

        return files;
    }

    /// <summary>Writes the files under <paramref name="directory"/> and removes artifacts there that are no longer exported.</summary>
    public static void Write(string directory, IReadOnlyDictionary<string, string> files)
    {
        Directory.CreateDirectory(directory);
        var root = Path.GetFullPath(directory);
        foreach (var stale in ArtifactFiles.Read(root).Keys.Where(k => !files.ContainsKey(k)))
        {
            File.Delete(Path.Combine(root, stale));
        }

        foreach (var (relative, content) in files)
        {
            var path = Path.Combine(root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (!File.Exists(path) || File.ReadAllText(path) != content)
            {
                File.WriteAllText(path, content, new System.Text.UTF8Encoding(false));
            }
        }

        foreach (var owned in OwnedEntries.Select(e => Path.Combine(root, e)).Where(Directory.Exists))
        {
            RemoveEmptyDirectories(owned);
        }
    }

    private static void RemoveEmptyDirectories(string directory)
    {
        foreach (var child in Directory.GetDirectories(directory))
        {
            RemoveEmptyDirectories(child);
        }

        if (!Directory.EnumerateFileSystemEntries(directory).Any())
        {
            Directory.Delete(directory);
        }
    }

    /// <summary>The artifact JSON of a resource: <c>{"properties":{…}}</c> without read-only and null values, keys sorted.</summary>
    public static string Information(JsonObject? properties)
    {
        var clean = Sorted(properties ?? []) as JsonObject ?? [];
        foreach (var key in clean.Select(p => p.Key).Where(k => ReadOnly.Contains(k) || clean[k] is null).ToList())
        {
            clean.Remove(key);
        }

        return Serialize(new JsonObject { ["properties"] = clean });
    }

    public static string Serialize(JsonNode node) => node.ToJsonString(Json) + "\n";

    /// <summary>
    /// A copy in which every ARM id of this instance's resources (<c>/subscriptions/…/service/{name}/apiVersionSets/v1</c>)
    /// is relative (<c>/apiVersionSets/v1</c>): the folder then applies to an instance of another name, and exports
    /// of two instances compare equal.
    /// </summary>
    private static JsonObject? Relative(JsonObject? properties) => properties is null ? null : (JsonObject)RelativeNode(properties)!;

    private static JsonNode? RelativeNode(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, RelativeNode(p.Value)))),
        JsonArray a => new JsonArray(a.Select(RelativeNode).ToArray()),
        JsonValue v when v.TryGetValue<string>(out var text) && InstanceId().Match(text) is { Success: true } match => JsonValue.Create(match.Groups[1].Value),
        null => null,
        _ => node.DeepClone(),
    };

    [System.Text.RegularExpressions.GeneratedRegex("^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.ApiManagement/service/[^/]+(/(?:apiVersionSets|backends|certificates|apis|namedValues)/[^/]+)$", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex InstanceId();

    private static string NameList(IEnumerable<JsonObject> items)
    {
        var array = new JsonArray();
        foreach (var name in items.Select(Name).Order(StringComparer.Ordinal))
        {
            array.Add(new JsonObject { ["name"] = name });
        }

        return Serialize(array);
    }

    /// <summary>A copy with every object's keys in ordinal order.</summary>
    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Sorted).ToArray()),
        null => null,
        _ => node.DeepClone(),
    };

    private static async Task<string?> PolicyAsync(ManagementClient client, string owner, CancellationToken ct)
    {
        var policy = await client.FindAsync($"{owner}/policies/policy?format=rawxml", ct);
        return (string?)policy?["properties"]?["value"] is { } xml ? Lf(xml, trim: false) : null;
    }

    private static IEnumerable<JsonObject> ByName(IEnumerable<JsonObject> items) => items.OrderBy(Name, StringComparer.Ordinal);

    private static string Name(JsonObject item) => (string?)item["name"] ?? throw new ManagementException(500, "InvalidResponse", "A listed resource has no name.");

    private static string Escape(string name) => Uri.EscapeDataString(name);

    /// <summary>"\n" line ends (as the folder is read), and with <paramref name="trim"/> exactly one at the end.</summary>
    private static string Lf(string text, bool trim = true)
    {
        var lf = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        return trim ? lf.TrimEnd('\n') + "\n" : lf;
    }
}
