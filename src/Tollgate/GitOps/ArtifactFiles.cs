using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Tollgate.Core.Policies;
using Tollgate.Management.Api;

namespace Tollgate.GitOps;

/// <summary>A problem in an artifact folder: the file (relative), the line when known, and what is wrong.</summary>
public sealed record ArtifactProblem(string File, int? Line, string Message)
{
    public override string ToString() => Line is { } line ? $"{File}:{line}: {Message}" : $"{File}: {Message}";
}

/// <summary>Reading and checking an artifact folder (<see cref="ArtifactExporter"/>'s layout) before anything is applied.</summary>
public static partial class ArtifactFiles
{
    /// <summary>Artifact files under <paramref name="root"/>: relative path ('/'-separated) → content. Other files are not read.</summary>
    public static SortedDictionary<string, string> Read(string root) => Read(root, out _);

    /// <summary>As <see cref="Read(string)"/>, with the files under the owned folders that are not part of the layout.</summary>
    public static SortedDictionary<string, string> Read(string root, out List<string> ignored)
    {
        ignored = [];
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(root))
        {
            return files;
        }

        var candidates = new List<string>();
        if (File.Exists(Path.Combine(root, "policy.xml")))
        {
            candidates.Add(Path.Combine(root, "policy.xml"));
        }

