using System.Text.Json.Nodes;
using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Expressions;
using Tollgate.Core.Resources;
using Tollgate.Management.Api;
using Tollgate.Management.Persistence;

namespace Tollgate.Management.Services;

/// <summary>
/// Policy documents at global, product, API and operation scope (<c>…/policies/policy</c>), formats <c>xml</c> and
/// <c>rawxml</c>. A document is validated before it is stored, its expressions compiled and checked against the
/// allow-list; every problem comes back with its line and column.
/// </summary>
public sealed partial class PolicyService(IResourceStore store, ResourceService resources, SecretVault vault, IPolicyBuildCheck? buildCheck = null)
{
    public const string Kind = "policy";

    /// <summary>Storage kind of policy fragments (<c>policyFragments/{id}</c>).</summary>
    public const string FragmentKind = "policyFragment";

    /// <summary>APIM's policy of the built-in Starter product: 5 calls a minute, 100 a week.</summary>
    public const string StarterPolicy =
        "<policies><inbound><base /><rate-limit calls=\"5\" renewal-period=\"60\" /><quota calls=\"100\" renewal-period=\"604800\" /></inbound>" +
        "<backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>";

    /// <summary>
    /// The global policy every APIM instance has until its owner changes it: nothing inbound or outbound, the backend
    /// forwarded to. GET answers it (APIM never answers 404 for the global policy) and it behaves as no policy at all.
    /// </summary>
    public const string DefaultGlobalPolicy =
        "<policies>\r\n\t<inbound />\r\n\t<backend>\r\n\t\t<forward-request />\r\n\t</backend>\r\n\t<outbound />\r\n\t<on-error />\r\n</policies>";

    /// <summary>The ETag of the default global policy (never stored; an If-Match with it means "unchanged since the default").</summary>
    public const string DefaultGlobalPolicyETag = "AAAAAAAAAAA=";

    private static readonly string[] Formats = ["xml", "rawxml"];

    public async Task<(JsonObject Body, bool Created)> PutAsync(ServiceScope scope, PolicyScope target, JsonObject body, CancellationToken ct)
    {
        var (result, created, _) = await PutAsync(scope, target, body, null, ct);
        return (result, created);
    }

    /// <summary>Creates or replaces a policy; <paramref name="ifMatch"/> as ARM (null or "*": unconditional, since a scope always has its default policy; else its ETag).</summary>
    public async Task<(JsonObject Body, bool Created, string ETag)> PutAsync(ServiceScope scope, PolicyScope target, JsonObject body, string? ifMatch, CancellationToken ct)
    {
        await RequireScopeAsync(scope, target, ct);
        var properties = body["properties"] as JsonObject ?? throw ArmException.Validation("properties", "'properties' is required and must be an object.");
        var errors = new List<ValidationError>();
        var format = (string?)(properties["format"] as JsonValue) ?? "xml";
        if (format.EndsWith("-link", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add(new ValidationError("format", $"'{format}' needs a URL the server would download; Tollgate takes the document itself: use 'xml' or 'rawxml'."));
        }
        else if (!Formats.Contains(format, StringComparer.OrdinalIgnoreCase))
        {
            errors.Add(new ValidationError("format", $"'format' must be one of: {string.Join(", ", Formats)}."));
        }

        var value = properties["value"] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(new ValidationError("value", "'value' is required: the policy document."));
        }

        if (!string.IsNullOrWhiteSpace(value))
        {
            errors.AddRange(await CheckDocumentAsync(scope, target, value, format, ct));
        }

        if (errors.Count == 0 && target.Segments is ["apis", var apiId, ..]
            && await store.GetAsync(new ResourceKey(scope.Name, ResourceKind.Api.Kind, "", apiId), ct) is { } api
            && ResourceSchemas.IsWebSocketApiType((string?)api.Properties["type"]))
        {
            var document = PolicyDocument.Parse(value!, await NamedValuesAsync(scope, ct), string.Equals(format, "xml", StringComparison.OrdinalIgnoreCase));
            foreach (var (name, _, path) in PolicyElements(document).Where(e => WebSocketHandshake.IsUnsupported(e.Name)))
            {
                errors.Add(new ValidationError("value", $"{path}: API '{apiId}' is a WebSocket API, whose policies apply to its onHandshake operation, where APIM does not support "
                    + $"<{name}> (nor any of {string.Join(", ", WebSocketHandshake.UnsupportedPolicies)})."));
            }
        }

        if (errors.Count > 0)
        {
            throw ArmException.Validation(errors);
        }

        var key = Key(scope, target);
        var existing = await store.GetAsync(key, ct);
        if (existing is null && target.Segments.Length == 0 && ifMatch == DefaultGlobalPolicyETag)
        {
            ifMatch = null; // the default global policy, read with its ETag and changed now
        }
        else if (existing is null && ifMatch == "*")
        {
            // Every scope has a policy in APIM, its default document (<base/> in each section) until one is written, so
            // "*" matches it: APIM's own examples create policies with If-Match: * (201).
            ifMatch = null;
        }

        await resources.ApplyChangesAsync(scope, [new ResourceChange.Put(key, new JsonObject { ["format"] = format.ToLowerInvariant(), ["value"] = value }, null, ifMatch)], ct);
        var stored = await store.GetAsync(key, ct);
        return (ToJson(scope, target, value!, format.ToLowerInvariant()), existing is null, stored?.ETag ?? "");
    }

