using System.Globalization;
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
/// certificates, backends, version sets, fragments, groups, APIs with their revisions, OpenAPI imports, policies and
/// releases, products with their links, the global policy, in that order). Secrets (a secret named value's value, a
/// certificate's PFX) are never in the folder: one the instance lacks comes from the environment. Resources without
/// files are deleted only when pruning. Applying the same folder twice changes nothing the second time, since the
/// instance then exports to the same files.
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

        // Certificates and backends before what names them: backends' credentials.certificateIds, pools' members,
        // set-backend-service in policies.
        foreach (var id in ArtifactFiles.Folders(desired, "certificates"))
        {
            var path = $"certificates/{id}/certificateInformation.json";
            if (!changed.Contains(path))
            {
                continue;
            }

            var properties = ArtifactFiles.Properties(desired[path]);
            var relative = $"/certificates/{Escape(id)}";
            if (current.ContainsKey(path))
            {
                // The instance keeps its PFX: only what the file says changes.
                steps.Add(new ApplyStep($"update certificate {id} (PFX kept)", false, c => client.SendAsync(HttpMethod.Patch, relative, Body(properties), c)));
                continue;
            }

            var variable = CertificateVariable(id);
            if (environment(variable) is not { Length: > 0 } pfx)
            {
                problems.Add(new ArtifactProblem(path, null, $"certificate '{id}' is not in the instance and the folder holds no PFX (it never does): set {variable} to its base64 PFX (and {variable}_PASSWORD to its password, if it has one)."));
                continue;
            }

            properties["data"] = pfx.Trim();
            if (environment(variable + "_PASSWORD") is { Length: > 0 } password)
            {
                properties["password"] = password;
            }

            steps.Add(new ApplyStep($"create certificate {id} (PFX from {variable})", false, c => client.PutAsync(relative, Body(properties), c)));
        }

        // Single backends first, then pools (their members must exist).
        foreach (var id in ArtifactFiles.Folders(desired, "backends").OrderBy(b => IsPool(desired, b)))
        {
            var path = $"backends/{id}/backendInformation.json";
            if (changed.Contains(path))
            {
                var properties = ArtifactFiles.Properties(desired[path]);
                steps.Add(new ApplyStep($"{Verb(current, path)} backend {id}", false, c => client.PutAsync($"/backends/{Escape(id)}", Body(properties), c)));
            }
        }

        foreach (var id in ArtifactFiles.Folders(desired, "apiVersionSets"))
        {
            var path = $"apiVersionSets/{id}/versionSetInformation.json";
            if (changed.Contains(path))
            {
                var properties = ArtifactFiles.Properties(desired[path]);
                steps.Add(new ApplyStep($"{Verb(current, path)} version set {id}", false, c => client.PutAsync($"/apiVersionSets/{Escape(id)}", Body(properties), c)));
            }
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

        var currentApis = ApiRevisions(current);
        foreach (var (api, revisions) in ApiRevisions(desired))
        {
            PlanApi(client, api, revisions, currentApis.GetValueOrDefault(api), current, desired, steps, deletes);
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
        // An API's revisions the folder lacks were added by PlanApi; here, whole APIs (with all their revisions). A
        // version set goes with its last API, so one whose APIs go too is already gone when its turn comes.
        foreach (var product in ArtifactFiles.Folders(current, "products").Except(ArtifactFiles.Folders(desired, "products"), StringComparer.Ordinal))
        {
            deletes.Add(new ApplyStep($"delete product {product}", true, c => client.DeleteAsync($"/products/{Escape(product)}?deleteSubscriptions=true", c)));
        }

        foreach (var api in currentApis.Keys.Except(ApiRevisions(desired).Keys, StringComparer.Ordinal))
        {
            deletes.Add(new ApplyStep($"delete API {api}", true, c => client.DeleteAsync($"/apis/{Escape(api)}?deleteSubscriptions=true", c)));
        }

        foreach (var (collection, title, deleteQuery) in new[]
        {
            ("apiVersionSets", "version set", ""), ("groups", "group", ""), ("policyFragments", "policy fragment", ""),
            ("backends", "backend", ""), ("certificates", "certificate", ""), ("namedValues", "named value", ""),
        })
        {
            var gone = ArtifactFiles.Folders(current, collection).Except(ArtifactFiles.Folders(desired, collection), StringComparer.Ordinal);
            if (collection == "backends")
            {
                // Pools before their members.
                gone = gone.OrderBy(b => !IsPool(current, b));
            }

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

    /// <summary>
    /// An artifact map's APIs and their revisions by number: <c>apis/{api}</c> is the current revision (numbered by its
    /// apiRevision, 1 when left out), <c>apis/{api};rev={n}</c> revision n. Comparing revisions by number, not by
    /// folder, lets a folder whose current revision is another one than the instance's apply as "make that one current".
    /// </summary>
    private static SortedDictionary<string, SortedDictionary<int, string>> ApiRevisions(IReadOnlyDictionary<string, string> files)
    {
        var apis = new SortedDictionary<string, SortedDictionary<int, string>>(StringComparer.Ordinal);
        foreach (var folder in ArtifactFiles.Folders(files, "apis"))
        {
            var at = folder.IndexOf(";rev=", StringComparison.OrdinalIgnoreCase);
            var api = at > 0 ? folder[..at] : folder;
            int number;
            if (at > 0)
            {
                if (!int.TryParse(folder.AsSpan(at + 5), NumberStyles.None, CultureInfo.InvariantCulture, out number))
                {
                    continue;
                }
            }
            else
            {
                number = files.TryGetValue($"apis/{folder}/apiInformation.json", out var info)
                    && int.TryParse((string?)ArtifactFiles.Properties(info)["apiRevision"], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 1;
            }

            if (!apis.TryGetValue(api, out var revisions))
            {
                apis[api] = revisions = [];
            }

            // The current revision's folder wins over a stray apis/{api};rev={n} of the same number.
            if (at < 0 || !revisions.ContainsKey(number))
            {
                revisions[number] = folder;
            }
        }

        return apis;
    }

    /// <summary>
    /// The writes of one API: each revision the folder has is written as <c>apis/{api};rev={n}</c> (the API itself when
    /// n is its current revision; an API the instance lacks is created with the folder's current revision first),
    /// its document imported again only when it differs in more than its servers, its information and policies
    /// written when they differ; the folder's current revision is then made current (isCurrent true) when the
    /// instance's is another one. Revisions the folder lacks are deleted when pruning.
    /// </summary>
    private static void PlanApi(ManagementClient client, string api, SortedDictionary<int, string> revisions, SortedDictionary<int, string>? existing,
        IReadOnlyDictionary<string, string> current, IReadOnlyDictionary<string, string> desired, List<ApplyStep> steps, List<ApplyStep> deletes)
    {
        existing ??= [];
        if (!revisions.ContainsValue(api))
        {
            return; // reported by ArtifactFiles.Validate: a revision needs its API's folder
        }

        var currentNumber = revisions.First(r => r.Value == api).Key;
        var instanceCurrent = existing.FirstOrDefault(r => r.Value == api).Key;
        foreach (var (number, folder) in revisions.OrderBy(r => r.Key != currentNumber).ThenBy(r => r.Key))
        {
            var dir = $"apis/{folder}/";
            var before = existing.TryGetValue(number, out var existingFolder) ? $"apis/{existingFolder}/" : null;
            string? Current(string relative) => before is null ? null : current.GetValueOrDefault(before + relative);
            var label = folder == api ? $"API {api}" : $"API {api} revision {number}";
            var relative = $"/apis/{Escape($"{api};rev={number}")}";
            var information = ArtifactFiles.Properties(desired[dir + "apiInformation.json"]);
            information.Remove("apiRevision");
            var specPath = ArtifactFiles.SpecificationOf(desired, folder)!;
            // The instance exports its document as YAML ending in one line end, its servers being the instance's own gateway
            // URL (another instance's in a folder exported elsewhere): a file that differs only there is the same document.
            var imported = Current("specification.yaml") is not { } exported || WithoutServers(exported) != WithoutServers(desired[specPath]);
            if (imported)
            {
                var format = specPath.EndsWith(".json", StringComparison.Ordinal) ? "openapi+json" : "openapi";
                var import = (JsonObject)information.DeepClone();
                import["format"] = format;
                import["value"] = desired[specPath];
                steps.Add(new ApplyStep($"{(before is null ? "create" : "update")} {label} from {dir}{specPath.Split('/')[^1]}", false, c => client.PutAsync(relative, Body(import), c)));
            }

            if (imported || Current("apiInformation.json") != desired[dir + "apiInformation.json"])
            {
                // An import sets what the document says (title, servers); the information file has the last word.
                steps.Add(new ApplyStep($"update {label} ({dir}apiInformation.json)", false, c => client.PutAsync(relative, Body(information), c)));
            }

            var policies = desired.Keys.Where(k => k.StartsWith(dir, StringComparison.Ordinal) && k.EndsWith("policy.xml", StringComparison.Ordinal));
            foreach (var policy in policies.Where(p => imported || Current(p[dir.Length..]) != desired[p]))
            {
                var owner = policy == dir + "policy.xml" ? relative : $"{relative}/operations/{Escape(policy.Split('/')[3])}";
                var xml = desired[policy];
                steps.Add(new ApplyStep($"{(Current(policy[dir.Length..]) is null ? "create" : "update")} policy {policy}", false, c => PutPolicyAsync(client, owner, xml, c)));
            }

            foreach (var policy in before is null ? [] : current.Keys.Where(k => k.StartsWith(before, StringComparison.Ordinal) && k.EndsWith("policy.xml", StringComparison.Ordinal) && !desired.ContainsKey(dir + k[before.Length..])))
            {
                var owner = policy == before + "policy.xml" ? relative : $"{relative}/operations/{Escape(policy.Split('/')[3])}";
                deletes.Add(new ApplyStep($"delete policy {policy}", true, c => client.DeleteAsync($"{owner}/policies/policy", c)));
            }
        }

        // Releases: a release makes the revision it names current, so the folder's current revision is made current
        // again after any release is written.
        var releaseDir = $"apis/{api}/releases/";
        var releasesWritten = false;
        foreach (var release in desired.Keys.Where(k => k.StartsWith(releaseDir, StringComparison.Ordinal)))
        {
            var id = release.Split('/')[3];
            var currentText = instanceCurrent == 0 ? null : current.GetValueOrDefault(release);
            if (currentText != desired[release])
            {
                var properties = ArtifactFiles.Properties(desired[release]);
                releasesWritten = true;
                steps.Add(new ApplyStep($"{(currentText is null ? "create" : "update")} release {id} of API {api}", false,
                    c => client.PutAsync($"/apis/{Escape(api)}/releases/{Escape(id)}", Body(properties), c)));
            }
        }

        if (instanceCurrent != 0)
        {
            foreach (var release in current.Keys.Where(k => k.StartsWith($"apis/{api}/releases/", StringComparison.Ordinal) && !desired.ContainsKey(k)))
            {
                var id = release.Split('/')[3];
                deletes.Add(new ApplyStep($"delete release {id} of API {api}", true, c => client.DeleteAsync($"/apis/{Escape(api)}/releases/{Escape(id)}", c)));
            }
        }

        if (releasesWritten || (instanceCurrent != 0 && instanceCurrent != currentNumber))
        {
            var relative = $"/apis/{Escape($"{api};rev={currentNumber}")}";
            steps.Add(new ApplyStep(instanceCurrent != 0 && instanceCurrent != currentNumber
                    ? $"make revision {currentNumber} of API {api} current (revision {instanceCurrent} stays as {api};rev={instanceCurrent})"
                    : $"keep revision {currentNumber} of API {api} current", false,
                c => client.SendAsync(HttpMethod.Patch, relative, Body(new JsonObject { ["isCurrent"] = true }), c)));
        }

        foreach (var number in existing.Keys.Except(revisions.Keys))
        {
            var relative = $"/apis/{Escape($"{api};rev={number}")}";
            deletes.Add(new ApplyStep($"delete API {api} revision {number}", true, c => client.DeleteAsync(relative, c)));
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

    /// <summary>Environment variable with the base64 PFX of a certificate that the instance does not have yet (its password in <c>{variable}_PASSWORD</c>).</summary>
    public static string CertificateVariable(string id) =>
        "TOLLGATE_CERTIFICATE_" + new string(id.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_').ToArray());

    private static bool IsPool(IReadOnlyDictionary<string, string> files, string backend) =>
        files.TryGetValue($"backends/{backend}/backendInformation.json", out var text)
        && (string.Equals((string?)ArtifactFiles.Properties(text)["type"], "Pool", StringComparison.OrdinalIgnoreCase) || ArtifactFiles.Properties(text)["pool"] is JsonObject);

    private static string Escape(string name) => Uri.EscapeDataString(name);
}