        foreach (var folder in ArtifactExporter.OwnedEntries.Select(e => Path.Combine(root, e)).Where(Directory.Exists))
        {
            candidates.AddRange(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories));
        }

        foreach (var path in candidates)
        {
            var relative = Path.GetRelativePath(root, path).Replace('\\', '/');
            if (Layout().IsMatch(relative))
            {
                files[relative] = File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal);
            }
            else
            {
                ignored.Add(relative);
            }
        }

        return files;
    }

    /// <summary>Every problem of the files: JSON that does not parse, policies that do not validate, OpenAPI documents that would not import, missing files.</summary>
    public static List<ArtifactProblem> Validate(IReadOnlyDictionary<string, string> files)
    {
        var problems = new List<ArtifactProblem>();
        foreach (var (path, text) in files)
        {
            if (path.EndsWith(".json", StringComparison.Ordinal) && !path.EndsWith("/specification.json", StringComparison.Ordinal))
            {
                CheckJson(path, text, problems);
            }
            else if (path.EndsWith("policy.xml", StringComparison.Ordinal))
            {
                var errors = path.StartsWith("policyFragments/", StringComparison.Ordinal) ? PolicyFragment.Validate(text) : PolicyValidator.Validate(text);
                problems.AddRange(errors.Select(e => new ArtifactProblem(path, e.Line, $"column {e.Column} ({e.Path}): {e.Message}")));
            }
            else if (Specification().IsMatch(path) && OpenApiService.Validate(text) is { } problem)
            {
                problems.Add(new ArtifactProblem(path, LineOf(problem, text), problem));
            }
        }

        foreach (var api in Folders(files, "apis"))
        {
            Require(files, $"apis/{api}/apiInformation.json", problems);
            if (SpecificationOf(files, api) is null)
            {
                problems.Add(new ArtifactProblem($"apis/{api}/specification.yaml", null, "missing: an API needs its OpenAPI document (specification.yaml, .yml or .json)."));
            }
        }

        var apis = Folders(files, "apis");
        foreach (var revision in apis.Where(a => a.Contains(";rev=", StringComparison.OrdinalIgnoreCase)))
        {
            var root = revision[..revision.IndexOf(";rev=", StringComparison.OrdinalIgnoreCase)];
            if (!int.TryParse(revision.AsSpan(root.Length + 5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) || number < 1)
            {
                problems.Add(new ArtifactProblem($"apis/{revision}", null, "not a revision's folder: use apis/{api};rev={n} with n a positive number."));
            }
            else if (!apis.Contains(root))
            {
                problems.Add(new ArtifactProblem($"apis/{revision}", null, $"a revision needs its API's folder apis/{root} (the current revision)."));
            }
        }

        foreach (var (collection, file) in new[] { ("apiVersionSets", "versionSetInformation.json"), ("backends", "backendInformation.json"), ("certificates", "certificateInformation.json") })
        {
            foreach (var name in Folders(files, collection))
            {
                Require(files, $"{collection}/{name}/{file}", problems);
            }
        }

        foreach (var product in Folders(files, "products"))
        {
            Require(files, $"products/{product}/productInformation.json", problems);
        }

        foreach (var fragment in Folders(files, "policyFragments"))
        {
            Require(files, $"policyFragments/{fragment}/policy.xml", problems);
        }

        return problems;
    }

    /// <summary>The names of the resource folders under a collection (<c>apis</c> → the API names).</summary>
    public static SortedSet<string> Folders(IEnumerable<KeyValuePair<string, string>> files, string collection) =>
        new(files.Select(f => f.Key.Split('/')).Where(p => p.Length >= 3 && p[0] == collection).Select(p => p[1]), StringComparer.Ordinal);

    /// <summary>The path of an API's OpenAPI document, whichever extension it has.</summary>
    public static string? SpecificationOf(IReadOnlyDictionary<string, string> files, string api) =>
        new[] { "yaml", "yml", "json" }.Select(e => $"apis/{api}/specification.{e}").FirstOrDefault(files.ContainsKey);

    /// <summary>The <c>properties</c> object of an information file.</summary>
    public static JsonObject Properties(string text) => JsonNode.Parse(text)?["properties"] as JsonObject ?? [];

    private static void Require(IReadOnlyDictionary<string, string> files, string path, List<ArtifactProblem> problems)
    {
        if (!files.ContainsKey(path))
        {
            problems.Add(new ArtifactProblem(path, null, "missing."));
        }
    }

    private static void CheckJson(string path, string text, List<ArtifactProblem> problems)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false, MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            problems.Add(new ArtifactProblem(path, (int?)ex.LineNumber + 1, "not valid JSON: " + ex.Message.Split(" Path:")[0].Split(" LineNumber:")[0]));
            return;
        }

        var list = path.EndsWith("/apis.json", StringComparison.Ordinal) || path.EndsWith("/groups.json", StringComparison.Ordinal);
        if (list)
        {
            if (node is not JsonArray array || array.Any(i => i?["name"] is not JsonValue name || name.GetValueKind() != JsonValueKind.String))
            {
                problems.Add(new ArtifactProblem(path, 1, "must be a list such as [{\"name\": \"starter\"}]."));
            }
        }
        else if (node?["properties"] is not JsonObject)
        {
            problems.Add(new ArtifactProblem(path, 1, "must be an object with \"properties\": {…}."));
        }
        else if (path.EndsWith("/apiInformation.json", StringComparison.Ordinal) && node["properties"]!["path"] is not JsonValue)
        {
            problems.Add(new ArtifactProblem(path, 1, "\"properties\" needs \"path\": the API's URL suffix."));
        }
    }

    /// <summary>The line a reader's message names ("line 7", "(Lin: 7"), else null.</summary>
    private static int? LineOf(string message, string text)
    {
        var match = LineInMessage().Match(message);
        return match.Success && int.TryParse(match.Groups[1].Value, out var line) && line >= 1 && line <= text.Count(c => c == '\n') + 1 ? line : null;
    }

    [GeneratedRegex("^(policy\\.xml|apis/[^/]+/(apiInformation\\.json|specification\\.(yaml|yml|json)|policy\\.xml|operations/[^/]+/policy\\.xml|releases/[^/]+/apiReleaseInformation\\.json)|products/[^/]+/(productInformation\\.json|policy\\.xml|apis\\.json|groups\\.json)|groups/[^/]+/groupInformation\\.json|namedValues/[^/]+/namedValueInformation\\.json|policyFragments/[^/]+/(policyFragmentInformation\\.json|policy\\.xml)|apiVersionSets/[^/]+/versionSetInformation\\.json|backends/[^/]+/backendInformation\\.json|certificates/[^/]+/certificateInformation\\.json)$")]
    private static partial Regex Layout();

    [GeneratedRegex("^apis/[^/]+/specification\\.(yaml|yml|json)$")]
    private static partial Regex Specification();

    [GeneratedRegex("(?:line|Lin:|Line)\\s*(\\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex LineInMessage();
}
