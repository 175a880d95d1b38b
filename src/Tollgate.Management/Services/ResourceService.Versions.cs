using System.Globalization;
using System.Text.Json.Nodes;
using Tollgate.Core.Resources;
using Tollgate.Management.Api;
using Tollgate.Management.Persistence;

namespace Tollgate.Management.Services;

/// <summary>
/// APIM's versions and revisions of APIs. A version set (<c>apiVersionSets/{id}</c>) groups APIs that are versions of
/// one API (<c>apiVersionSetId</c> + <c>apiVersion</c>, none for the original). An API's revisions: the current one is
/// stored under the API's name (<c>echo</c>, with its <c>apiRevision</c>), each other one under <c>echo;rev={n}</c> with
/// its own operations, policies, schemas and tags; a release (<c>apis/{id}/releases/{releaseId}</c>) makes a revision
/// current by swapping the two in one change set, so everything that names the API (products, subscriptions, tags of
/// products) keeps naming it.
/// </summary>
public sealed partial class ResourceService
{
    /// <summary>The fields a revision shares with its API: they are the current revision's, and follow it when it changes.</summary>
    private static readonly string[] RevisionSharedFields = ["displayName", "path", "apiVersion", "apiVersionSetId", "apiVersionDescription"];

    /// <summary>Of those, the ones a write to a non-current revision may not change (APIM refuses them).</summary>
    private static readonly string[] RevisionFixedFields = ["path", "apiVersion", "apiVersionSetId"];

    /// <summary>Splits a revision's name <c>{apiId};rev={n}</c>; false for an API's own name.</summary>
    internal static bool TryParseRevisionName(string name, out string api, out int revision)
    {
        api = name;
        revision = 0;
        var at = name.IndexOf(";rev=", StringComparison.OrdinalIgnoreCase);
        if (at <= 0)
        {
            return false;
        }

        if (!int.TryParse(name.AsSpan(at + 5), NumberStyles.None, CultureInfo.InvariantCulture, out revision) || revision < 1)
        {
            throw ArmException.Validation("apiId", $"'{name}' is not an API revision: use {{apiId}};rev={{n}} with n a positive number.");
        }

        api = name[..at];
        return true;
    }

