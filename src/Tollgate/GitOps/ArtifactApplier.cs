using System.Text.Json.Nodes;
using Tollgate.Commands;

namespace Tollgate.GitOps;

/// <summary>One write of an apply: what it does (for the plan) and the call that does it.</summary>
public sealed record ApplyStep(string Description, bool Deletes, Func<CancellationToken, Task> RunAsync);

/// <summary>The difference between an artifact folder and an instance, and the writes that make the instance match.</summary>
public sealed record ApplyPlan(
    IReadOnlyList<(string Path, string? Current, string? Desired)> Files,
    IReadOnlyList<ApplyStep> Steps,
    IReadOnlyList<string> KeptWithoutPrune,
    IReadOnlyList<ArtifactProblem> Problems);

/// <summary>
/// <c>tollgate apply</c>: the instance is exported as <see cref="ArtifactExporter"/> writes it and compared with the
/// folder file by file; each resource whose files differ is written through the management API (named values,
/// fragments, groups, APIs with their OpenAPI import and policies, products with their links, the global policy, in
/// that order). Resources without files are deleted only when pruning. Applying the same folder twice changes nothing
/// the second time, since the instance then exports to the same files.
/// </summary>
public static class ArtifactApplier
{
    /// <summary>Environment variable with the value of a secret named value that the instance does not have yet.</summary>
    public static string SecretVariable(string name) =>
        "TOLLGATE_NAMEDVALUE_" + new string(name.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_').ToArray());

    public static async Task<ApplyPlan> PlanAsync(ManagementClient client, IReadOnlyDictionary<string, string> desired, bool prune, Func<string, string?> environment, CancellationToken ct)
    {
        var current = await ArtifactExporter.ExportAsync(client, null, ct);
        var files = current.Keys.Union(desired.Keys).Order(StringComparer.Ordinal)
            .Select(p => (Path: p, Current: current.GetValueOrDefault(p), Desired: desired.GetValueOrDefault(p)))
            .Where(f => f.Current != f.Desired)
            .ToList();
        var changed = files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        var steps = new List<ApplyStep>();
        var deletes = new List<ApplyStep>();
        var problems = new List<ArtifactProblem>();

        // Named values first: policies may name them ({{name}}).
        foreach (var name in ArtifactFiles.Folders(desired, "namedValues"))
        {
            var path = $"namedValues/{name}/namedValueInformation.json";
            if (!changed.Contains(path))
            {
                continue;
            }

            var properties = ArtifactFiles.Properties(desired[path]);
            var secret = properties["secret"] is JsonValue s && s.TryGetValue<bool>(out var isSecret) && isSecret;
            var relative = $"/namedValues/{Escape(name)}";
            if (secret && properties["value"] is null)
            {
                if (current.ContainsKey(path))
                {
                    // The instance keeps its secret value: only the other properties change.
                    steps.Add(new ApplyStep($"update named value {name} (secret value kept)", false, c => client.SendAsync(HttpMethod.Patch, relative, Body(properties), c)));
                    continue;
                }

                var variable = SecretVariable(name);
                if (environment(variable) is not { Length: > 0 } value)
                {
                    problems.Add(new ArtifactProblem(path, null, $"secret named value '{name}' is not in the instance and its file holds no value: set {variable} to its value."));
                    continue;
                }

                properties["value"] = value;
            }

            steps.Add(new ApplyStep($"{Verb(current, path)} named value {name}", false, c => client.PutAsync(relative, Body(properties), c)));
        }

        foreach (var id in ArtifactFiles.Folders(desired, "policyFragments"))
        {
            var dir = $"policyFragments/{id}/";
            if (!changed.Contains(dir + "policy.xml") && !changed.Contains(dir + "policyFragmentInformation.json"))
            {
                continue;
            }

            var properties = desired.TryGetValue(dir + "policyFragmentInformation.json", out var info) ? ArtifactFiles.Properties(info) : [];
            properties["format"] = "rawxml";
            properties["value"] = desired[dir + "policy.xml"];
            steps.Add(new ApplyStep($"{Verb(current, dir + "policy.xml")} policy fragment {id}", false, c => client.PutAsync($"/policyFragments/{Escape(id)}", Body(properties), c)));
        }

        foreach (var group in ArtifactFiles.Folders(desired, "groups"))
        {
            var path = $"groups/{group}/groupInformation.json";
            if (changed.Contains(path))
            {
                var properties = ArtifactFiles.Properties(desired[path]);
                steps.Add(new ApplyStep($"{Verb(current, path)} group {group}", false, c => client.PutAsync($"/groups/{Escape(group)}", Body(properties), c)));
            }
        }

        foreach (var api in ArtifactFiles.Folders(desired, "apis"))
        {
            PlanApi(client, api, current, desired, changed, steps, deletes);
        }

        foreach (var product in ArtifactFiles.Folders(desired, "products"))
        {
            PlanProduct(client, product, current, desired, changed, steps, deletes);
        }

        if (desired.TryGetValue("policy.xml", out var global) && changed.Contains("policy.xml"))
        {
            steps.Add(new ApplyStep("update the global policy", false, c => PutPolicyAsync(client, "", global, c)));
        }

        // Deletions: resources (and policies) with files in the instance's export but none in the folder.
        foreach (var (collection, title, deleteQuery) in new[] { ("products", "product", "?deleteSubscriptions=true"), ("apis", "API", "?deleteSubscriptions=true"), ("groups", "group", ""), ("policyFragments", "policy fragment", ""), ("namedValues", "named value", "") })
        {
            var gone = ArtifactFiles.Folders(current, collection).Except(ArtifactFiles.Folders(desired, collection), StringComparer.Ordinal);
            foreach (var name in gone)
            {
                deletes.Add(new ApplyStep($"delete {title} {name}", true, c => client.DeleteAsync($"/{collection}/{Escape(name)}{deleteQuery}", c)));
            }
        }

        var kept = prune ? [] : deletes.Select(d => d.Description).ToList();
        if (prune)
        {
            steps.AddRange(deletes);
        }

        return new ApplyPlan(files, steps, kept, problems);
    }

    private static void PlanApi(ManagementClient client, string api, IReadOnlyDictionary<string, string> current, IReadOnlyDictionary<string, string> desired,
        HashSet<string> changed, List<ApplyStep> steps, List<ApplyStep> deletes)
    {
        var dir = $"apis/{api}/";
        var relative = $"/apis/{Escape(api)}";
        var infoPath = dir + "apiInformation.json";
        var specPath = ArtifactFiles.SpecificationOf(desired, api)!;
        var information = ArtifactFiles.Properties(desired[infoPath]);
        // The instance exports its document as YAML ending in one line end, its servers being the instance's own gateway
        // URL (another instance's in a folder exported elsewhere): a file that differs only there is the same document.
        var imported = current.GetValueOrDefault(dir + "specification.yaml") is not { } exported || WithoutServers(exported) != WithoutServers(desired[specPath]);
        if (imported)
        {
            var format = specPath.EndsWith(".json", StringComparison.Ordinal) ? "openapi+json" : "openapi";
            var import = new JsonObject { ["format"] = format, ["value"] = desired[specPath], ["path"] = information["path"]?.DeepClone() };
            steps.Add(new ApplyStep($"{Verb(current, infoPath)} API {api} from {specPath.Split('/')[^1]}", false, c => client.PutAsync(relative, Body(import), c)));
        }

        if (imported || changed.Contains(infoPath))
        {
            // An import sets what the document says (title, servers); the information file has the last word.
            steps.Add(new ApplyStep($"update API {api} ({infoPath.Split('/')[^1]})", false, c => client.PutAsync(relative, Body(information), c)));
        }

        var policies = desired.Keys.Where(k => k.StartsWith(dir, StringComparison.Ordinal) && k.EndsWith("policy.xml", StringComparison.Ordinal));
        foreach (var policy in policies.Where(p => imported || changed.Contains(p)))
        {
            var owner = policy == dir + "policy.xml" ? relative : $"{relative}/operations/{Escape(policy.Split('/')[3])}";
            var xml = desired[policy];
            steps.Add(new ApplyStep($"{Verb(current, policy)} policy {policy}", false, c => PutPolicyAsync(client, owner, xml, c)));
        }

        foreach (var policy in current.Keys.Where(k => k.StartsWith(dir, StringComparison.Ordinal) && k.EndsWith("policy.xml", StringComparison.Ordinal) && !desired.ContainsKey(k)))
        {
            var owner = policy == dir + "policy.xml" ? relative : $"{relative}/operations/{Escape(policy.Split('/')[3])}";
            deletes.Add(new ApplyStep($"delete policy {policy}", true, c => client.DeleteAsync($"{owner}/policies/policy", c)));
        }
    }

    private static void PlanProduct(ManagementClient client, string product, IReadOnlyDictionary<string, string> current, IReadOnlyDictionary<string, string> desired,
        HashSet<string> changed, List<ApplyStep> steps, List<ApplyStep> deletes)
    {
        var dir = $"products/{product}/";
        var relative = $"/products/{Escape(product)}";
        var infoPath = dir + "productInformation.json";
        if (changed.Contains(infoPath))
        {
            var properties = ArtifactFiles.Properties(desired[infoPath]);
            steps.Add(new ApplyStep($"{Verb(current, infoPath)} product {product}", false, c => client.PutAsync(relative, Body(properties), c)));
        }

        if (desired.TryGetValue(dir + "policy.xml", out var xml) && changed.Contains(dir + "policy.xml"))
        {
            steps.Add(new ApplyStep($"{Verb(current, dir + "policy.xml")} policy {dir}policy.xml", false, c => PutPolicyAsync(client, relative, xml, c)));
        }
        else if (!desired.ContainsKey(dir + "policy.xml") && current.ContainsKey(dir + "policy.xml"))
        {
            deletes.Add(new ApplyStep($"delete policy {dir}policy.xml", true, c => client.DeleteAsync($"{relative}/policies/policy", c)));
        }

        foreach (var (file, collection, title) in new[] { ("apis.json", "apis", "API"), ("groups.json", "groups", "group") })
        {
            if (!desired.TryGetValue(dir + file, out var wanted))
            {
                continue;
            }

            var want = Names(wanted);
            var have = current.TryGetValue(dir + file, out var existing) ? Names(existing) : [];
            foreach (var name in want.Except(have, StringComparer.Ordinal))
            {
                steps.Add(new ApplyStep($"add {title} {name} to product {product}", false, c => client.PutAsync($"{relative}/{collection}/{Escape(name)}", [], c)));
            }

            foreach (var name in have.Except(want, StringComparer.Ordinal))
            {
                steps.Add(new ApplyStep($"remove {title} {name} from product {product}", false, c => client.DeleteAsync($"{relative}/{collection}/{Escape(name)}", c)));
            }
        }
    }

    /// <summary>A YAML document without its top-level <c>servers:</c> block, trailing line ends trimmed.</summary>
    private static string WithoutServers(string yaml)
    {
        var kept = new List<string>();
        var skipping = false;
        foreach (var line in yaml.TrimEnd('\n').Split('\n'))
        {
            if (line.StartsWith("servers:", StringComparison.Ordinal))
            {
                skipping = true;
                continue;
            }

            if (skipping && line.Length > 0 && !char.IsWhiteSpace(line[0]) && !line.StartsWith('-'))
            {
                skipping = false;
            }

            if (!skipping)
            {
                kept.Add(line);
            }
        }

        return string.Join('\n', kept);
    }

    private static Task PutPolicyAsync(ManagementClient client, string owner, string xml, CancellationToken ct) =>
        client.PutAsync($"{owner}/policies/policy", Body(new JsonObject { ["format"] = "rawxml", ["value"] = xml }), ct);

    private static List<string> Names(string json) =>
        (JsonNode.Parse(json) as JsonArray ?? []).Select(i => (string?)i?["name"]).OfType<string>().ToList();

    private static JsonObject Body(JsonObject properties) => new() { ["properties"] = properties.DeepClone() };

    private static string Verb(IReadOnlyDictionary<string, string> current, string path) => current.ContainsKey(path) ? "update" : "create";

    private static string Escape(string name) => Uri.EscapeDataString(name);
}