    public async Task<JsonObject> GetAsync(ServiceScope scope, PolicyScope target, string? format, CancellationToken ct) =>
        (await GetWithETagAsync(scope, target, format, ct)).Body;

    /// <summary>The policy and its ETag; the global scope answers <see cref="DefaultGlobalPolicy"/> until one is set.</summary>
    public async Task<(JsonObject Body, string ETag)> GetWithETagAsync(ServiceScope scope, PolicyScope target, string? format, CancellationToken ct)
    {
        await RequireScopeAsync(scope, target, ct);
        var stored = await store.GetAsync(Key(scope, target), ct);
        if (stored is null)
        {
            return target.Segments.Length == 0
                ? (ToJson(scope, target, DefaultGlobalPolicy, format?.ToLowerInvariant() ?? "xml"), DefaultGlobalPolicyETag)
                : throw ArmException.NotFound("Policy");
        }

        var value = (string)stored.Properties["value"]!;
        var json = ToJson(scope, target, value, format?.ToLowerInvariant() ?? (string?)stored.Properties["format"] ?? "xml");

        // A stored document a gateway cannot apply (a named value deleted since, a document stored by an older version):
        // its operations answer 500 naming the problem, and the policy itself says why (a Tollgate extension).
        var problems = await CheckDocumentAsync(scope, target, value, (string?)stored.Properties["format"] ?? "xml", ct);
        if (problems.Count > 0)
        {
            json["properties"]!["problems"] = new JsonArray(problems.Select(p => (JsonNode)JsonValue.Create(p.Message)!).ToArray());
        }

        return (json, stored.ETag);
    }

    public async Task<JsonObject> ListAsync(ServiceScope scope, PolicyScope target, CancellationToken ct)
    {
        await RequireScopeAsync(scope, target, ct);
        var stored = await store.GetAsync(Key(scope, target), ct);
        var value = new JsonArray();
        if (stored is not null)
        {
            value.Add(ToJson(scope, target, (string)stored.Properties["value"]!, (string?)stored.Properties["format"] ?? "xml"));
        }
        else if (target.Segments.Length == 0)
        {
            value.Add(ToJson(scope, target, DefaultGlobalPolicy, "xml"));
        }

        return new JsonObject { ["value"] = value, ["count"] = value.Count, ["nextLink"] = null };
    }