    /// <summary>The number of an API's current revision (<c>apiRevision</c>; 1 when it has none).</summary>
    private static int CurrentRevision(StoredResource api) =>
        int.TryParse((string?)api.Properties["apiRevision"], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 1;

    /// <summary>
    /// Where <c>apis/{raw}</c> is stored: <c>{api};rev={n}</c> is the API itself (<c>{api}</c>) when n is its current
    /// revision, else that revision (<c>{api};rev={n}</c>, which may not exist). An API that does not exist keeps the name.
    /// </summary>
    public async Task<string> ResolveApiIdAsync(ServiceScope scope, string raw, CancellationToken ct)
    {
        if (!TryParseRevisionName(raw, out var apiName, out var number))
        {
            return raw;
        }

        var api = await store.GetAsync(Key(scope, ResourceKind.Api, "", apiName), ct);
        return api is null ? raw : CurrentRevision(api) == number ? api.Key.Name : RevisionName(api.Key.Name, number);
    }

    private static string RevisionName(string api, int number) => api + ";rev=" + number.ToString(CultureInfo.InvariantCulture);

    /// <summary>The non-current revisions of an API (they share its path, so the store finds them by it).</summary>
    private async Task<List<StoredResource>> RevisionsOfAsync(ServiceScope scope, StoredResource api, CancellationToken ct)
    {
        var prefix = api.Key.NameKey + ";rev=";
        return (await store.FindByPropertyAsync(scope.Name, ResourceKind.Api.Kind, "path", (string?)api.Properties["path"] ?? "", ct))
            .Where(r => r.Key.NameKey.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(r => TryParseRevisionName(r.Key.Name, out _, out var n) ? n : 0)
            .ToList();
    }

    // ---- writes of APIs ----

    /// <summary>
    /// The name a write of an API goes to, and its properties. <c>{api};rev={n}</c> of an API that does not exist yet
    /// creates the API with revision n (ARM templates name an API's first revision so); a revision takes the fields it
    /// does not give from itself when it exists, else from <paramref name="source"/> (a clone's) or the current revision.
    /// </summary>
    private async Task<(string Name, JsonObject Input)> ApiWriteTargetAsync(ServiceScope scope, string name, JsonObject input, StoredResource? source, CancellationToken ct)
    {
        if (!TryParseRevisionName(name, out var apiName, out var number))
        {
            return (name, input);
        }

        var api = await store.GetAsync(Key(scope, ResourceKind.Api, "", apiName), ct);
        if (api is null)
        {
            if (source is not null)
            {
                throw ArmException.Validation("sourceApiId", $"API '{apiName}' does not exist: a revision is made from a revision of its own API.");
            }

            var first = (JsonObject)input.DeepClone();
            SetField(first, "apiRevision", number.ToString(CultureInfo.InvariantCulture));
            return (apiName, first);
        }

        if (CurrentRevision(api) == number)
        {
            return (api.Key.Name, input);
        }

        if (source is not null && !string.Equals(InstanceModel.RevisionOf(source.Key.NameKey) ?? source.Key.NameKey, api.Key.NameKey, StringComparison.Ordinal))
        {
            throw ArmException.Validation("sourceApiId", $"A revision of API '{api.Key.Name}' is made from one of its revisions (/apis/{api.Key.Name} or /apis/{api.Key.Name};rev={{n}}), not from API '{source.Key.Name}'.");
        }

        var revisionName = RevisionName(api.Key.Name, number);
        var from = await store.GetAsync(Key(scope, ResourceKind.Api, "", revisionName), ct) ?? source ?? api;
        var merged = (JsonObject)from.Properties.DeepClone();
        foreach (var readOnly in new[] { "apiRevision", "isCurrent", "isOnline" })
        {
            merged.Remove(readOnly);
        }

        foreach (var (field, value) in input)
        {
            SetField(merged, field, value?.DeepClone());
        }

        return (revisionName, merged);
    }

    /// <summary>
    /// What <c>isCurrent</c> in a write of <c>apis/{name}</c> asks for, checked before anything is written: the number
    /// of the existing non-current revision that becomes current once the write is done (APIM's "make current"
    /// without a release), or null when it asks nothing (absent, true of the current revision, false of another one, or
    /// an API that does not exist yet: its first revision is current). A 400 naming isCurrent for false on the current
    /// revision (a revision stops being current only when another one becomes current) and for true on a revision that
    /// does not exist yet (APIM: a new revision cannot be made current; create it, then make it current).
    /// </summary>
    private async Task<int?> RevisionToMakeCurrentAsync(ServiceScope scope, string name, JsonObject input, CancellationToken ct)
    {
        var field = input.FirstOrDefault(p => string.Equals(p.Key, "isCurrent", StringComparison.OrdinalIgnoreCase));
        if (field.Key is null || field.Value is null)
        {
            return null;
        }

        if (field.Value is not JsonValue flag || flag.GetValueKind() is not (System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False))
        {
            throw ArmException.Validation("isCurrent", "'isCurrent' must be true or false.");
        }

        var wantsCurrent = flag.GetValue<bool>();
        var addressed = TryParseRevisionName(name, out var apiName, out var number);
        var api = await store.GetAsync(Key(scope, ResourceKind.Api, "", apiName), ct);
        if (api is null)
        {
            return null;
        }

        var current = CurrentRevision(api);
        if (!addressed || number == current)
        {
            return wantsCurrent ? null
                : throw ArmException.Validation("isCurrent", $"Revision {current} is the current revision of API '{api.Key.Name}': it stops being current only when another revision becomes current (PUT apis/{api.Key.Name};rev={{n}} with isCurrent true, or a release in apis/{api.Key.Name}/releases).");
        }

        if (!wantsCurrent)
        {
            return null;
        }

        if (await store.GetAsync(Key(scope, ResourceKind.Api, "", RevisionName(api.Key.Name, number)), ct) is null)
        {
            throw ArmException.Validation("isCurrent", $"Revision {number} of API '{api.Key.Name}' does not exist yet, and a new revision cannot be made current: create it first (without isCurrent), then PUT or PATCH it with isCurrent true.");
        }

        return number;
    }

    /// <summary>
    /// Makes revision <paramref name="number"/> of API <paramref name="apiName"/> current after a write of it asked for
    /// it (<c>isCurrent: true</c>), as a release does but without recording one: the API's current revision becomes
    /// <c>{api};rev={m}</c>, not current. The answer is the API (the revision, now current).
    /// </summary>
    private async Task<(JsonObject Body, string ETag)> MakeRevisionCurrentAsync(ServiceScope scope, string apiName, int number, CancellationToken ct)
    {
        var api = await store.GetAsync(Key(scope, ResourceKind.Api, "", apiName), ct) ?? throw ArmException.NotFound("Api");
        if (CurrentRevision(api) != number)
        {
            await ApplyAsync(scope, await MakeCurrentChangesAsync(scope, api, number, ct), ct);
        }

        return await GetAsync(scope, ResourceKind.Api, "", api.Key.Name, ct);
    }

    /// <summary>Sets a field, replacing one of the same name in another casing.</summary>
    private static void SetField(JsonObject target, string field, JsonNode? value)
    {
        foreach (var same in target.Where(p => string.Equals(p.Key, field, StringComparison.OrdinalIgnoreCase)).Select(p => p.Key).ToList())
        {
            target.Remove(same);
        }

        target[field] = value;
    }

    /// <summary>
    /// An API's version set (<c>apiVersionSetId</c>, stored as <c>/apiVersionSets/{id}</c>), version and revision: a
    /// version set must exist (404 naming apiVersionSetId); a version is unique in its set (the original too) and a
    /// path segment with the Segment scheme; a non-current revision has its API's path, version and version set, and
    /// a change of them on the API is written to each of its revisions.
    /// </summary>
    private async Task PrepareApiVersioningAsync(ServiceScope scope, string name, JsonObject input, JsonObject props, StoredResource? existing,
        List<ValidationError> errors, List<ResourceChange> extra, CancellationToken ct)
    {
        var setId = Text(props["apiVersionSetId"]) is { Length: > 0 } given ? given.Trim()
            : Text(props["apiVersionSet"]?["id"]) is { Length: > 0 } detailed ? detailed.Trim() : null;
        var inline = setId is null ? props["apiVersionSet"] as JsonObject : null;
        props.Remove("apiVersionSet");
        props.Remove("apiVersionSetId");
        StoredResource? set = null;
        if (inline is { Count: > 0 })
        {
            // apiVersionSet's details without an id: a new version set, created with the API (as APIM does).
            set = await InlineVersionSetAsync(scope, inline, errors, extra, ct);
            if (set is not null)
            {
                props["apiVersionSetId"] = $"/{ResourceKind.ApiVersionSet.Segment}/{set.Key.Name}";
            }
        }
        else if (setId is not null)
        {
            // The set of this instance named by /apiVersionSets/{id}, or by an ARM id (another instance's too: a template
            // or an export applied elsewhere names the set of the same name there).
            var parts = RelativeId(scope, setId).Trim('/').Split('/');
            var setName = parts.Length >= 2 && parts[^2].Equals(ResourceKind.ApiVersionSet.Segment, StringComparison.OrdinalIgnoreCase) && parts[^1].Length > 0
                && (parts.Length == 2 || parts[0].Equals("subscriptions", StringComparison.OrdinalIgnoreCase)) ? parts[^1] : null;
            if (setName is null)
            {
                errors.Add(new ValidationError("apiVersionSetId", $"'{setId}' is not a version set: use /apiVersionSets/{{id}} or its ARM id."));
            }
            else
            {
                set = await store.GetAsync(Key(scope, ResourceKind.ApiVersionSet, "", setName), ct)
                    ?? throw new ArmException(404, "ResourceNotFound", "ApiVersionSet not found.", [new ValidationError("apiVersionSetId", $"Version set '{setName}' does not exist: create it first (apiVersionSets/{setName}).")]);
                props["apiVersionSetId"] = $"/{ResourceKind.ApiVersionSet.Segment}/{set.Key.Name}";
            }
        }

        if (Text(props["apiVersion"]) is { Length: 0 })
        {
            props.Remove("apiVersion");
        }

        props["isOnline"] = true;
        if (TryParseRevisionName(name, out var apiName, out var number))
        {
            var api = await store.GetAsync(Key(scope, ResourceKind.Api, "", apiName), ct) ?? throw ArmException.NotFound("Api");
            foreach (var field in RevisionSharedFields)
            {
                if (SameField(field, props[field], api.Properties[field]))
                {
                    continue;
                }

                if (RevisionFixedFields.Contains(field) && (existing is not null || input.Any(p => string.Equals(p.Key, field, StringComparison.OrdinalIgnoreCase))))
                {
                    errors.Add(new ValidationError(field, $"A non-current revision has the {field} of its API ('{Text(api.Properties[field]) ?? "none"}'): change it on the API (apis/{api.Key.Name}), and every revision follows."));
                }

                CopyField(props, field, api.Properties[field]);
            }

            props["apiRevision"] = number.ToString(CultureInfo.InvariantCulture);
            props["isCurrent"] = false;
            return;
        }

        props["apiRevision"] = existing?.Properties["apiRevision"]?.DeepClone()
            ?? (input.FirstOrDefault(p => string.Equals(p.Key, "apiRevision", StringComparison.OrdinalIgnoreCase)).Value is JsonValue first
                && first.TryGetValue<string>(out var firstText) && int.TryParse(firstText, NumberStyles.None, CultureInfo.InvariantCulture, out var firstNumber) && firstNumber > 0
                    ? firstNumber.ToString(CultureInfo.InvariantCulture) : "1");
        props["isCurrent"] = true;
        var version = Text(props["apiVersion"]);
        if (set is not null)
        {
            if (version is not null && (string?)set.Properties["versioningScheme"] == "Segment" && ResourceSchemas.SegmentVersionProblem(version) is { } problem)
            {
                errors.Add(new ValidationError("apiVersion", problem));
            }

            var sibling = (await store.FindByPropertyAsync(scope.Name, ResourceKind.Api.Kind, "apiVersionSetId", (string)props["apiVersionSetId"]!, ct))
                .FirstOrDefault(a => InstanceModel.RevisionOf(a.Key.NameKey) is null && a.Key.NameKey != name.ToLowerInvariant()
                    && string.Equals(Text(a.Properties["apiVersion"]) ?? "", version ?? "", StringComparison.OrdinalIgnoreCase));
            if (sibling is not null)
            {
                errors.Add(new ValidationError("apiVersion", version is null
                    ? $"API '{sibling.Key.Name}' is the original of version set '{set.Key.Name}' (its API without apiVersion) already: give this one an apiVersion."
                    : $"API '{sibling.Key.Name}' is version '{version}' of version set '{set.Key.Name}' already."));
            }
        }

        if (existing is not null)
        {
            foreach (var revision in await RevisionsOfAsync(scope, existing, ct))
            {
                var follows = (JsonObject)revision.Properties.DeepClone();
                foreach (var field in RevisionSharedFields)
                {
                    CopyField(follows, field, props[field]);
                }

                if (!JsonNode.DeepEquals(follows, revision.Properties))
                {
                    extra.Add(new ResourceChange.Put(revision.Key, follows, revision.Secrets));
                }
            }
        }
    }

    /// <summary>Sets a field to a copy of the value, or removes it for none.</summary>
    private static void CopyField(JsonObject target, string field, JsonNode? value)
    {
        if (value is null)
        {
            target.Remove(field);
        }
        else
        {
            target[field] = value.DeepClone();
        }
    }

    /// <summary>
    /// The version set an API's <c>apiVersionSet</c> details (name, versioningScheme, versionHeaderName,
    /// versionQueryName, description) describe, added to the API's change set under a new id; null when they are not
    /// valid (the errors name <c>apiVersionSet.{field}</c>).
    /// </summary>
    private async Task<StoredResource?> InlineVersionSetAsync(ServiceScope scope, JsonObject details, List<ValidationError> errors, List<ResourceChange> extra, CancellationToken ct)
    {
        var input = new JsonObject();
        foreach (var (field, value) in details)
        {
            var name = string.Equals(field, "name", StringComparison.OrdinalIgnoreCase) ? "displayName" : field;
            if (ResourceSchemas.ApiVersionSet.Find(name) is { } known)
            {
                input[known.Name] = value?.DeepClone();
            }
        }

        var own = new List<ValidationError>();
        var id = NewId();
        var props = SchemaValidator.Validate(input, ResourceSchemas.ApiVersionSet, "", own, applyDefaults: true);
        await ValidateVersionSetAsync(scope, id, props, own, ct);
        errors.AddRange(own.Select(e => new ValidationError("apiVersionSet." + (e.Target == "displayName" ? "name" : e.Target), e.Message)));
        if (own.Count > 0)
        {
            return null;
        }

        var key = Key(scope, ResourceKind.ApiVersionSet, "", id);
        extra.Add(new ResourceChange.Put(key, props, null));
        return new StoredResource(key, props, null, "", timeProvider.GetUtcNow(), timeProvider.GetUtcNow());
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static bool SameField(string field, JsonNode? a, JsonNode? b) => field == "path"
        ? string.Equals((Text(a) ?? "").Trim('/'), (Text(b) ?? "").Trim('/'), StringComparison.OrdinalIgnoreCase)
        : JsonNode.DeepEquals(a is JsonValue { } va && Text(va) is "" ? null : a, b is JsonValue { } vb && Text(vb) is "" ? null : b);

    /// <summary>
    /// Whether an API may have the path of <paramref name="other"/>: its own revisions share it, and so do the versions
    /// of one version set (that each has its own apiVersion is checked with the set).
    /// </summary>
    private static bool MayShareApiPath(string name, JsonObject props, StoredResource other)
    {
        var mine = name.ToLowerInvariant();
        if (string.Equals(InstanceModel.RevisionOf(mine) ?? mine, InstanceModel.RevisionOf(other.Key.NameKey) ?? other.Key.NameKey, StringComparison.Ordinal))
        {
            return true;
        }

        return Text(props["apiVersionSetId"]) is { } set && string.Equals(set, Text(other.Properties["apiVersionSetId"]), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A version set: the header or query parameter its scheme reads, and versions its APIs can be called with.</summary>
    private async Task ValidateVersionSetAsync(ServiceScope scope, string name, JsonObject props, List<ValidationError> errors, CancellationToken ct)
    {
        var scheme = (string?)props["versioningScheme"];
        if (scheme == "Header" && props["versionHeaderName"] is null && !errors.Any(e => e.Target == "versionHeaderName"))
        {
            errors.Add(new ValidationError("versionHeaderName", "'versionHeaderName' is required with versioningScheme Header: the header that carries the version."));
        }

        if (scheme == "Query" && props["versionQueryName"] is null && !errors.Any(e => e.Target == "versionQueryName"))
        {
            errors.Add(new ValidationError("versionQueryName", "'versionQueryName' is required with versioningScheme Query: the query parameter that carries the version."));
        }

        if (scheme == "Segment")
        {
            foreach (var api in await store.FindByPropertyAsync(scope.Name, ResourceKind.Api.Kind, "apiVersionSetId", $"/{ResourceKind.ApiVersionSet.Segment}/{name}", ct))
            {
                if (Text(api.Properties["apiVersion"]) is { } version && ResourceSchemas.SegmentVersionProblem(version) is { } problem)
                {
                    errors.Add(new ValidationError("versioningScheme", $"API '{api.Key.Name}' of this version set has version {problem}"));
                }
            }
        }
    }

    /// <summary>A version set some API still is a version of cannot be deleted: 409 naming them (deleting its last API deletes it).</summary>
    private async Task CheckVersionSetUnusedAsync(ServiceScope scope, string name, CancellationToken ct)
    {
        var apis = (await store.FindByPropertyAsync(scope.Name, ResourceKind.Api.Kind, "apiVersionSetId", $"/{ResourceKind.ApiVersionSet.Segment}/{name}", ct))
            .Where(a => InstanceModel.RevisionOf(a.Key.NameKey) is null).Select(a => a.Key.Name).ToList();
        if (apis.Count > 0)
        {
            throw ArmException.Conflict($"Version set '{name}' has {apis.Count} API version(s): {string.Join(", ", apis.Take(10))}{(apis.Count > 10 ? ", …" : "")}. Delete them (or move them out of the set) first; deleting the last one deletes the version set.");
        }
    }

    /// <summary>
    /// What else goes when an API is deleted: with the API (its current revision), every other revision with its
    /// operations, policies, schemas and tags, its releases, and its version set when it was the set's last API (as APIM).
    /// A non-current revision goes alone.
    /// </summary>
    private async Task<List<ResourceChange>> ApiDeleteExtrasAsync(ServiceScope scope, StoredResource existing, CancellationToken ct)
    {
        var changes = new List<ResourceChange>();
        if (InstanceModel.RevisionOf(existing.Key.NameKey) is not null)
        {
            return changes;
        }

        foreach (var revision in await RevisionsOfAsync(scope, existing, ct))
        {
            changes.Add(new ResourceChange.Delete(revision.Key));
            changes.AddRange(await ApiContentDeletesAsync(scope, revision.Key.Name, ct));
        }

        changes.Add(new ResourceChange.DeleteAll(scope.Name, ResourceKind.ApiRelease.Kind, existing.Key.Name));
        if (InstanceModel.ApiVersionSetName(existing.Properties) is { } set
            && !(await store.FindByPropertyAsync(scope.Name, ResourceKind.Api.Kind, "apiVersionSetId", (string)existing.Properties["apiVersionSetId"]!, ct))
                .Any(a => InstanceModel.RevisionOf(a.Key.NameKey) is null && a.Key.NameKey != existing.Key.NameKey))
        {
            changes.Add(new ResourceChange.Delete(Key(scope, ResourceKind.ApiVersionSet, "", set)));
        }

        return changes;
    }

    /// <summary>
    /// <c>DELETE apis/{api};rev={n}</c> of the current revision: refused while the API has other revisions (make another
    /// one current first, or delete the API); the API's only revision is the API, which is deleted.
    /// </summary>
    public async Task<bool> DeleteCurrentRevisionAsync(ServiceScope scope, string apiName, string? ifMatch, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        if (await store.GetAsync(Key(scope, ResourceKind.Api, "", apiName), ct) is { } api && (await RevisionsOfAsync(scope, api, ct)).Count > 0)
        {
            throw ArmException.Validation("apiId", $"Cannot delete the current revision of an API: release another revision of '{api.Key.Name}' first (apis/{api.Key.Name}/releases), or delete the API with all its revisions (apis/{api.Key.Name}).");
        }

        return await DeleteAsync(scope, ResourceKind.Api, "", apiName, ifMatch, deleteSubscriptions: false, ct);
    }

    // ---- an API's content: operations, policies, schemas, tags ----

    private async Task<List<ResourceChange>> ApiContentDeletesAsync(ServiceScope scope, string api, CancellationToken ct)
    {
        var target = api.ToLowerInvariant();
        var changes = new List<ResourceChange> { new ResourceChange.DeleteAll(scope.Name, PolicyService.Kind, $"apis/{target}") };
        foreach (var op in await store.ListAsync(scope.Name, ResourceKind.Operation.Kind, api, ct))
        {
            changes.Add(new ResourceChange.DeleteAll(scope.Name, PolicyService.Kind, $"apis/{target}/operations/{op.Key.NameKey}"));
            changes.Add(new ResourceChange.DeleteAll(scope.Name, ResourceKind.OperationTag, $"{api}/{op.Key.Name}"));
        }

        changes.Add(new ResourceChange.DeleteAll(scope.Name, ResourceKind.Operation.Kind, api));
        changes.Add(new ResourceChange.DeleteAll(scope.Name, ResourceKind.ApiSchema.Kind, api));
        changes.Add(new ResourceChange.DeleteAll(scope.Name, ResourceKind.ApiTag, api));
        return changes;
    }

    private async Task<List<ResourceChange>> ApiContentCopiesAsync(ServiceScope scope, string from, string to, CancellationToken ct)
    {
        var source = from.ToLowerInvariant();
        var target = to.ToLowerInvariant();
        var changes = new List<ResourceChange>();
        foreach (var schema in await store.ListAsync(scope.Name, ResourceKind.ApiSchema.Kind, from, ct))
        {
            changes.Add(new ResourceChange.Put(Key(scope, ResourceKind.ApiSchema, to, schema.Key.Name), (JsonObject)schema.Properties.DeepClone(), null));
        }

        foreach (var op in await store.ListAsync(scope.Name, ResourceKind.Operation.Kind, from, ct))
        {
            changes.Add(new ResourceChange.Put(Key(scope, ResourceKind.Operation, to, op.Key.Name), (JsonObject)op.Properties.DeepClone(), op.Secrets));
            foreach (var tag in await store.ListAsync(scope.Name, ResourceKind.OperationTag, $"{from}/{op.Key.Name}", ct))
            {
                changes.Add(new ResourceChange.Put(new ResourceKey(scope.Name, ResourceKind.OperationTag, $"{to}/{op.Key.Name}", tag.Key.Name), [], null));
            }

            if (await store.GetAsync(new ResourceKey(scope.Name, PolicyService.Kind, $"apis/{source}/operations/{op.Key.NameKey}", "policy"), ct) is { } opPolicy)
            {
                changes.Add(new ResourceChange.Put(new ResourceKey(scope.Name, PolicyService.Kind, $"apis/{target}/operations/{op.Key.NameKey}", "policy"), (JsonObject)opPolicy.Properties.DeepClone(), null));
            }
        }

        if (await store.GetAsync(new ResourceKey(scope.Name, PolicyService.Kind, $"apis/{source}", "policy"), ct) is { } apiPolicy)
        {
            changes.Add(new ResourceChange.Put(new ResourceKey(scope.Name, PolicyService.Kind, $"apis/{target}", "policy"), (JsonObject)apiPolicy.Properties.DeepClone(), null));
        }

        foreach (var tag in await store.ListAsync(scope.Name, ResourceKind.ApiTag, from, ct))
        {
            changes.Add(new ResourceChange.Put(new ResourceKey(scope.Name, ResourceKind.ApiTag, to, tag.Key.Name), [], null));
        }

        return changes;
    }

    // ---- GET ----

    /// <summary>An API's version set as APIM shows it: <c>apiVersionSetId</c> as the ARM id and <c>apiVersionSet</c> with the set's details.</summary>
    private async Task ShowVersionSetAsync(ServiceScope scope, JsonObject props, CancellationToken ct)
    {
        if (Text(props["apiVersionSetId"]) is not { } relative || !relative.StartsWith('/') || relative.StartsWith("/subscriptions/", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var id = scope.BaseId + relative;
        props["apiVersionSetId"] = id;
        if (InstanceModel.ApiVersionSetName(props) is { } name && await store.GetAsync(Key(scope, ResourceKind.ApiVersionSet, "", name), ct) is { } set)
        {
            props["apiVersionSet"] = new JsonObject
            {
                ["id"] = id,
                ["name"] = set.Properties["displayName"]?.DeepClone(),
                ["description"] = set.Properties["description"]?.DeepClone(),
                ["versioningScheme"] = set.Properties["versioningScheme"]?.DeepClone(),
                ["versionQueryName"] = set.Properties["versionQueryName"]?.DeepClone(),
                ["versionHeaderName"] = set.Properties["versionHeaderName"]?.DeepClone(),
            };
        }
    }

    /// <summary>
    /// <c>GET apis/{id}/revisions</c>: APIM's ApiRevisionContract of each revision (<c>apiId</c> <c>/apis/{id};rev={n}</c>,
    /// <c>apiRevision</c>, <c>isCurrent</c>, <c>privateUrl</c> of the non-current ones), by number; <c>$filter</c>
    /// (apiRevision, isCurrent, description), <c>$top</c>, <c>$skip</c>.
    /// </summary>
    public async Task<ResourcePage> ListRevisionsAsync(ServiceScope scope, string apiName, string? filter, int? top, int? skip, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        var api = await store.GetAsync(Key(scope, ResourceKind.Api, "", apiName), ct) ?? throw ArmException.NotFound("Api");
        var set = InstanceModel.ApiVersionSetName(api.Properties) is { } setName ? await store.GetAsync(Key(scope, ResourceKind.ApiVersionSet, "", setName), ct) : null;
        var segment = (string?)set?.Properties["versioningScheme"] == "Segment" && Text(api.Properties["apiVersion"]) is { Length: > 0 } version ? "/" + version : "";
        var path = ((string?)api.Properties["path"] ?? "").Trim('/');
        var all = (await RevisionsOfAsync(scope, api, ct)).Prepend(api)
            .Select(r =>
            {
                var current = ReferenceEquals(r, api);
                var number = current ? CurrentRevision(api) : TryParseRevisionName(r.Key.Name, out _, out var n) ? n : 0;
                var contract = new JsonObject
                {
                    ["apiId"] = $"/apis/{RevisionName(api.Key.Name, number)}",
                    ["apiRevision"] = number.ToString(CultureInfo.InvariantCulture),
                    ["createdDateTime"] = Timestamp(r.Created),
                    ["updatedDateTime"] = Timestamp(r.Updated),
                    ["description"] = r.Properties["apiRevisionDescription"]?.DeepClone(),
                    ["privateUrl"] = current ? null : $"/{path}{segment};rev={number}",
                    ["isOnline"] = true,
                    ["isCurrent"] = current,
                };
                return (Number: number, Contract: contract);
            })
            .OrderBy(r => r.Number)
            .Select(r => r.Contract)
            .ToList();
        if (!string.IsNullOrWhiteSpace(filter))
        {
            var parsed = ODataFilter.Parse(filter, ["apiRevision", "isCurrent", "description", "apiId"]);
            all = all.Where(r => parsed.Matches(f => r[f])).ToList();
        }

        return Page(all, top, skip);
    }

    private ResourcePage Page(List<JsonObject> all, int? top, int? skip)
    {
        if (top is < 1 or > 1000)
        {
            throw ArmException.Validation("$top", "'$top' must be between 1 and 1000.");
        }

        if (skip is < 0)
        {
            throw ArmException.Validation("$skip", "'$skip' must not be negative.");
        }

        var start = skip ?? 0;
        var size = top ?? options.DefaultPageSize;
        var next = (long)start + size;
        return new ResourcePage(all.Skip(start).Take(size).ToList(), all.Count, next < all.Count ? (int)next : null);
    }

    private static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    // ---- releases ----

    /// <summary>
    /// <c>PUT apis/{id}/releases/{releaseId}</c> with <c>properties.apiId</c> (<c>/apis/{id};rev={n}</c> or its ARM id)
    /// and <c>notes</c>: the release is stored and revision n becomes current, in one change set (the API's current
    /// revision becomes <c>{id};rev={m}</c> and revision n takes the API's name). 400 naming apiId when it is not a
    /// revision of this API.
    /// </summary>
    public async Task<(JsonObject Body, string ETag, bool Created)> PutReleaseAsync(ServiceScope scope, string apiName, string releaseId, JsonObject body, string? ifMatch, bool merge, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        CheckName(releaseId, "releaseId", 256);
        var api = await store.GetAsync(Key(scope, ResourceKind.Api, "", apiName), ct) ?? throw ArmException.NotFound("Api");
        var key = Key(scope, ResourceKind.ApiRelease, api.Key.Name, releaseId);
        var existing = await store.GetAsync(key, ct);
        if (merge && existing is null)
        {
            throw ArmException.NotFound("ApiRelease");
        }

        var input = body["properties"] as JsonObject ?? throw ArmException.Validation("properties", "'properties' is required and must be an object.");
        if (merge)
        {
            var merged = (JsonObject)existing!.Properties.DeepClone();
            foreach (var (field, value) in input)
            {
                SetField(merged, ResourceSchemas.ApiRelease.Find(field)?.Name ?? field, value?.DeepClone());
            }

            input = merged;
        }

        var errors = new List<ValidationError>();
        var props = SchemaValidator.Validate(input, ResourceSchemas.ApiRelease, "", errors, applyDefaults: true);
        int? number = null;
        if (Text(props["apiId"]) is { } apiId)
        {
            var relative = RelativeId(scope, apiId).Trim('/').Split('/');
            var named = relative is [var apis, var id] && apis.Equals("apis", StringComparison.OrdinalIgnoreCase) ? Uri.UnescapeDataString(id) : null;
            string? of = null;
            var revision = 0;
            try
            {
                of = named is null ? null : TryParseRevisionName(named, out var revisionOf, out revision) ? revisionOf : named;
            }
            catch (ArmException)
            {
            }

            if (of is null || !string.Equals(of, api.Key.Name, StringComparison.OrdinalIgnoreCase))
            {
                errors.Add(new ValidationError("apiId", $"'{apiId}' is not a revision of API '{api.Key.Name}': use /apis/{api.Key.Name};rev={{n}} (or its ARM id)."));
            }
            else
            {
                number = revision == 0 ? CurrentRevision(api) : revision;
                if (number != CurrentRevision(api) && await store.GetAsync(Key(scope, ResourceKind.Api, "", RevisionName(api.Key.Name, number.Value)), ct) is null)
                {
                    errors.Add(new ValidationError("apiId", $"API '{api.Key.Name}' has no revision {number}."));
                }

                props["apiId"] = $"/apis/{RevisionName(api.Key.Name, number.Value)}";
            }
        }

        if (errors.Count > 0)
        {
            throw ArmException.Validation(errors);
        }

        props["createdDateTime"] = existing?.Properties["createdDateTime"]?.DeepClone() ?? Now();
        props["updatedDateTime"] = Now();
        var changes = new List<ResourceChange> { new ResourceChange.Put(key, props, null, merge ? ifMatch ?? "*" : ifMatch) };
        if (number != CurrentRevision(api))
        {
            changes.AddRange(await MakeCurrentChangesAsync(scope, api, number!.Value, ct));
        }

        await ApplyAsync(scope, changes, ct);
        var (json, etag) = await GetReleaseAsync(scope, api.Key.Name, releaseId, ct);
        return (json, etag, existing is null);
    }

    /// <summary>
    /// The change set that makes revision <paramref name="number"/> of <paramref name="api"/> current: the two swap
    /// names (the API's current revision is kept as <c>{api};rev={m}</c>), each with its operations, policies,
    /// schemas and tags; the API-level fields stay the API's.
    /// </summary>
    private async Task<List<ResourceChange>> MakeCurrentChangesAsync(ServiceScope scope, StoredResource api, int number, CancellationToken ct)
    {
        var revisionName = RevisionName(api.Key.Name, number);
        var revision = await store.GetAsync(Key(scope, ResourceKind.Api, "", revisionName), ct) ?? throw ArmException.NotFound("Api");
        var oldName = RevisionName(api.Key.Name, CurrentRevision(api));
        var becomesCurrent = (JsonObject)revision.Properties.DeepClone();
        foreach (var field in RevisionSharedFields)
        {
            CopyField(becomesCurrent, field, api.Properties[field]);
        }

        becomesCurrent["apiRevision"] = number.ToString(CultureInfo.InvariantCulture);
        becomesCurrent["isCurrent"] = true;
        var becomesRevision = (JsonObject)api.Properties.DeepClone();
        becomesRevision["apiRevision"] = CurrentRevision(api).ToString(CultureInfo.InvariantCulture);
        becomesRevision["isCurrent"] = false;

        // Everything is read before anything is written: the copies are of the two revisions as they are now.
        var toCurrent = await ApiContentCopiesAsync(scope, revisionName, api.Key.Name, ct);
        var toRevision = await ApiContentCopiesAsync(scope, api.Key.Name, oldName, ct);
        var changes = new List<ResourceChange>();
        changes.AddRange(await ApiContentDeletesAsync(scope, api.Key.Name, ct));
        changes.AddRange(await ApiContentDeletesAsync(scope, revisionName, ct));
        changes.Add(new ResourceChange.Delete(revision.Key));
        changes.Add(new ResourceChange.Put(api.Key, becomesCurrent, revision.Secrets));
        changes.Add(new ResourceChange.Put(Key(scope, ResourceKind.Api, "", oldName), becomesRevision, api.Secrets));
        changes.AddRange(toCurrent);
        changes.AddRange(toRevision);
        return changes;
    }

    public async Task<(JsonObject Body, string ETag)> GetReleaseAsync(ServiceScope scope, string apiName, string releaseId, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        var api = await store.GetAsync(Key(scope, ResourceKind.Api, "", apiName), ct) ?? throw ArmException.NotFound("Api");
        var stored = await store.GetAsync(Key(scope, ResourceKind.ApiRelease, api.Key.Name, releaseId), ct) ?? throw ArmException.NotFound("ApiRelease");
        return (ReleaseToJson(scope, stored), stored.ETag);
    }

    public async Task<ResourcePage> ListReleasesAsync(ServiceScope scope, string apiName, string? filter, int? top, int? skip, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        var api = await store.GetAsync(Key(scope, ResourceKind.Api, "", apiName), ct) ?? throw ArmException.NotFound("Api");
        var all = (await store.ListAsync(scope.Name, ResourceKind.ApiRelease.Kind, api.Key.Name, ct)).ToList();
        if (!string.IsNullOrWhiteSpace(filter))
        {
            var parsed = ODataFilter.Parse(filter, ["name", "notes", "apiId", "createdDateTime", "updatedDateTime"]);
            all = all.Where(r => parsed.Matches(f => f == "name" ? JsonValue.Create(r.Key.Name) : r.Properties[f])).ToList();
        }

        return Page(all.Select(r => ReleaseToJson(scope, r)).ToList(), top, skip);
    }

    public async Task<bool> DeleteReleaseAsync(ServiceScope scope, string apiName, string releaseId, string? ifMatch, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        var api = await store.GetAsync(Key(scope, ResourceKind.Api, "", apiName), ct) ?? throw ArmException.NotFound("Api");
        var key = Key(scope, ResourceKind.ApiRelease, api.Key.Name, releaseId);
        if (await store.GetAsync(key, ct) is null)
        {
            return false;
        }

        // As in APIM, the revision it made current stays current.
        await ApplyAsync(scope, [new ResourceChange.Delete(key, ifMatch)], ct);
        return true;
    }

    private static JsonObject ReleaseToJson(ServiceScope scope, StoredResource stored)
    {
        var props = (JsonObject)stored.Properties.DeepClone();
        if (Text(props["apiId"]) is { } apiId && apiId.StartsWith('/'))
        {
            props["apiId"] = scope.BaseId + apiId;
        }

        return new JsonObject
        {
            ["id"] = $"{scope.BaseId}/apis/{stored.Key.Parent}/releases/{stored.Key.Name}",
            ["type"] = ResourceKind.ApiRelease.ArmType,
            ["name"] = stored.Key.Name,
            ["properties"] = props,
        };
    }
}