    public async Task<bool> DeleteAsync(ServiceScope scope, PolicyScope target, CancellationToken ct)
    {
        await RequireScopeAsync(scope, target, ct);
        var key = Key(scope, target);
        if (await store.GetAsync(key, ct) is null)
        {
            return false;
        }

        await resources.ApplyChangesAsync(scope, [new ResourceChange.Delete(key)], ct);
        return true;
    }

    /// <summary>Creates or replaces a policy fragment (<c>policyFragments/{id}</c>: <c>value</c> is a <c>&lt;fragment&gt;</c> element).</summary>
    public async Task<(JsonObject Body, bool Created)> PutFragmentAsync(ServiceScope scope, string id, JsonObject body, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        var properties = body["properties"] as JsonObject ?? throw ArmException.Validation("properties", "'properties' is required and must be an object.");
        var errors = new List<ValidationError>();
        if (string.IsNullOrWhiteSpace(id) || id.Length > 80 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            errors.Add(new ValidationError("name", "A fragment id is 1 to 80 letters, digits, '-' or '_'."));
        }

        var format = (string?)(properties["format"] as JsonValue) ?? "xml";
        if (!Formats.Contains(format, StringComparer.OrdinalIgnoreCase))
        {
            errors.Add(new ValidationError("format", $"'format' must be one of: {string.Join(", ", Formats)}."));
        }

        var value = properties["value"] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(new ValidationError("value", "'value' is required: the <fragment> element."));
        }
        else
        {
            var namedValues = await NamedValuesAsync(scope, ct);
            var escaped = string.Equals(format, "xml", StringComparison.OrdinalIgnoreCase);
            var problems = PolicyFragment.Validate(value, namedValues, escaped);
            var fragment = problems.Count == 0 ? PolicyFragment.Parse(value, namedValues, escaped) : null;
            if (fragment is not null)
            {
                problems = PolicyExpressionCompiler.Default.Check(fragment);
            }

            foreach (var e in problems)
            {
                errors.Add(new ValidationError("value", $"Line {e.Line}, column {e.Column} ({e.Path}): {e.Message}"));
            }

            if (problems.Count == 0 && await FindCycleAsync(scope, id, fragment!, ct) is { } cycle)
            {
                errors.Add(new ValidationError("value", $"Policy fragment '{id}' would include itself: {string.Join(" -> ", cycle)}."));
            }

            if (problems.Count == 0 && errors.Count == 0)
            {
                await CheckBuildAsync(scope, fragment!, PolicyScopeLevel.Operation, namedValues, errors, ct);
            }
        }

        if (errors.Count > 0)
        {
            throw ArmException.Validation(errors);
        }

        var key = new ResourceKey(scope.Name, FragmentKind, "", id);
        var existing = await store.GetAsync(key, ct);
        var stored = new JsonObject { ["format"] = format.ToLowerInvariant(), ["value"] = value, ["description"] = (string?)(properties["description"] as JsonValue) };
        await resources.ApplyChangesAsync(scope, [new ResourceChange.Put(key, stored, null)], ct);
        return (FragmentJson(scope, id, stored), existing is null);
    }

    public async Task<JsonObject> GetFragmentAsync(ServiceScope scope, string id, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        var stored = await store.GetAsync(new ResourceKey(scope.Name, FragmentKind, "", id), ct) ?? throw ArmException.NotFound("PolicyFragment");
        return FragmentJson(scope, stored.Key.Name, stored.Properties);
    }

    public async Task<JsonObject> ListFragmentsAsync(ServiceScope scope, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        var value = new JsonArray();
        foreach (var f in await store.ListAsync(scope.Name, FragmentKind, "", ct))
        {
            value.Add(FragmentJson(scope, f.Key.Name, f.Properties));
        }

        return new JsonObject { ["value"] = value, ["count"] = value.Count, ["nextLink"] = null };
    }

    /// <summary>
    /// Deletes a policy fragment; one that a policy or another fragment still includes is refused with 409 naming
    /// them, as APIM does (the policies would no longer apply).
    /// </summary>
    public async Task<bool> DeleteFragmentAsync(ServiceScope scope, string id, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        var key = new ResourceKey(scope.Name, FragmentKind, "", id);
        if (await store.GetAsync(key, ct) is null)
        {
            return false;
        }

        var references = await FragmentReferencesAsync(scope, id, ct);
        if (references.Count > 0)
        {
            throw ArmException.Conflict($"Policy fragment '{id}' cannot be deleted: it is included by {string.Join(", ", references.Select(r => (string?)r["id"]))}. Remove the include-fragment elements first.");
        }

        await resources.ApplyChangesAsync(scope, [new ResourceChange.Delete(key)], ct);
        return true;
    }

    /// <summary>
    /// APIM's <c>POST policyFragments/{id}/listReferences</c>: the policies (global, product, API, operation) and the
    /// other fragments whose documents include the fragment, as <c>{value:[{id,type,name}],count,nextLink}</c>.
    /// </summary>
    public async Task<JsonObject> ListFragmentReferencesAsync(ServiceScope scope, string id, int? top, int? skip, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        if (await store.GetAsync(new ResourceKey(scope.Name, FragmentKind, "", id), ct) is null)
        {
            throw ArmException.NotFound("PolicyFragment");
        }

        if (top is < 0 || skip is < 0)
        {
            throw ArmException.Validation(top is < 0 ? "$top" : "$skip", "'$top' and '$skip' must not be negative.");
        }

        var all = await FragmentReferencesAsync(scope, id, ct);
        var value = new JsonArray();
        foreach (var item in all.Skip(skip ?? 0).Take(top ?? int.MaxValue))
        {
            value.Add(item);
        }

        return new JsonObject { ["value"] = value, ["count"] = all.Count, ["nextLink"] = null };
    }

    /// <summary>The policies and fragments whose documents include fragment <paramref name="id"/>, ordered by id.</summary>
    private async Task<List<JsonObject>> FragmentReferencesAsync(ServiceScope scope, string id, CancellationToken ct)
    {
        var (policies, fragments) = await DocumentsWhereAsync(scope, d => IncludedFragments(d).Any(i => string.Equals(i.Id, id, StringComparison.OrdinalIgnoreCase)), ct);
        var found = new List<JsonObject>();
        foreach (var policy in policies)
        {
            var target = new PolicyScope(policy.Key.Parent.Length == 0 ? [] : policy.Key.Parent.Split('/'));
            found.Add(new JsonObject
            {
                ["id"] = $"{scope.BaseId}{(policy.Key.Parent.Length == 0 ? "" : "/" + policy.Key.Parent)}/policies/policy",
                ["type"] = target.ArmType,
                ["name"] = "policy",
            });
        }

        foreach (var other in fragments.Where(f => !string.Equals(f.Key.Name, id, StringComparison.OrdinalIgnoreCase)))
        {
            found.Add(new JsonObject
            {
                ["id"] = $"{scope.BaseId}/policyFragments/{other.Key.Name}",
                ["type"] = "Microsoft.ApiManagement/service/policyFragments",
                ["name"] = other.Key.Name,
            });
        }

        return [.. found.OrderBy(f => (string?)f["id"], StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>
    /// The instance's stored policies and policy fragments whose document (named values substituted) satisfies
    /// <paramref name="matches"/>. A document that does not parse satisfies nothing: the gateway would apply nothing of it.
    /// </summary>
    private async Task<(List<StoredResource> Policies, List<StoredResource> Fragments)> DocumentsWhereAsync(ServiceScope scope, Func<PolicyDocument, bool> matches, CancellationToken ct)
    {
        var namedValues = await NamedValuesAsync(scope, ct);
        bool Matches(StoredResource stored, bool fragment)
        {
            if ((string?)stored.Properties["value"] is not { } xml)
            {
                return false;
            }

            var escaped = string.Equals((string?)stored.Properties["format"] ?? "xml", "xml", StringComparison.OrdinalIgnoreCase);
            try
            {
                return matches(fragment ? PolicyFragment.Parse(xml, namedValues, escaped) : PolicyDocument.Parse(xml, namedValues, escaped));
            }
            catch (Exception e) when (e is PolicyDocumentException or System.Xml.XmlException)
            {
                return false;
            }
        }

        var policies = (await store.ListAsync(scope.Name, Kind, null, ct)).Where(p => Matches(p, fragment: false)).ToList();
        var fragments = (await store.ListAsync(scope.Name, FragmentKind, "", ct)).Where(f => Matches(f, fragment: true)).ToList();
        return (policies, fragments);
    }

    private static JsonObject FragmentJson(ServiceScope scope, string id, JsonObject stored) => new()
    {
        ["id"] = $"{scope.BaseId}/policyFragments/{id}",
        ["type"] = "Microsoft.ApiManagement/service/policyFragments",
        ["name"] = id,
        ["properties"] = new JsonObject
        {
            ["format"] = (string?)stored["format"] ?? "xml",
            ["value"] = (string?)stored["value"],
            ["description"] = (string?)stored["description"],
        },
    };

    /// <summary>
    /// Compile errors and refused symbols of the document's expressions (nothing is loaded). A document that does not
    /// parse has no expressions to check: the validator has reported why.
    /// </summary>
    private static IReadOnlyList<PolicyError> CheckExpressions(string xml, NamedValues namedValues, bool escaped)
    {
        PolicyDocument document;
        try
        {
            document = PolicyDocument.Parse(xml, namedValues, escaped);
        }
        catch (PolicyDocumentException)
        {
            return [];
        }

        return PolicyExpressionCompiler.Default.Check(document);
    }

    /// <summary>
    /// Everything that stops a gateway from applying <paramref name="value"/> at <paramref name="target"/>: validation
    /// (named values substituted), the expressions' compilation, the included fragments' existence and the gateway's own
    /// build. Empty when the document can be applied.
    /// </summary>
    private async Task<List<ValidationError>> CheckDocumentAsync(ServiceScope scope, PolicyScope target, string value, string format, CancellationToken ct)
    {
        var errors = new List<ValidationError>();
        var namedValues = await NamedValuesAsync(scope, ct);
        var escaped = string.Equals(format, "xml", StringComparison.OrdinalIgnoreCase);
        void Positioned(IEnumerable<PolicyError> found)
        {
            foreach (var e in found)
            {
                errors.Add(new ValidationError("value", $"Line {e.Line}, column {e.Column} ({e.Path}): {e.Message}"));
            }
        }

        Positioned(PolicyValidator.Validate(value, namedValues, escaped));
        if (errors.Count > 0)
        {
            return errors;
        }

        var document = PolicyDocument.Parse(value, namedValues, escaped);
        var missing = new List<ValidationError>();
        foreach (var (id, path) in IncludedFragments(document))
        {
            if (await store.GetAsync(new ResourceKey(scope.Name, FragmentKind, "", id), ct) is null)
            {
                missing.Add(new ValidationError("value", $"{path}: policy fragment '{id}' does not exist."));
            }
        }

        foreach (var (id, path) in References(document, "content", "schema-id"))
        {
            if (await store.GetAsync(new ResourceKey(scope.Name, ResourceKind.GlobalSchema.Kind, "", id.Trim()), ct) is null)
            {
                missing.Add(new ValidationError("value", $"{path}: schema '{id.Trim()}' does not exist."));
            }
        }

        foreach (var (id, path) in References(document, "set-backend-service", "backend-id"))
        {
            if (!id.StartsWith('@') && await store.GetAsync(new ResourceKey(scope.Name, ResourceKind.Backend.Kind, "", id.Trim()), ct) is null)
            {
                missing.Add(new ValidationError("value", $"{path}: backend '{id.Trim()}' does not exist."));
            }
        }

        await CheckCertificatesAsync(scope, document, missing, ct);

        // The gateway's build compiles the expressions too: they are checked on their own (for errors with their
        // line and column) only when there is no build to run, or it failed, so a good document is compiled once here.
        if (buildCheck is null || missing.Count > 0)
        {
            Positioned(CheckExpressions(value, namedValues, escaped));
            if (errors.Count == 0)
            {
                errors.AddRange(missing);
            }

            if (errors.Count > 0 || buildCheck is null)
            {
                return errors;
            }
        }

        var built = new List<ValidationError>();
        await CheckBuildAsync(scope, document, target.Level, namedValues, built, ct);
        if (built.Count > 0)
        {
            Positioned(CheckExpressions(value, namedValues, escaped));
            if (errors.Count == 0)
            {
                errors.AddRange(built);
            }
        }

        return errors;
    }

    /// <summary>
    /// Builds the document as a gateway will (<see cref="IPolicyBuildCheck"/>), with the stored fragments it includes, so
    /// that nothing is saved that a gateway cannot apply (a Liquid template that does not parse, an IP address that is not one).
    /// </summary>
    private async Task CheckBuildAsync(ServiceScope scope, PolicyDocument document, PolicyScopeLevel level, NamedValues namedValues, List<ValidationError> errors, CancellationToken ct)
    {
        if (buildCheck is null)
        {
            return;
        }

        var fragments = new Dictionary<string, PolicyDocument>(StringComparer.OrdinalIgnoreCase);
        foreach (var f in await store.ListAsync(scope.Name, FragmentKind, "", ct))
        {
            if ((string?)f.Properties["value"] is { } xml)
            {
                var escaped = string.Equals((string?)f.Properties["format"], "xml", StringComparison.OrdinalIgnoreCase);
                if (PolicyFragment.Validate(xml, namedValues, escaped).Count == 0)
                {
                    fragments[f.Key.Name] = PolicyFragment.Parse(xml, namedValues, escaped);
                }
            }
        }

        foreach (var problem in buildCheck.Check(document, fragments, level))
        {
            errors.Add(new ValidationError("value", namedValues.Redact(problem)));
        }
    }

    /// <summary>The instance's named values, as the gateway substitutes them.</summary>
    private async Task<NamedValues> NamedValuesAsync(ServiceScope scope, CancellationToken ct) =>
        new((await store.ListAsync(scope.Name, ResourceKind.NamedValue.Kind, "", ct)).Select(n => SnapshotPublisher.NamedValueOf(n, vault)));

    /// <summary>
    /// The chain of includes that leads from fragment <paramref name="id"/> (as <paramref name="fragment"/>) back to
    /// itself through the stored fragments, or null. Fragments that do not parse include nothing here.
    /// </summary>
    private async Task<List<string>?> FindCycleAsync(ServiceScope scope, string id, PolicyDocument fragment, CancellationToken ct)
    {
        var namedValues = await NamedValuesAsync(scope, ct);
        var stored = (await store.ListAsync(scope.Name, FragmentKind, "", ct)).ToDictionary(f => f.Key.Name, f => (string?)f.Properties["value"], StringComparer.OrdinalIgnoreCase);
        var includes = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase) { [id] = IncludedFragments(fragment).Select(i => i.Id).ToArray() };
        string[] Includes(string name)
        {
            if (!includes.TryGetValue(name, out var ids))
            {
                ids = [];
                if (stored.GetValueOrDefault(name) is { } xml && PolicyFragment.Validate(xml, namedValues).Count == 0)
                {
                    ids = IncludedFragments(PolicyFragment.Parse(xml, namedValues)).Select(i => i.Id).ToArray();
                }

                includes[name] = ids;
            }

            return ids;
        }

        // Breadth-first over the include graph, remembering how each fragment was reached.
        var reachedFrom = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var queue = new Queue<string>([id]);
        while (queue.TryDequeue(out var current))
        {
            foreach (var next in Includes(current))
            {
                if (string.Equals(next, id, StringComparison.OrdinalIgnoreCase))
                {
                    var chain = new List<string> { id, current };
                    for (var at = current; reachedFrom.TryGetValue(at, out var from); at = from)
                    {
                        chain.Add(from);
                    }

                    chain.Reverse();
                    return chain;
                }

                if (reachedFrom.TryAdd(next, current))
                {
                    queue.Enqueue(next);
                }
            }
        }

        return null;
    }

    private static IEnumerable<(string Id, string Path)> IncludedFragments(PolicyDocument document) => References(document, "include-fragment", "fragment-id");

    /// <summary>The values of an attribute of every element of a name in a document, with where each stands.</summary>
    private static IEnumerable<(string Id, string Path)> References(PolicyDocument document, string element, string attribute) =>
        PolicyElements(document).Where(e => e.Name == element && e.Element[attribute] is not null).Select(e => (e.Element[attribute]!, e.Path));

    /// <summary>Every element of a document, nested ones included, with where it stands (<c>policies/inbound/choose/when/x (line n)</c>).</summary>
    private static IEnumerable<(string Name, PolicyElement Element, string Path)> PolicyElements(PolicyDocument document)
    {
        IEnumerable<(string, PolicyElement, string)> Walk(IReadOnlyList<PolicyElement> elements, string path)
        {
            foreach (var el in elements)
            {
                yield return (el.Name, el, $"{path}/{el.Name} (line {el.Line})");
                foreach (var inner in Walk(el.Children, path + "/" + el.Name))
                {
                    yield return inner;
                }
            }
        }

        return document.Sections.SelectMany(s => Walk(s.Elements, "policies/" + s.Name));
    }

    private static ResourceKey Key(ServiceScope scope, PolicyScope target) => new(scope.Name, Kind, target.Parent, "policy");

    private static JsonObject ToJson(ServiceScope scope, PolicyScope target, string value, string format) => new()
    {
        ["id"] = $"{scope.BaseId}{(target.Parent.Length == 0 ? "" : "/" + target.Parent)}/policies/policy",
        ["type"] = target.ArmType,
        ["name"] = "policy",
        ["properties"] = new JsonObject { ["format"] = format, ["value"] = value },
    };

    private async Task RequireScopeAsync(ServiceScope scope, PolicyScope target, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        switch (target.Segments)
        {
            case ["products", var product]:
                await resources.GetAsync(scope, ResourceKind.Product, "", product, ct);
                break;
            case ["apis", var api]:
                await resources.GetAsync(scope, ResourceKind.Api, "", api, ct);
                break;
            case ["apis", var api, "operations", var op]:
                await resources.GetAsync(scope, ResourceKind.Operation, api, op, ct);
                break;
        }
    }
}

/// <summary>Where a policy document applies: the service (global), a product, an API or an operation.</summary>
public sealed record PolicyScope(string[] Segments)
{
    /// <summary>Storage parent: "", "products/{id}", "apis/{id}" or "apis/{id}/operations/{op}" (lower case).</summary>
    public string Parent => string.Join('/', Segments).ToLowerInvariant();

    /// <summary>The policy level of the scope.</summary>
    public PolicyScopeLevel Level => Segments switch
    {
        [] => PolicyScopeLevel.Global,
        ["products", _] => PolicyScopeLevel.Product,
        ["apis", _] => PolicyScopeLevel.Api,
        _ => PolicyScopeLevel.Operation,
    };

    public string ArmType => Segments switch
    {
        [] => "Microsoft.ApiManagement/service/policies",
        ["products", _] => "Microsoft.ApiManagement/service/products/policies",
        ["apis", _] => "Microsoft.ApiManagement/service/apis/policies",
        _ => "Microsoft.ApiManagement/service/apis/operations/policies",
    };
}
