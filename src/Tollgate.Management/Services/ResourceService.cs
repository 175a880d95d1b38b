using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Tollgate.Core.Resources;
using Microsoft.AspNetCore.Routing.Patterns;
using Tollgate.Routing;
using Tollgate.Security;
using Tollgate.Management.Api;
using Tollgate.Management.Persistence;

namespace Tollgate.Management.Services;

/// <summary>A page of a list: the items, the total that matched, and the skip of the next page if any.</summary>
public sealed record ResourcePage(IReadOnlyList<JsonObject> Items, int Count, int? NextSkip);

/// <summary>
/// The control plane's resource operations with APIM's rules: validation of every field at once, cross-resource
/// checks (unique API paths, existing scopes), built-ins, cascades, secrets kept encrypted and out of GET responses.
/// Every successful write publishes a new gateway snapshot before it returns.
/// </summary>
public sealed partial class ResourceService(IResourceStore store, SecretVault vault, SnapshotPublisher publisher, TimeProvider timeProvider, ManagementOptions options,
    IEnumerable<Tollgate.Management.Mail.IResourceWriteObserver> observers, Tollgate.Management.Analytics.KeyUsage keyUsage)
{
    private static readonly string[] BuiltInGroups = ["administrators", "developers", "guests"];

    // Cross-resource rules (unique API paths and keys, one open product per API) are checked before the change set
    // is written; one writer at a time keeps the check and the write together: in this process (the gate, so a node
    // holds at most one store connection waiting), then across the nodes sharing the store (its write lock).
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    /// <summary>Runs a write (validation and change set) with no other write of any node in between.</summary>
    public async Task<T> SerializedAsync<T>(Func<Task<T>> write, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            await using var storeLock = await store.LockWritesAsync(ct);
            return await write();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    // ---- instances ----

    public async Task<JsonObject> GetServiceAsync(ServiceScope scope, CancellationToken ct)
    {
        var stored = await GetServiceRecordAsync(scope, ct) ?? throw ArmException.NotFound("Service");
        return ServiceToJson(scope, stored);
    }

    public async Task<IReadOnlyList<JsonObject>> ListServicesAsync(string subscriptionId, string? resourceGroup, CancellationToken ct)
    {
        var all = await store.ListAsync("", ResourceKind.ServiceKind, "", ct);
        return all.Where(s => string.Equals((string?)s.Properties["subscriptionId"], subscriptionId, StringComparison.OrdinalIgnoreCase)
                && (resourceGroup is null || string.Equals((string?)s.Properties["resourceGroup"], resourceGroup, StringComparison.OrdinalIgnoreCase)))
            .Select(s => ServiceToJson(new ServiceScope(subscriptionId, (string)s.Properties["resourceGroup"]!, (string)s.Properties["name"]!), s))
            .ToList();
    }

    /// <summary>
    /// APIM's <c>checkNameAvailability</c>: whether an instance could be created with <c>body.name</c>. Instance names
    /// are host names (<c>{name}.azure-api.net</c>), so they are unique across subscriptions and must be a host label.
    /// </summary>
    public async Task<JsonObject> CheckNameAvailabilityAsync(JsonObject? body, CancellationToken ct)
    {
        if (body?["name"] is not JsonValue value || !value.TryGetValue<string>(out var name))
        {
            throw ArmException.Validation("name", "'name' is required: the instance name to check.");
        }

        if (!ServiceNamePattern().IsMatch(name))
        {
            return Availability(false, "Invalid",
                $"{name} is not a valid instance name: use 1 to 50 letters, digits and hyphens, starting with a letter and ending with a letter or digit.");
        }

        return await store.GetAsync(ServiceKey(name), ct) is null
            ? Availability(true, "Valid", "")
            : Availability(false, "AlreadyExists", $"{name} is already in use. Please select a different name.");

        static JsonObject Availability(bool available, string reason, string message) =>
            new() { ["nameAvailable"] = available, ["reason"] = reason, ["message"] = message };
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[a-zA-Z](?:[a-zA-Z0-9-]{0,48}[a-zA-Z0-9])?$")]
    private static partial System.Text.RegularExpressions.Regex ServiceNamePattern();

    public async Task<(JsonObject Body, bool Created)> PutServiceAsync(ServiceScope scope, JsonObject body, CancellationToken ct)
    {
        CheckName(scope.Name, "name", 50);
        var errors = new List<ValidationError>();
        var input = body["properties"] as JsonObject;
        if (input is null)
        {
            throw ArmException.Validation("properties", "'properties' is required and must be an object.");
        }

        var props = SchemaValidator.Validate(input, ResourceSchemas.Service, "", errors, applyDefaults: true);
        if (body["sku"] is { } sku && sku is not JsonObject)
        {
            errors.Add(new ValidationError("sku", "'sku' must be an object such as {\"name\":\"Developer\",\"capacity\":1}."));
        }

        if (body["location"] is { } location && location.GetValueKind() != System.Text.Json.JsonValueKind.String)
        {
            errors.Add(new ValidationError("location", "'location' must be a string."));
        }

        if (errors.Count > 0)
        {
            throw ArmException.Validation(errors);
        }

        var existing = await store.GetAsync(ServiceKey(scope.Name), ct);
        if (existing is not null && !SameScope(existing, scope))
        {
            throw ArmException.Conflict($"The service name '{scope.Name}' is already in use by another resource group or subscription.");
        }

        var hostNames = await HostNamesAsync(scope, input, (JsonArray)props["hostnameConfigurations"]!, ct);
        props["hostnameConfigurations"] = hostNames.Public;

        props["name"] = scope.Name;
        props["subscriptionId"] = scope.SubscriptionId;
        props["resourceGroup"] = scope.ResourceGroup;
        props["location"] = (string?)body["location"] ?? "local";
        props["sku"] = body["sku"]?.DeepClone() ?? new JsonObject { ["name"] = "Developer", ["capacity"] = 1 };
        props["createdAtUtc"] = existing?.Properties["createdAtUtc"]?.DeepClone() ?? Now();
        await store.ApplyAsync("", [new ResourceChange.Put(ServiceKey(scope.Name), props, null)], ct);

        // The built-ins are one change set of their own; a PUT after an interrupted first one provisions them then.
        if (await store.GetAsync(new ResourceKey(scope.Name, ResourceKind.Group.Kind, "", "administrators"), CancellationToken.None) is null)
        {
            await ProvisionAsync(scope, props, CancellationToken.None);
        }

        // The gateway's copy of the host names (with the certificates) lives in the instance's own scope: a change
        // is a new revision of the instance, so its snapshot carries it.
        var hostKey = new ResourceKey(scope.Name, HostNamesKind, "", "hostnames");
        var stored = await store.GetAsync(hostKey, CancellationToken.None);
        if (stored is null || !JsonNode.DeepEquals(stored.Properties, hostNames.Gateway) || stored.Secrets is null != hostNames.Certificates is null
            || (stored.Secrets is not null && !JsonNode.DeepEquals(vault.Unprotect(stored.Secrets), hostNames.Certificates)))
        {
            await ApplyAsync(scope, [new ResourceChange.Put(hostKey, hostNames.Gateway, hostNames.Certificates is null ? null : vault.Protect(hostNames.Certificates))], CancellationToken.None);
        }
        else
        {
            await PublishAsync(scope.Name, CancellationToken.None);
        }

        return (await GetServiceAsync(scope, ct), existing is null);
    }

    /// <summary>Updates the given properties of an instance (APIM's ApiManagementService_Update).</summary>
    public async Task<JsonObject> PatchServiceAsync(ServiceScope scope, JsonObject body, CancellationToken ct)
    {
        var existing = await GetServiceRecordAsync(scope, ct) ?? throw ArmException.NotFound("Service");
        var merged = new JsonObject
        {
            ["location"] = body["location"]?.DeepClone() ?? existing.Properties["location"]?.DeepClone(),
            ["sku"] = body["sku"]?.DeepClone() ?? existing.Properties["sku"]?.DeepClone(),
        };
        var properties = new JsonObject();
        foreach (var field in ResourceSchemas.Service.Fields.Where(f => !f.ReadOnly))
        {
            properties[field.Name] = existing.Properties[field.Name]?.DeepClone();
        }

        if (body["properties"] is JsonObject input)
        {
            foreach (var (name, value) in input)
            {
                properties[name] = value?.DeepClone();
            }
        }
        else if (body["properties"] is not null)
        {
            throw ArmException.Validation("properties", "'properties' must be an object.");
        }

        merged["properties"] = properties;
        return (await PutServiceAsync(scope, merged, ct)).Body;
    }

    /// <summary>Kind of the instance-scope resource holding the host names the gateway serves, with their certificates (secrets).</summary>
    public const string HostNamesKind = "hostnames";

    private sealed record HostNameSet(JsonArray Public, JsonObject Gateway, JsonObject? Certificates);

    /// <summary>
    /// Checks <c>hostnameConfigurations</c>: a host name once, used by no other instance, a certificate that loads
    /// (with its password), has its private key and covers the host name. Certificates are kept re-exported without a
    /// password in the vault; an entry sent back as GET showed it (with its <c>certificate</c>) keeps its stored one.
    /// </summary>
    private async Task<HostNameSet> HostNamesAsync(ServiceScope scope, JsonObject input, JsonArray entries, CancellationToken ct)
    {
        var errors = new List<ValidationError>();
        var rawEntries = input.FirstOrDefault(p => string.Equals(p.Key, "hostnameConfigurations", StringComparison.OrdinalIgnoreCase)).Value as JsonArray;
        JsonObject? keptCertificates = null;
        if (await store.GetAsync(new ResourceKey(scope.Name, HostNamesKind, "", "hostnames"), ct) is { Secrets: { } secrets })
        {
            keptCertificates = vault.Unprotect(secrets);
        }

        var others = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var service in await store.ListAsync("", ResourceKind.ServiceKind, "", ct))
        {
            if (string.Equals(service.Key.Name, scope.Name, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (var h in (service.Properties["hostnameConfigurations"] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                others.TryAdd((string?)h["hostName"] ?? "", service.Key.Name);
            }
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var publicEntries = new JsonArray();
        var gatewayEntries = new JsonArray();
        var certificates = new JsonObject();
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = (JsonObject)entries[i]!;
            var target = $"hostnameConfigurations[{i}]";
            var hostName = ((string)entry["hostName"]!).ToLowerInvariant();
            var type = (string)entry["type"]!;
            if (!seen.Add(hostName))
            {
                errors.Add(new ValidationError(target + ".hostName", $"'{hostName}' is listed twice."));
                continue;
            }

            if (others.TryGetValue(hostName, out var other))
            {
                errors.Add(new ValidationError(target + ".hostName", $"'{hostName}' is a host name of instance '{other}' already."));
                continue;
            }

            string? pfx = null;
            if (entry["encodedCertificate"] is JsonValue encoded)
            {
                pfx = LoadCertificate((string)encoded!, (string?)entry["certificatePassword"], hostName, target, errors);
            }
            else if (rawEntries?[i] is JsonObject raw && raw.Any(p => string.Equals(p.Key, "certificate", StringComparison.OrdinalIgnoreCase) && p.Value is JsonObject)
                && (string?)keptCertificates?[hostName] is { } kept)
            {
                pfx = kept;
            }

            using var certificate = pfx is null ? null : X509CertificateLoader.LoadPkcs12(Convert.FromBase64String(pfx), null);
            var shown = new JsonObject
            {
                ["type"] = type,
                ["hostName"] = hostName,
                ["negotiateClientCertificate"] = entry["negotiateClientCertificate"]?.DeepClone() ?? false,
                ["defaultSslBinding"] = entry["defaultSslBinding"]?.DeepClone() ?? false,
                ["certificateSource"] = certificate is null ? "None" : "Custom",
                ["certificate"] = certificate is null ? null : new JsonObject
                {
                    ["expiry"] = certificate.NotAfter.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                    ["thumbprint"] = certificate.Thumbprint,
                    ["subject"] = certificate.Subject,
                },
            };
            publicEntries.Add(shown);
            gatewayEntries.Add(new JsonObject { ["type"] = type, ["hostName"] = hostName });
            if (pfx is not null)
            {
                certificates[hostName] = pfx;
            }
        }

        if (errors.Count > 0)
        {
            throw ArmException.Validation(errors);
        }

        return new HostNameSet(publicEntries, new JsonObject { ["hostnameConfigurations"] = gatewayEntries }, certificates.Count == 0 ? null : certificates);
    }

    /// <summary>The certificate re-exported as a PFX without password (base64), or null with the reason in <paramref name="errors"/>.</summary>
    private static string? LoadCertificate(string encoded, string? password, string hostName, string target, List<ValidationError> errors)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(encoded);
        }
        catch (FormatException)
        {
            errors.Add(new ValidationError(target + ".encodedCertificate", "'encodedCertificate' must be a base64-encoded PFX file."));
            return null;
        }

        try
        {
            using var certificate = X509CertificateLoader.LoadPkcs12(bytes, password, X509KeyStorageFlags.Exportable);
            if (!certificate.HasPrivateKey)
            {
                errors.Add(new ValidationError(target + ".encodedCertificate", "The certificate has no private key: export it as a PFX with its key."));
                return null;
            }

            if (!certificate.MatchesHostname(hostName, allowWildcards: true, allowCommonName: true))
            {
                errors.Add(new ValidationError(target + ".encodedCertificate", $"The certificate ({certificate.Subject}) does not cover host name '{hostName}'."));
                return null;
            }

            return Convert.ToBase64String(certificate.Export(X509ContentType.Pkcs12));
        }
        catch (CryptographicException e)
        {
            errors.Add(new ValidationError(target + ".encodedCertificate", $"The certificate cannot be read (a PFX file with the right certificatePassword is needed): {e.Message}"));
            return null;
        }
    }

    public async Task DeleteServiceAsync(ServiceScope scope, CancellationToken ct)
    {
        var existing = await GetServiceRecordAsync(scope, ct) ?? throw ArmException.NotFound("Service");
        var changes = new List<ResourceChange>();
        foreach (var kind in (await store.ListServiceAsync(scope.Name, ct)).Select(r => r.Key.Kind).Distinct())
        {
            changes.Add(new ResourceChange.DeleteAll(scope.Name, kind, null));
        }

        // Once started, a delete runs to the end: the gateways must not keep serving a half-deleted instance. The
        // instance's record goes in the same change set, so a node told of this revision finds the instance gone.
        changes.Add(new ResourceChange.Delete(existing.Key));
        var revision = await store.ApplyAsync(scope.Name, changes, CancellationToken.None);
        publisher.Remove(scope.Name, revision);
    }

    // ---- entities ----

    public async Task<(JsonObject Body, string ETag)> GetAsync(ServiceScope scope, ResourceKind kind, string parent, string name, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        var stored = await store.GetAsync(Key(scope, kind, parent, name), ct) ?? throw ArmException.NotFound(kind.Title);
        return (await ToJsonAsync(scope, kind, stored, ct), stored.ETag);
    }

    public async Task<ResourcePage> ListAsync(ServiceScope scope, ResourceKind kind, string parent, string? filter, int? top, int? skip, CancellationToken ct,
        Func<StoredResource, bool>? where = null)
    {
        await RequireServiceAsync(scope, ct);
        var all = (await store.ListAsync(scope.Name, kind.Kind, parent, ct)).Where(r => where is null || where(r));
        return await PageAsync(scope, kind, all, filter, top, skip, ct);
    }

    /// <summary>The subscriptions of a product (by <c>scope</c>) or of a user (by <c>ownerId</c>).</summary>
    public async Task<ResourcePage> ListSubscriptionsOfAsync(ServiceScope scope, ResourceKind ownerKind, string id, string field, string? filter, int? top, int? skip, CancellationToken ct)
    {
        _ = await GetAsync(scope, ownerKind, "", id, ct);
        var relative = $"/{ownerKind.Segment}/{id}";
        return await ListAsync(scope, ResourceKind.Subscription, "", filter, top, skip, ct,
            r => string.Equals((string?)r.Properties[field], relative, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// APIM's <c>GET users/{userId}/subscriptions/{sid}</c>: the subscription when the user owns it; 404 when the user
    /// does not exist, or the subscription does not or belongs to someone else (never saying which).
    /// </summary>
    public async Task<(JsonObject Body, string ETag)> GetUserSubscriptionAsync(ServiceScope scope, string userId, string subscriptionName, CancellationToken ct)
    {
        _ = await GetAsync(scope, ResourceKind.User, "", userId, ct);
        var stored = await store.GetAsync(Key(scope, ResourceKind.Subscription, "", subscriptionName), ct);
        if (stored is null || !string.Equals((string?)stored.Properties["ownerId"], $"/{ResourceKind.User.Segment}/{userId}", StringComparison.OrdinalIgnoreCase))
        {
            throw ArmException.NotFound("Subscription");
        }

        return await GetAsync(scope, ResourceKind.Subscription, "", subscriptionName, ct);
    }

    public async Task<(JsonObject Body, string ETag, bool Created)> PutAsync(ServiceScope scope, ResourceKind kind, string parent, string name, JsonObject body, string? ifMatch, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        CheckName(name, kind == ResourceKind.Operation ? "operationId" : kind == ResourceKind.ApiSchema ? "schemaId" : $"{char.ToLowerInvariant(kind.Title[0])}{kind.Title[1..]}Id", 256);
        int? makeCurrent = null;
        var addressed = name;
        if (kind == ResourceKind.Api && body["properties"] is JsonObject apiInput)
        {
            makeCurrent = await RevisionToMakeCurrentAsync(scope, name, apiInput, ct);
            (name, var apiTarget) = await ApiWriteTargetAsync(scope, name, apiInput, null, ct);
            body = new JsonObject { ["properties"] = apiTarget.DeepClone() };
        }

        var key = Key(scope, kind, parent, name);
        var existing = await store.GetAsync(key, ct);
        var input = body["properties"] as JsonObject ?? throw ArmException.Validation("properties", "'properties' is required and must be an object.");
        var (props, secrets, extra) = await PrepareAsync(scope, kind, parent, name, input, existing, ct);
        await ApplyAsync(scope, [new ResourceChange.Put(key, props, secrets, ifMatch), .. extra], ct);
        await WrittenAsync(scope, kind, existing, key);
        // isCurrent true named an existing revision (apis/{api};rev={n}): written, it becomes current.
        var (json, etag) = makeCurrent is { } number && TryParseRevisionName(addressed, out var apiName, out _)
            ? await MakeRevisionCurrentAsync(scope, apiName, number, ct)
            : await GetAsync(scope, kind, parent, name, ct);
        return (json, etag, existing is null);
    }

    public async Task<(JsonObject Body, string ETag)> PatchAsync(ServiceScope scope, ResourceKind kind, string parent, string name, JsonObject body, string? ifMatch, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        var key = Key(scope, kind, parent, name);
        var existing = await store.GetAsync(key, ct) ?? throw ArmException.NotFound(kind.Title);
        var input = body["properties"] as JsonObject ?? throw ArmException.Validation("properties", "'properties' is required and must be an object.");
        var makeCurrent = kind == ResourceKind.Api ? await RevisionToMakeCurrentAsync(scope, name, input, ct) : null;
        var merged = (JsonObject)existing.Properties.DeepClone();
        foreach (var (field, value) in input)
        {
            var known = kind.Schema.Find(field);
            merged.Remove(known?.Name ?? field);
            merged[known?.Name ?? field] = value?.DeepClone();
        }

        var (props, secrets, extra) = await PrepareAsync(scope, kind, parent, name, merged, existing, ct);
        await ApplyAsync(scope, [new ResourceChange.Put(key, props, secrets, ifMatch ?? "*"), .. extra], ct);
        await WrittenAsync(scope, kind, existing, key);
        return makeCurrent is { } number && TryParseRevisionName(name, out var apiName, out _)
            ? await MakeRevisionCurrentAsync(scope, apiName, number, ct)
            : await GetAsync(scope, kind, parent, name, ct);
    }

    public async Task<bool> DeleteAsync(ServiceScope scope, ResourceKind kind, string parent, string name, string? ifMatch, bool deleteSubscriptions, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        var key = Key(scope, kind, parent, name);
        var existing = await store.GetAsync(key, ct);
        if (existing is null)
        {
            return false;
        }

        if (kind == ResourceKind.Operation && await IsWebSocketApiAsync(scope, parent, ct))
        {
            throw ArmException.Validation("operationId", WebSocketOperationMessage(parent));
        }

        var changes = new List<ResourceChange> { new ResourceChange.Delete(key, ifMatch) };
        if (kind == ResourceKind.Api)
        {
            changes.Add(new ResourceChange.DeleteAll(scope.Name, PolicyService.Kind, $"apis/{name}"));
            foreach (var op in await store.ListAsync(scope.Name, ResourceKind.Operation.Kind, name, ct))
            {
                changes.Add(new ResourceChange.DeleteAll(scope.Name, PolicyService.Kind, $"apis/{name}/operations/{op.Key.Name}"));
                changes.Add(new ResourceChange.DeleteAll(scope.Name, ResourceKind.OperationTag, $"{name}/{op.Key.Name}"));
            }

            changes.Add(new ResourceChange.DeleteAll(scope.Name, ResourceKind.Operation.Kind, name));
            changes.Add(new ResourceChange.DeleteAll(scope.Name, ResourceKind.ApiSchema.Kind, name));
            changes.Add(new ResourceChange.DeleteAll(scope.Name, ResourceKind.ProductApi, null, name));
            changes.Add(new ResourceChange.DeleteAll(scope.Name, ResourceKind.ApiTag, name));
            changes.AddRange((await SubscriptionsWithScopeAsync(scope, $"/apis/{name}", ct)).Select(s => new ResourceChange.Delete(s.Key)));
            changes.AddRange(await ApiDeleteExtrasAsync(scope, existing, ct));
        }
        else if (kind == ResourceKind.ApiVersionSet)
        {
            await CheckVersionSetUnusedAsync(scope, name, ct);
        }
        else if (kind == ResourceKind.Product)
        {

            var subscriptions = await SubscriptionsWithScopeAsync(scope, $"/products/{name}", ct);
            if (subscriptions.Count > 0 && !deleteSubscriptions)
            {
                throw ArmException.Conflict($"Product '{name}' has {subscriptions.Count} subscription(s). Delete them first or pass deleteSubscriptions=true.");
            }

            changes.AddRange(subscriptions.Select(s => new ResourceChange.Delete(s.Key)));
            changes.Add(new ResourceChange.DeleteAll(scope.Name, PolicyService.Kind, $"products/{name}"));
            changes.Add(new ResourceChange.DeleteAll(scope.Name, ResourceKind.ProductApi, name));
            changes.Add(new ResourceChange.DeleteAll(scope.Name, ResourceKind.ProductGroup, name));
            changes.Add(new ResourceChange.DeleteAll(scope.Name, ResourceKind.ProductTag, name));
        }
        else if (kind == ResourceKind.Tag)
        {
            changes.Add(new ResourceChange.DeleteAll(scope.Name, ResourceKind.ApiTag, null, name));
            changes.Add(new ResourceChange.DeleteAll(scope.Name, ResourceKind.ProductTag, null, name));
            changes.Add(new ResourceChange.DeleteAll(scope.Name, ResourceKind.OperationTag, null, name));
        }
        else if (kind == ResourceKind.Operation)
        {
            changes.Add(new ResourceChange.DeleteAll(scope.Name, PolicyService.Kind, $"apis/{parent}/operations/{name}"));
            changes.Add(new ResourceChange.DeleteAll(scope.Name, ResourceKind.OperationTag, $"{parent}/{name}"));
        }
        else if (kind == ResourceKind.Backend)
        {
            foreach (var pool in await store.ListAsync(scope.Name, ResourceKind.Backend.Kind, "", ct))
            {
                if (BackendPoolMembers(pool.Properties).Contains(name, StringComparer.OrdinalIgnoreCase))
                {
                    throw ArmException.Conflict($"Backend '{name}' is a member of the pool '{pool.Key.Name}': remove it from the pool first.");
                }
            }
        }
        else if (kind == ResourceKind.Group)
        {
            if (BuiltInGroups.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                throw ArmException.Validation("groupId", $"The built-in group '{name}' cannot be deleted.");
            }

            changes.Add(new ResourceChange.DeleteAll(scope.Name, ResourceKind.GroupUser, name));
            changes.Add(new ResourceChange.DeleteAll(scope.Name, ResourceKind.ProductGroup, null, name));
        }
        else if (kind == ResourceKind.User)
        {
            if (name == "1")
            {
                throw ArmException.Validation("userId", "The administrator account '1' cannot be deleted.");
            }

            changes.Add(new ResourceChange.DeleteAll(scope.Name, ResourceKind.GroupUser, null, name));
            var owned = (await store.ListAsync(scope.Name, ResourceKind.Subscription.Kind, "", ct))
                .Where(s => string.Equals((string?)s.Properties["ownerId"], $"/users/{name}", StringComparison.OrdinalIgnoreCase));
            changes.AddRange(owned.Select(s => new ResourceChange.Delete(s.Key)));
        }

        await ApplyAsync(scope, changes, ct);
        await WrittenAsync(scope, kind, existing, null);
        return true;
    }

    /// <summary>Tells the observers (e-mail notifications) of a committed write; they never fail the write.</summary>
    private async Task WrittenAsync(ServiceScope scope, ResourceKind kind, StoredResource? before, ResourceKey? key)
    {
        var after = key is null ? null : await store.GetAsync(key, CancellationToken.None);
        foreach (var observer in observers)
        {
            await observer.WrittenAsync(scope, kind, before, after, CancellationToken.None);
        }
    }

    /// <summary>
    /// Creates or replaces an API together with all its operations (OpenAPI import) in one change set:
    /// every operation is validated first, and nothing is written unless all of them are valid.
    /// </summary>
    public async Task<(JsonObject Body, string ETag, bool Created)> ImportApiAsync(ServiceScope scope, string apiId, JsonObject apiProperties,
        IReadOnlyList<(string Name, JsonObject Properties)> operations, CancellationToken ct, JsonObject? schema = null)
    {
        await RequireServiceAsync(scope, ct);
        CheckName(apiId, "apiId", 256);
        var makeCurrent = await RevisionToMakeCurrentAsync(scope, apiId, apiProperties, ct);
        var addressed = apiId;
        (apiId, apiProperties) = await ApiWriteTargetAsync(scope, apiId, apiProperties, null, ct);
        var key = Key(scope, ResourceKind.Api, "", apiId);
        var existing = await store.GetAsync(key, ct);
        var (props, secrets, revisionsFollow) = await PrepareAsync(scope, ResourceKind.Api, "", apiId, apiProperties, existing, ct);
        var errors = new List<ValidationError>();
        var validated = new List<(string Name, JsonObject Properties)>();
        for (var i = 0; i < operations.Count; i++)
        {
            var (name, input) = operations[i];
            var target = $"operations[{i}].";
            var before = errors.Count;
            var op = SchemaValidator.Validate(input, ResourceKind.Operation.Schema, target.TrimEnd('.'), errors, applyDefaults: true);
            if (errors.Count == before)
            {
                await ValidateOperationAsync(scope, apiId, name, op, errors, ct, validated, target, (string?)props["path"]);
            }

            validated.Add((name, op));
        }

        if (errors.Count > 0)
        {
            throw ArmException.Validation(errors);
        }

        var changes = new List<ResourceChange>
        {
            new ResourceChange.Put(key, props, secrets),
            new ResourceChange.DeleteAll(scope.Name, ResourceKind.Operation.Kind, apiId),
            new ResourceChange.DeleteAll(scope.Name, ResourceKind.ApiSchema.Kind, apiId),
        };
        changes.AddRange(revisionsFollow);
        changes.AddRange(validated.Select(o => new ResourceChange.Put(Key(scope, ResourceKind.Operation, apiId, o.Name), o.Properties, null)));
        if (schema is not null)
        {
            changes.Add(new ResourceChange.Put(Key(scope, ResourceKind.ApiSchema, apiId, Api.OpenApiConverter.ImportedSchemaId), schema, null));
        }

        await ApplyAsync(scope, changes, ct);
        var (json, etag) = makeCurrent is { } number && TryParseRevisionName(addressed, out var apiName, out _)
            ? await MakeRevisionCurrentAsync(scope, apiName, number, ct)
            : await GetAsync(scope, ResourceKind.Api, "", apiId, ct);
        return (json, etag, existing is null);
    }

    /// <summary>
    /// APIM's clone (<c>PUT apis/{id}</c> with <c>properties.sourceApiId</c>, <c>/apis/{source}</c> or its full ARM id):
    /// the new API with the given properties, and copies of the source's operations, policies (API and operation) and
    /// tags, in one change set. Replacing an existing API replaces its operations, policies and tags too. A source that
    /// does not exist is a 400 naming <c>sourceApiId</c>.
    /// </summary>
    public async Task<(JsonObject Body, string ETag, bool Created)> CloneApiAsync(ServiceScope scope, string apiId, JsonObject body, string? ifMatch, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        CheckName(apiId, "apiId", 256);
        var input = (body["properties"] as JsonObject ?? throw ArmException.Validation("properties", "'properties' is required and must be an object.")).DeepClone().AsObject();
        var sourceText = input["sourceApiId"] is JsonValue sv && sv.TryGetValue<string>(out var st) ? st.Trim() : null;
        input.Remove("sourceApiId");
        var match = sourceText is null ? null : SourceApiPattern().Match(sourceText);
        if (match is not { Success: true } || (match.Groups[1].Success && !string.Equals(match.Groups[1].Value, scope.BaseId, StringComparison.OrdinalIgnoreCase)))
        {
            throw ArmException.Validation("sourceApiId", $"'sourceApiId' must name an API of this instance: /apis/{{apiId}} or {scope.BaseId}/apis/{{apiId}}.");
        }

        // A revision (/apis/{id};rev={n}) is the API itself when it is the current one.
        var sourceId = await ResolveApiIdAsync(scope, Uri.UnescapeDataString(match.Groups[2].Value) + match.Groups[3].Value, ct);
        var source = await store.GetAsync(Key(scope, ResourceKind.Api, "", sourceId), ct)
            ?? throw ArmException.Validation("sourceApiId", $"The source API '{sourceId}' does not exist.");
        var makeCurrent = await RevisionToMakeCurrentAsync(scope, apiId, input, ct);
        var addressed = apiId;
        (apiId, input) = await ApiWriteTargetAsync(scope, apiId, input, source, ct);
        if (string.Equals(source.Key.Name, apiId, StringComparison.OrdinalIgnoreCase))
        {
            throw ArmException.Validation("sourceApiId", "An API cannot be cloned onto itself.");
        }

        var key = Key(scope, ResourceKind.Api, "", apiId);
        var existing = await store.GetAsync(key, ct);
        var (props, secrets, revisionsFollow) = await PrepareAsync(scope, ResourceKind.Api, "", apiId, input, existing, ct);
        var changes = new List<ResourceChange> { new ResourceChange.Put(key, props, secrets, ifMatch) };
        changes.AddRange(revisionsFollow);
        if (existing is not null)
        {
            changes.AddRange(await ApiContentDeletesAsync(scope, apiId, ct));
        }

        changes.AddRange(await ApiContentCopiesAsync(scope, source.Key.Name, apiId, ct));

        await ApplyAsync(scope, changes, ct);
        await WrittenAsync(scope, ResourceKind.Api, existing, key);
        var (json, etag) = makeCurrent is { } number && TryParseRevisionName(addressed, out var apiName, out _)
            ? await MakeRevisionCurrentAsync(scope, apiName, number, ct)
            : await GetAsync(scope, ResourceKind.Api, "", apiId, ct);
        return (json, etag, existing is null);
    }

    [System.Text.RegularExpressions.GeneratedRegex("^(/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.ApiManagement/service/[^/]+)?/apis/([^/;]+)(;rev=[0-9]+)?$", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex SourceApiPattern();

    /// <summary>An API and its operations as stored (OpenAPI export).</summary>
    public async Task<(StoredResource Api, IReadOnlyList<StoredResource> Operations)> GetApiWithOperationsAsync(ServiceScope scope, string apiId, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        var api = await store.GetAsync(Key(scope, ResourceKind.Api, "", apiId), ct) ?? throw ArmException.NotFound("Api");
        return (api, await store.ListAsync(scope.Name, ResourceKind.Operation.Kind, apiId, ct));
    }

    // ---- links: products/{p}/apis/{a}, products/{p}/groups/{g}, groups/{g}/users/{u} ----

    public async Task<(JsonObject Body, bool Created)> PutLinkAsync(ServiceScope scope, string linkKind, string parent, string name, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        var (parentKind, childKind) = LinkKinds(linkKind);
        var parentRecord = await store.GetAsync(LinkOwnerKey(scope, linkKind, parentKind, parent), ct) ?? throw ArmException.NotFound(parentKind.Title);
        var child = await store.GetAsync(Key(scope, childKind, "", name), ct) ?? throw ArmException.NotFound(childKind.Title);
        // APIM: an API can be in at most one open product, since a call without a key must resolve to one product.
        if (linkKind == ResourceKind.ProductApi && parentRecord.Properties["subscriptionRequired"]?.GetValue<bool>() == false
            && await OtherOpenProductAsync(scope, name, parent, ct) is { } other)
        {
            throw ArmException.Validation("apiId", $"API '{name}' is already in the open product '{other}'; an API can be in at most one product that does not require a subscription.");
        }

        var key = new ResourceKey(scope.Name, linkKind, parent, name);
        var existing = await store.GetAsync(key, ct);
        if (existing is null)
        {
            await ApplyAsync(scope, [new ResourceChange.Put(key, [], null)], ct);
        }

        return (await ToJsonAsync(scope, childKind, child, ct), existing is null);
    }

    /// <summary>An open product other than <paramref name="exceptProduct"/> that contains the API, if any.</summary>
    private async Task<string?> OtherOpenProductAsync(ServiceScope scope, string apiId, string exceptProduct, CancellationToken ct)
    {
        foreach (var link in (await store.ListAsync(scope.Name, ResourceKind.ProductApi, null, ct))
            .Where(l => l.Key.NameKey == apiId.ToLowerInvariant() && l.Key.ParentKey != exceptProduct.ToLowerInvariant()))
        {
            var product = await store.GetAsync(Key(scope, ResourceKind.Product, "", link.Key.Parent), ct);
            if (product?.Properties["subscriptionRequired"]?.GetValue<bool>() == false)
            {
                return product.Key.Name;
            }
        }

        return null;
    }

    public async Task<bool> DeleteLinkAsync(ServiceScope scope, string linkKind, string parent, string name, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        var key = new ResourceKey(scope.Name, linkKind, parent, name);
        if (await store.GetAsync(key, ct) is null)
        {
            return false;
        }

        await ApplyAsync(scope, [new ResourceChange.Delete(key)], ct);
        return true;
    }

    public async Task<bool> LinkExistsAsync(ServiceScope scope, string linkKind, string parent, string name, CancellationToken ct) =>
        await store.GetAsync(new ResourceKey(scope.Name, linkKind, parent, name), ct) is not null;

    /// <summary>Children of a link parent (the APIs of a product), or parents of a link child (the products of an API) when <paramref name="reverse"/>.</summary>
    public async Task<ResourcePage> ListLinkedAsync(ServiceScope scope, string linkKind, string id, bool reverse, string? filter, int? top, int? skip, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        var (parentKind, childKind) = LinkKinds(linkKind);
        var ownerKind = reverse ? childKind : parentKind;
        _ = await store.GetAsync(reverse ? Key(scope, ownerKind, "", id) : LinkOwnerKey(scope, linkKind, ownerKind, id), ct) ?? throw ArmException.NotFound(ownerKind.Title);
        var links = await store.ListAsync(scope.Name, linkKind, reverse ? null : id, ct);
        var targetKind = reverse ? parentKind : childKind;
        var wanted = links.Where(l => !reverse || l.Key.NameKey == id.ToLowerInvariant())
            .Select(l => reverse ? l.Key.ParentKey : l.Key.NameKey).ToHashSet();
        var items = (await store.ListAsync(scope.Name, targetKind.Kind, "", ct)).Where(r => wanted.Contains(r.Key.NameKey));
        var page = await PageAsync(scope, targetKind, items, filter, top, skip, ct);
        if (LinkedShape(scope, linkKind, id, reverse) is { } shape)
        {
            foreach (var item in page.Items)
            {
                item["type"] = shape.Type;
                if (shape.IdPrefix is not null)
                {
                    item["id"] = $"{shape.IdPrefix}/{(string?)item["name"]}";
                }
            }
        }

        return page;
    }

    /// <summary>
    /// How APIM shows the members of a link collection: typed by the collection (<c>…/products/apis</c>), and
    /// addressed under the owner where APIM does so (<c>products/{p}/apis/{a}</c>, <c>products/{p}/groups/{g}</c>,
    /// <c>users/{u}/groups/{g}</c>; a product's API list and a group's user list keep the member's own id). Null: as stored.
    /// </summary>
    private static (string Type, string? IdPrefix)? LinkedShape(ServiceScope scope, string linkKind, string id, bool reverse) => (linkKind, reverse) switch
    {
        (ResourceKind.ProductApi, false) => ("Microsoft.ApiManagement/service/products/apis", $"{scope.BaseId}/products/{id}/apis"),
        (ResourceKind.ProductApi, true) => ("Microsoft.ApiManagement/service/apis/products", null),
        (ResourceKind.ProductGroup, false) => ("Microsoft.ApiManagement/service/products/groups", $"{scope.BaseId}/products/{id}/groups"),
        (ResourceKind.GroupUser, false) => ("Microsoft.ApiManagement/service/groups/users", null),
        (ResourceKind.GroupUser, true) => ("Microsoft.ApiManagement/service/users/groups", $"{scope.BaseId}/users/{id}/groups"),
        _ => null,
    };

    // ---- secrets ----

    public async Task<JsonObject> ListSecretsAsync(ServiceScope scope, string subscriptionName, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        var stored = await store.GetAsync(Key(scope, ResourceKind.Subscription, "", subscriptionName), ct) ?? throw ArmException.NotFound("Subscription");
        var secrets = vault.Unprotect(stored.Secrets);
        return new JsonObject { ["primaryKey"] = (string?)secrets["primaryKey"], ["secondaryKey"] = (string?)secrets["secondaryKey"] };
    }

    public async Task RegenerateKeyAsync(ServiceScope scope, string subscriptionName, bool primary, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        var key = Key(scope, ResourceKind.Subscription, "", subscriptionName);
        var stored = await store.GetAsync(key, ct) ?? throw ArmException.NotFound("Subscription");
        var secrets = vault.Unprotect(stored.Secrets);
        secrets[primary ? "primaryKey" : "secondaryKey"] = SecretGenerator.NewSubscriptionKey();
        // A new key: the old one's expiry and last use are not its own.
        var props = (JsonObject)stored.Properties.DeepClone();
        SubscriptionKeys.Regenerated(props, secrets, primary ? "primary" : "secondary", timeProvider.GetUtcNow());
        await ApplyAsync(scope, [new ResourceChange.Put(key, props, vault.Protect(secrets), stored.ETag)], ct);
    }

    public async Task<JsonObject> ListNamedValueAsync(ServiceScope scope, string name, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        var stored = await store.GetAsync(Key(scope, ResourceKind.NamedValue, "", name), ct) ?? throw ArmException.NotFound("NamedValue");
        var value = stored.Properties["secret"]?.GetValue<bool>() == true ? (string?)vault.Unprotect(stored.Secrets)["value"] : (string?)stored.Properties["value"];
        return new JsonObject { ["value"] = value };
    }

    /// <summary>
    /// APIM's <c>POST namedValues/{id}/refreshSecret</c> fetches a Key Vault-backed value again. Tollgate reaches no Key
    /// Vault, so nothing can be refreshed: a 400 naming <c>keyVault</c> says why (a named value without a Key Vault
    /// reference has nothing to refresh; one with a reference keeps the value it was written with). 404 when there is none.
    /// </summary>
    public async Task<JsonObject> RefreshNamedValueSecretAsync(ServiceScope scope, string name, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        var stored = await store.GetAsync(Key(scope, ResourceKind.NamedValue, "", name), ct) ?? throw ArmException.NotFound("NamedValue");
        throw stored.Properties["keyVault"] is JsonObject
            ? ArmException.Validation("keyVault", $"Named value '{stored.Key.Name}' references a Key Vault secret, but Tollgate does not reach Azure Key Vault, so its secret cannot be refreshed. Write the value itself with PUT namedValues/{stored.Key.Name} and properties.value.")
            : ArmException.Validation("keyVault", $"Named value '{stored.Key.Name}' is not a Key Vault reference (it has no 'keyVault'): only Key Vault-backed named values have a secret to refresh.");
    }

    // ---- internals ----

    private async Task<(JsonObject Props, string? Secrets, List<ResourceChange> Extra)> PrepareAsync(
        ServiceScope scope, ResourceKind kind, string parent, string name, JsonObject input, StoredResource? existing, CancellationToken ct)
    {
        var errors = new List<ValidationError>();
        var props = SchemaValidator.Validate(input, kind.Schema, "", errors, applyDefaults: true);
        var secrets = existing is null ? [] : vault.Unprotect(existing.Secrets);
        var extra = new List<ResourceChange>();
        foreach (var field in kind.Schema.Fields.Where(f => f.Secret))
        {
            if (props[field.Name] is { } value)
            {
                props.Remove(field.Name);
                secrets[field.Name] = value.DeepClone();
            }
        }

        if (kind == ResourceKind.Api)
        {
            // A GET shows serviceUrl with its password masked: writing that masked value back keeps the password.
            if ((string?)props["serviceUrl"] is { } url && (string?)existing?.Properties["serviceUrl"] is { } stored
                && !string.Equals(url, stored, StringComparison.Ordinal) && string.Equals(url, MaskServiceUrl(stored), StringComparison.Ordinal))
            {
                props["serviceUrl"] = stored;
            }

            await PrepareApiVersioningAsync(scope, name, input, props, existing, errors, extra, ct);
            await ValidateApiAsync(scope, name, props, errors, ct);
            PrepareWebSocketApi(scope, name, props, existing, errors, extra);
        }
        else if (kind == ResourceKind.ApiVersionSet)
        {
            await ValidateVersionSetAsync(scope, name, props, errors, ct);
        }
        else if (kind == ResourceKind.Operation)
        {
            await ValidateOperationAsync(scope, parent, name, props, errors, ct);
        }
        else if (kind == ResourceKind.Product)
        {
            if (props["subscriptionRequired"]?.GetValue<bool>() == false)
            {
                foreach (var link in await store.ListAsync(scope.Name, ResourceKind.ProductApi, name, ct))
                {
                    if (await OtherOpenProductAsync(scope, link.Key.Name, name, ct) is { } other)
                    {
                        errors.Add(new ValidationError("subscriptionRequired", $"API '{link.Key.Name}' of this product is already in the open product '{other}'; an API can be in at most one product that does not require a subscription."));
                    }
                }
            }

            if (props["subscriptionRequired"]?.GetValue<bool>() == false &&
                ((input["approvalRequired"] is { } a && a.GetValueKind() == System.Text.Json.JsonValueKind.True) || input["subscriptionsLimit"] is JsonValue))
            {
                errors.Add(new ValidationError("approvalRequired", "'approvalRequired' and 'subscriptionsLimit' apply only to products with subscriptionRequired=true."));
            }
        }
        else if (kind == ResourceKind.Subscription)
        {
            await ValidateSubscriptionAsync(scope, name, props, secrets, existing, errors, ct);
        }
        else if (kind == ResourceKind.Backend)
        {
            await ValidateBackendAsync(scope, name, props, errors, ct);
        }
        else if (kind == ResourceKind.GlobalSchema)
        {
            ValidateGlobalSchema(props, errors);
        }
        else if (kind == ResourceKind.User)
        {
            if (secrets["password"] is JsonValue password)
            {
                secrets["passwordHash"] = PasswordHasher.Hash(password.GetValue<string>());
                secrets.Remove("password");
            }

            // "confirmation" stays (write-only, like every secret): the e-mail notifications read it when the user is created.
            secrets.Remove("appType");
            props["registrationDate"] = existing?.Properties["registrationDate"]?.DeepClone() ?? Now();
            var duplicate = (await store.ListAsync(scope.Name, ResourceKind.User.Kind, "", ct))
                .FirstOrDefault(u => u.Key.NameKey != name.ToLowerInvariant() && string.Equals((string?)u.Properties["email"], (string?)props["email"], StringComparison.OrdinalIgnoreCase));
            if (duplicate is not null)
            {
                errors.Add(new ValidationError("email", $"The e-mail '{props["email"]}' is already used by user '{duplicate.Key.Name}'."));
            }

            if (existing is null)
            {
                extra.Add(new ResourceChange.Put(new ResourceKey(scope.Name, ResourceKind.GroupUser, "developers", name), [], null));
            }
        }
        else if (kind == ResourceKind.Group)
        {
            props["builtIn"] = existing?.Properties["builtIn"]?.DeepClone() ?? false;
        }
        else if (kind == ResourceKind.NamedValue)
        {
            var isSecret = props["secret"]?.GetValue<bool>() == true;
            if (props["value"] is { } v)
            {
                props.Remove("value");
                secrets["value"] = v.DeepClone();
            }
            else if (existing?.Properties["value"] is { } old)
            {
                secrets["value"] = old.DeepClone();
            }

            if (secrets["value"] is null && props["keyVault"] is null)
            {
                errors.Add(new ValidationError("value", "'value' is required unless 'keyVault' is set."));
            }

            if (!isSecret && secrets["value"] is { } plain)
            {
                props["value"] = plain.DeepClone();
                secrets.Remove("value");
            }
        }

        if (errors.Count > 0)
        {
            throw ArmException.Validation(errors);
        }

        return (props, secrets.Count == 0 ? null : vault.Protect(secrets), extra);
    }

    private async Task ValidateApiAsync(ServiceScope scope, string name, JsonObject props, List<ValidationError> errors, CancellationToken ct)
    {
        if (props["path"] is JsonValue pathValue)
        {
            var path = pathValue.GetValue<string>().Trim('/');
            props["path"] = path;
            var clash = (await store.FindByPropertyAsync(scope.Name, ResourceKind.Api.Kind, "path", path, ct))
                .FirstOrDefault(a => a.Key.NameKey != name.ToLowerInvariant() && !MayShareApiPath(name, props, a));
            if (clash is not null)
            {
                errors.Add(new ValidationError("path", $"The path '{path}' is already used by API '{clash.Key.Name}'; each API needs its own URL suffix, unless both are versions of one version set."));
            }
        }
    }

    /// <summary>The operation APIM creates with a WebSocket API, its only one: the handshake, <c>GET /</c>.</summary>
    public const string OnHandshake = "onHandshake";

    private async Task<bool> IsWebSocketApiAsync(ServiceScope scope, string apiId, CancellationToken ct) =>
        await store.GetAsync(Key(scope, ResourceKind.Api, "", apiId), ct) is { } api
        && ResourceSchemas.IsWebSocketApiType((string?)api.Properties["type"]);

    private static string WebSocketOperationMessage(string apiId) =>
        $"API '{apiId}' is a WebSocket API: its only operation is {OnHandshake} (GET /), created with the API, which cannot be changed, removed or joined by others. Its policies can be set (apis/{apiId}/operations/{OnHandshake}/policies/policy).";

    /// <summary>
    /// APIM's WebSocket API (<c>type: websocket</c>): its serviceUrl is ws:// or wss:// (and only its is), its type
    /// stays what it was created with, and creating it creates its one operation, <see cref="OnHandshake"/>.
    /// </summary>
    private void PrepareWebSocketApi(ServiceScope scope, string name, JsonObject props, StoredResource? existing, List<ValidationError> errors, List<ResourceChange> extra)
    {
        var webSocket = ResourceSchemas.IsWebSocketApiType((string?)props["type"]);
        var url = (string?)props["serviceUrl"];
        if (!string.IsNullOrEmpty(url) && ResourceSchemas.IsWebSocketUrl(url) != webSocket)
        {
            errors.Add(new ValidationError("serviceUrl", webSocket
                ? $"'serviceUrl' of an API of type websocket must be a ws:// or wss:// URL; '{url}' is not."
                : $"'serviceUrl' may be a ws:// or wss:// URL only for an API of type websocket; this API's type is '{(string?)props["type"]}'. Use an http or https URL, or type websocket."));
        }

        var wasWebSocket = existing is not null && ResourceSchemas.IsWebSocketApiType((string?)existing.Properties["type"]);
        if (existing is not null && wasWebSocket != webSocket)
        {
            errors.Add(new ValidationError("type", $"API '{name}' is of type '{(string?)existing.Properties["type"] ?? "http"}': an API cannot change to or from type websocket. Create another API."));
            return;
        }

        if (webSocket && existing is null)
        {
            var operation = SchemaValidator.Validate(new JsonObject { ["displayName"] = OnHandshake, ["method"] = "GET", ["urlTemplate"] = "/" },
                ResourceKind.Operation.Schema, "", errors, applyDefaults: true);
            extra.Add(new ResourceChange.Put(Key(scope, ResourceKind.Operation, name, OnHandshake), operation, null));
        }
    }

    /// <summary>
    /// A backend: a single one needs an absolute url; a pool needs members that exist and are not pools themselves
    /// (stored as <c>/backends/{id}</c>); a circuit breaker has one rule whose status ranges run from min to max.
    /// </summary>
    private async Task ValidateBackendAsync(ServiceScope scope, string name, JsonObject props, List<ValidationError> errors, CancellationToken ct)
    {
        var pool = (string?)props["type"] == "Pool";
        if (!pool && props["url"] is null)
        {
            errors.Add(new ValidationError("url", "'url' is required for a backend of type Single."));
        }

        if (pool)
        {
            var services = props["pool"]?["services"] as JsonArray;
            if (services is null || services.Count == 0)
            {
                errors.Add(new ValidationError("pool.services", "A backend of type Pool needs at least one member in 'pool.services'."));
            }

            for (var i = 0; i < (services?.Count ?? 0); i++)
            {
                var member = (JsonObject)services![i]!;
                var id = ((string?)member["id"] ?? "").TrimEnd('/');
                var at = id.LastIndexOf("/backends/", StringComparison.OrdinalIgnoreCase);
                var memberName = at >= 0 ? id[(at + "/backends/".Length)..] : id;
                var target = $"pool.services[{i}].id";
                if (memberName.Length == 0 || memberName.Contains('/', StringComparison.Ordinal))
                {
                    errors.Add(new ValidationError(target, $"'{id}' is not a backend id: use /backends/{{backendId}}."));
                    continue;
                }

                var stored = string.Equals(memberName, name, StringComparison.OrdinalIgnoreCase)
                    ? null
                    : await store.GetAsync(Key(scope, ResourceKind.Backend, "", memberName), ct);
                if (stored is null)
                {
                    errors.Add(new ValidationError(target, $"Backend '{memberName}' does not exist (a pool cannot contain itself)."));
                }
                else if ((string?)stored.Properties["type"] == "Pool")
                {
                    errors.Add(new ValidationError(target, $"Backend '{memberName}' is a pool: a pool's members must be single backends."));
                }
                else
                {
                    member["id"] = $"/backends/{stored.Key.Name}";
                }
            }
        }
        else if (props["pool"] is not null)
        {
            errors.Add(new ValidationError("pool", "'pool' applies only to a backend of type Pool."));
        }

        await ValidateBackendCertificatesAsync(scope, props, errors, ct);

        if (props["circuitBreaker"]?["rules"] is JsonArray rules)
        {
            if (rules.Count != 1)
            {
                errors.Add(new ValidationError("circuitBreaker.rules", "A circuit breaker has exactly one rule."));
            }

            for (var r = 0; r < rules.Count; r++)
            {
                var ranges = rules[r]?["failureCondition"]?["statusCodeRanges"] as JsonArray ?? [];
                for (var i = 0; i < ranges.Count; i++)
                {
                    if ((long?)ranges[i]?["min"] > (long?)ranges[i]?["max"])
                    {
                        errors.Add(new ValidationError($"circuitBreaker.rules[{r}].failureCondition.statusCodeRanges[{i}]", "'min' must not be greater than 'max'."));
                    }
                }

                if (rules[r]?["failureCondition"]?["percentage"] is not null)
                {
                    errors.Add(new ValidationError($"circuitBreaker.rules[{r}].failureCondition.percentage", "A failure percentage is not supported: give 'count' failures within 'interval'."));
                }
            }
        }
    }

    /// <summary>A JSON schema needs its JSON (document, or value holding a JSON object); an XML one its value.</summary>
    private static void ValidateGlobalSchema(JsonObject props, List<ValidationError> errors)
    {
        if ((string?)props["schemaType"] == "xml")
        {
            if (props["value"] is null)
            {
                errors.Add(new ValidationError("value", "An XML schema needs its text in 'value'."));
            }

            return;
        }

        if (props["document"] is JsonObject)
        {
            return;
        }

        try
        {
            if ((string?)props["value"] is { } text && JsonNode.Parse(text, documentOptions: new System.Text.Json.JsonDocumentOptions { MaxDepth = 64 }) is JsonObject parsed)
            {
                props["document"] = parsed;
                return;
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        errors.Add(new ValidationError("document", "A JSON schema needs 'document' (an object), or 'value' holding a JSON object."));
    }

    /// <summary>The names of the members of a pool backend (empty for a single one).</summary>
    internal static IEnumerable<string> BackendPoolMembers(JsonObject properties) =>
        (properties["pool"]?["services"] as JsonArray ?? []).Select(m => BackendName((string?)m?["id"]));

    /// <summary>The backend name of a pool member's id (<c>/backends/{id}</c> or the ARM id).</summary>
    internal static string BackendName(string? id)
    {
        var trimmed = (id ?? "").TrimEnd('/');
        return trimmed[(trimmed.LastIndexOf('/') + 1)..];
    }

    private async Task ValidateOperationAsync(ServiceScope scope, string apiId, string name, JsonObject props, List<ValidationError> errors, CancellationToken ct,
        IReadOnlyList<(string Name, JsonObject Properties)>? siblings = null, string target = "", string? apiPath = null)
    {
        if (siblings is null)
        {
            var api = await store.GetAsync(Key(scope, ResourceKind.Api, "", apiId), ct) ?? throw ArmException.NotFound("Api");
            if (ResourceSchemas.IsWebSocketApiType((string?)api.Properties["type"]))
            {
                // APIM's onHandshake is a system operation: created with the API, never changed or removed.
                errors.Add(new ValidationError("operationId", WebSocketOperationMessage(apiId)));
                return;
            }

            apiPath = (string?)api.Properties["path"];
            siblings = (await store.ListAsync(scope.Name, ResourceKind.Operation.Kind, apiId, ct)).Select(o => (o.Key.Name, o.Properties)).ToList();
        }

        if (props["method"] is JsonValue m)
        {
            props["method"] = m.GetValue<string>().ToUpperInvariant();
        }

        if (props["urlTemplate"] is not JsonValue t || !UrlTemplate.TryParse(t.GetValue<string>(), out var template, out _))
        {
            return;
        }

        try
        {
            // What the gateway will build: a template management accepts must be routable.
            RoutePatternFactory.Parse(template!.ToRoutePattern(apiPath ?? ""));
        }
        catch (RoutePatternException ex)
        {
            errors.Add(new ValidationError(target + "urlTemplate", $"'urlTemplate' cannot be routed: {ex.Message}"));
        }

        var declared = (props["templateParameters"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(p => (string?)p["name"]).Where(n => n is not null).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var parameter in template!.AllParameters.Where(p => !declared.Contains(p)))
        {
            errors.Add(new ValidationError(target + "templateParameters", $"The template parameter '{parameter}' of urlTemplate is not defined in templateParameters. All template parameters used in the urlTemplate must be defined in the operation."));
        }

        var used = template.AllParameters.Concat(template.WildcardName is { Length: > 0 } w ? [w] : []).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var extra in declared.Where(d => !used.Contains(d!)))
        {
            errors.Add(new ValidationError(target + "templateParameters", $"The template parameter '{extra}' does not appear in urlTemplate."));
        }

        var method = (string?)props["method"];
        var normalized = Normalize(template);
        var clash = siblings
            .FirstOrDefault(o => !string.Equals(o.Name, name, StringComparison.OrdinalIgnoreCase) && string.Equals((string?)o.Properties["method"], method, StringComparison.OrdinalIgnoreCase)
                && UrlTemplate.TryParse((string?)o.Properties["urlTemplate"], out var other, out _) && Normalize(other!) == normalized);
        if (clash.Name is not null)
        {
            errors.Add(new ValidationError(target + "urlTemplate", $"Operation '{clash.Name}' already has method {method} and an equivalent urlTemplate."));
        }

        static string Normalize(UrlTemplate t) =>
            System.Text.RegularExpressions.Regex.Replace(t.Path.ToLowerInvariant(), "\\{[^}]*\\}", "{}") + "?" +
            string.Join("&", t.Query.Select(q => q.Name.ToLowerInvariant() + "=" + (q.ParameterName is null ? q.Literal : "{}")).Order());
    }

    private async Task ValidateSubscriptionAsync(ServiceScope scope, string name, JsonObject props, JsonObject secrets, StoredResource? existing,
        List<ValidationError> errors, CancellationToken ct)
    {
        // Scope and owner are stored in one canonical form ("/products/starter", "/users/alice": no trailing or doubled
        // slashes, the resource's own id), so every cascade and check that compares them sees the same string.
        if (props["ownerId"] is JsonValue ownerValue)
        {
            var owner = RelativeId(scope, ownerValue.GetValue<string>());
            var user = owner.Trim('/').Split('/') is [var users, var uid] && users.Equals("users", StringComparison.OrdinalIgnoreCase) ? await store.GetAsync(Key(scope, ResourceKind.User, "", uid), ct) : null;
            if (user is null)
            {
                errors.Add(new ValidationError("ownerId", $"The owner '{ownerValue}' is not an existing user (/users/{{id}})."));
            }
            else
            {
                props["ownerId"] = $"/users/{user.Key.Name}";
            }
        }

        if (props["scope"] is JsonValue scopeValue)
        {
            var segments = RelativeId(scope, scopeValue.GetValue<string>()).Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries)
                .Select((segment, i) => i == 0 ? segment.ToLowerInvariant() : segment).ToArray();
            var target = segments switch
            {
                ["apis", var api] => await store.GetAsync(Key(scope, ResourceKind.Api, "", api), ct),
                ["products", var product] => await store.GetAsync(Key(scope, ResourceKind.Product, "", product), ct),
                _ => null,
            };
            string? canonical = segments switch
            {
                [] => "/",
                [var all] when all.Equals("apis", StringComparison.OrdinalIgnoreCase) => "/apis",
                [var kind, _] when target is not null => $"/{kind.ToLowerInvariant()}/{target.Key.Name}",
                _ => null,
            };
            if (canonical is null)
            {
                errors.Add(new ValidationError("scope", $"The scope '{scopeValue}' is not an existing product (/products/{{id}}), API (/apis/{{id}}), all APIs (/apis) or the service (/)."));
            }
            else
            {
                props["scope"] = canonical;
                if (target is not null && target.Key.Kind == ResourceKind.Product.Kind && existing is null && (string?)props["ownerId"] is { } owner
                    && target.Properties["subscriptionsLimit"] is JsonValue limit)
                {
                    var count = (await SubscriptionsWithScopeAsync(scope, canonical, ct))
                        .Count(s => string.Equals((string?)s.Properties["ownerId"], owner, StringComparison.OrdinalIgnoreCase)
                            && (string?)s.Properties["state"] is "active" or "submitted" or "suspended");
                    if (count >= limit.GetValue<long>())
                    {
                        errors.Add(new ValidationError("scope", $"The owner already has {count} subscription(s) to product '{target.Key.Name}', its limit."));
                    }
                }
            }
        }

        secrets["primaryKey"] ??= SecretGenerator.NewSubscriptionKey();
        secrets["secondaryKey"] ??= SecretGenerator.NewSubscriptionKey();
        if ((string?)secrets["primaryKey"] == (string?)secrets["secondaryKey"])
        {
            errors.Add(new ValidationError("secondaryKey", "The primary and secondary keys must differ."));
        }

        foreach (var field in new[] { "primaryKey", "secondaryKey" })
        {
            var digest = KeyDigest.Of((string)secrets[field]!).ToString();
            var owner = publisher.FindSubscriptionByDigest(scope.Name, digest);
            if (owner is not null && !string.Equals(owner, name, StringComparison.OrdinalIgnoreCase))
            {
                errors.Add(new ValidationError(field, "This key is already used by another subscription; keys must be unique."));
            }
        }

        SubscriptionKeys.Prepare(props, existing?.Properties, timeProvider.GetUtcNow(), errors);
        if (existing is not null)
        {
            // A key written by the client (not the one it had) is a new key: made now, last used never.
            var before = vault.Unprotect(existing.Secrets);
            foreach (var slot in SubscriptionKeys.Slots)
            {
                if (!string.Equals((string?)before[slot + "Key"], (string?)secrets[slot + "Key"], StringComparison.Ordinal))
                {
                    props[slot + "KeyCreatedAt"] = Tollgate.Core.Resources.KeyLifetimes.FormatPrecise(timeProvider.GetUtcNow());
                }
            }
        }

        props["createdDate"] = existing?.Properties["createdDate"]?.DeepClone() ?? Now();
        var state = (string?)props["state"];
        var oldState = (string?)existing?.Properties["state"];
        props["startDate"] = state == "active" && oldState != "active" ? Now() : existing?.Properties["startDate"]?.DeepClone();
        props["endDate"] = state is "cancelled" or "expired" && oldState != state ? Now() : existing?.Properties["endDate"]?.DeepClone();
        props["expirationDate"] = existing?.Properties["expirationDate"]?.DeepClone();
        props["notificationDate"] = existing?.Properties["notificationDate"]?.DeepClone();
    }

    private async Task<List<StoredResource>> SubscriptionsWithScopeAsync(ServiceScope scope, string relativeScope, CancellationToken ct) =>
        (await store.ListAsync(scope.Name, ResourceKind.Subscription.Kind, "", ct))
            .Where(s => string.Equals((string?)s.Properties["scope"], relativeScope, StringComparison.OrdinalIgnoreCase)).ToList();

    private async Task<ResourcePage> PageAsync(ServiceScope scope, ResourceKind kind, IEnumerable<StoredResource> items, string? filter, int? top, int? skip, CancellationToken ct)
    {
        if (top is < 1 or > 1000)
        {
            throw ArmException.Validation("$top", "'$top' must be between 1 and 1000.");
        }

        if (skip is < 0)
        {
            throw ArmException.Validation("$skip", "'$skip' must not be negative.");
        }

        var list = items.ToList();
        if (!string.IsNullOrWhiteSpace(filter))
        {
            var fields = kind.Schema.Fields.Where(f => !f.Secret).Select(f => f.Name).Append("name").ToArray();
            var parsed = ODataFilter.Parse(filter, fields);
            // Filters see what GET shows (a masked serviceUrl), so they cannot probe a password.
            list = list.Where(r => parsed.Matches(f => f == "name" ? JsonValue.Create(r.Key.Name)
                : kind == ResourceKind.Api && f == "serviceUrl" && (string?)r.Properties[f] is { } url ? JsonValue.Create(MaskServiceUrl(url))
                : r.Properties[f])).ToList();
        }

        var start = skip ?? 0;
        var size = top ?? options.DefaultPageSize;
        var page = list.Skip(start).Take(size).ToList();
        var json = new List<JsonObject>(page.Count);
        foreach (var r in page)
        {
            json.Add(await ToJsonAsync(scope, kind, r, ct));
        }

        var next = (long)start + size;
        return new ResourcePage(json, list.Count, next < list.Count ? (int)next : null);
    }

    /// <summary>A stored resource's ARM id (an operation's and an API schema's under their API).</summary>
    private static string ArmId(ServiceScope scope, ResourceKind kind, StoredResource r) =>
        kind == ResourceKind.Operation || kind == ResourceKind.ApiSchema
            ? $"{scope.BaseId}/apis/{r.Key.Parent}/{kind.Segment}/{r.Key.Name}"
            : $"{scope.BaseId}/{kind.Segment}/{r.Key.Name}";

    private async Task<JsonObject> ToJsonAsync(ServiceScope scope, ResourceKind kind, StoredResource r, CancellationToken ct)
    {
        var props = (JsonObject)r.Properties.DeepClone();
        var id = ArmId(scope, kind, r);
        if (kind == ResourceKind.Subscription)
        {
            props["scope"] = scope.BaseId + ((string?)props["scope"] is "/" ? "" : (string?)props["scope"]);
            if ((string?)props["ownerId"] is { } owner)
            {
                props["ownerId"] = scope.BaseId + owner;
            }

            SubscriptionKeys.ShowLastUse(props, await keyUsage.ReadAsync(scope.Name, r.Key.Name, ct));
        }
        else if (kind == ResourceKind.Api)
        {
            if ((string?)props["serviceUrl"] is { } url)
            {
                props["serviceUrl"] = MaskServiceUrl(url);
            }

            await ShowVersionSetAsync(scope, props, ct);
            ShowAuthenticationSettingsLists(props);
        }
        else if (kind == ResourceKind.Operation)
        {
            ShowOperationLists(props);
        }
        else if (kind == ResourceKind.User)
        {
            // APIM shows a user's identities always: one that signs in with e-mail and password is Basic.
            if (props["identities"] is not JsonArray { Count: > 0 })
            {
                props["identities"] = new JsonArray(new JsonObject { ["provider"] = "Basic", ["id"] = props["email"]?.DeepClone() });
            }

            var groups = (await store.ListAsync(scope.Name, ResourceKind.GroupUser, null, ct)).Where(l => l.Key.NameKey == r.Key.NameKey);
            var array = new JsonArray();
            foreach (var g in groups)
            {
                array.Add(new JsonObject { ["id"] = $"{scope.BaseId}/groups/{g.Key.Parent}", ["name"] = g.Key.Parent });
            }

            props["groups"] = array;
        }

        return new JsonObject { ["id"] = id, ["type"] = kind.ArmType, ["name"] = r.Key.Name, ["properties"] = props };
    }

    /// <summary>APIM shows an operation's parameter, header and representation lists even when empty ([]).</summary>
    private static void ShowOperationLists(JsonObject props)
    {
        props["templateParameters"] ??= new JsonArray();
        if (props["request"] is JsonObject request)
        {
            foreach (var list in new[] { "queryParameters", "headers", "representations" })
            {
                request[list] ??= new JsonArray();
            }
        }

        foreach (var response in (props["responses"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            response["representations"] ??= new JsonArray();
            response["headers"] ??= new JsonArray();
        }
    }

    /// <summary>
    /// APIM answers an API's single <c>oAuth2</c> / <c>openid</c> authentication setting also as the lists that
    /// replaced them (<c>oAuth2AuthenticationSettings</c>, <c>openidAuthenticationSettings</c>) when those are not given.
    /// </summary>
    private static void ShowAuthenticationSettingsLists(JsonObject props)
    {
        if (props["authenticationSettings"] is not JsonObject settings)
        {
            // APIM names authenticationSettings on every API, null when none are set.
            props.TryAdd("authenticationSettings", null);
            return;
        }

        foreach (var (single, list) in new[] { ("oAuth2", "oAuth2AuthenticationSettings"), ("openid", "openidAuthenticationSettings") })
        {
            if (settings[single] is JsonObject one && settings[list] is null)
            {
                settings[list] = new JsonArray(one.DeepClone());
            }
        }
    }

    /// <summary>What management shows of a backend URL's password: <c>http://user:***@host/</c> (the gateway forwards with the real one).</summary>
    public const string MaskedPassword = "***";

    /// <summary>The URL with the password of its user information replaced by <see cref="MaskedPassword"/>; unchanged without one.</summary>
    public static string MaskServiceUrl(string url)
    {
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return url;
        }

        var start = scheme + 3;
        var end = url.IndexOfAny(['/', '?', '#'], start);
        var authority = end < 0 ? url[start..] : url[start..end];
        var at = authority.LastIndexOf('@');
        var colon = at < 0 ? -1 : authority.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || colon > at)
        {
            return url;
        }

        return url[..(start + colon + 1)] + MaskedPassword + url[(start + at)..];
    }

    private JsonObject ServiceToJson(ServiceScope scope, StoredResource stored)
    {
        var p = stored.Properties;
        return new JsonObject
        {
            ["id"] = scope.BaseId,
            ["name"] = scope.Name,
            ["type"] = "Microsoft.ApiManagement/service",
            ["location"] = p["location"]?.DeepClone(),
            ["etag"] = stored.ETag,
            ["sku"] = p["sku"]?.DeepClone(),
            ["properties"] = new JsonObject
            {
                ["publisherName"] = p["publisherName"]?.DeepClone(),
                ["publisherEmail"] = p["publisherEmail"]?.DeepClone(),
                ["notificationSenderEmail"] = p["notificationSenderEmail"]?.DeepClone() ?? "apimgmt-noreply@mail.windowsazure.com",
                ["provisioningState"] = "Succeeded",
                ["createdAtUtc"] = p["createdAtUtc"]?.DeepClone(),
                ["gatewayUrl"] = options.GatewayUrlOf(scope.Name),
                ["developerPortalUrl"] = options.PortalUrlOf(scope.Name),
                ["portalUrl"] = options.PortalUrlOf(scope.Name).TrimEnd('/') + "/admin",
                ["managementApiUrl"] = options.Url,
                ["hostnameConfigurations"] = HostNamesToJson(p["hostnameConfigurations"] as JsonArray),
                // What APIM reports of the Azure deployment, as it is here: nothing in progress, no virtual network,
                // reachable, the gateway on, no Azure compute platform to name.
                ["targetProvisioningState"] = "",
                ["virtualNetworkType"] = "None",
                ["publicNetworkAccess"] = "Enabled",
                ["disableGateway"] = false,
                ["platformVersion"] = "undetermined",
            },
        };
    }

    /// <summary>The stored host names with the URLs that serve them (Proxy: HTTPS only with a certificate, HTTP only without).</summary>
    private JsonArray HostNamesToJson(JsonArray? stored)
    {
        var result = new JsonArray();
        foreach (var h in stored?.OfType<JsonObject>() ?? [])
        {
            var shown = (JsonObject)h.DeepClone();
            var urls = new JsonArray();
            if (string.Equals((string?)h["type"], "Proxy", StringComparison.OrdinalIgnoreCase))
            {
                var host = (string)h["hostName"]!;
                var secure = h["certificate"] is JsonObject;
                foreach (var url in new[] { secure ? options.HostNameUrl("https", host) : null, options.HostNameUrl("http", host) })
                {
                    if (url is not null)
                    {
                        urls.Add(url);
                    }
                }
            }

            shown["urls"] = urls;
            result.Add(shown);
        }

        return result;
    }

    /// <summary>APIM's built-ins of a new instance: groups, the Starter and Unlimited products, the administrator and their keys.</summary>
    private async Task ProvisionAsync(ServiceScope scope, JsonObject service, CancellationToken ct)
    {
        var changes = new List<ResourceChange>();
        void Put(string kind, string parent, string name, JsonObject props, JsonObject? secrets = null) =>
            changes.Add(new ResourceChange.Put(new ResourceKey(scope.Name, kind, parent, name), props, secrets is null ? null : vault.Protect(secrets)));

        Put("group", "", "administrators", new() { ["displayName"] = "Administrators", ["description"] = "Administrators is a built-in group containing the admin email account provided at the time of service creation. Its membership is managed by the system.", ["type"] = "system", ["builtIn"] = true });
        Put("group", "", "developers", new() { ["displayName"] = "Developers", ["description"] = "Developers is a built-in group. Its membership is managed by the system. Signed-in users fall into this group.", ["type"] = "system", ["builtIn"] = true });
        Put("group", "", "guests", new() { ["displayName"] = "Guests", ["description"] = "Guests is a built-in group. Its membership is managed by the system. Unauthenticated users visiting the developer portal fall into this group.", ["type"] = "system", ["builtIn"] = true });
        Put("product", "", "starter", new() { ["displayName"] = "Starter", ["description"] = "Subscribers will be able to run 5 calls/minute up to a maximum of 100 calls/week.", ["terms"] = "", ["subscriptionRequired"] = true, ["approvalRequired"] = false, ["subscriptionsLimit"] = 1, ["state"] = "published" });
        Put(PolicyService.Kind, "products/starter", "policy", new() { ["format"] = "xml", ["value"] = PolicyService.StarterPolicy });
        Put("product", "", "unlimited", new() { ["displayName"] = "Unlimited", ["description"] = "Subscribers have completely unlimited access to the API. Administrator's approval is required.", ["terms"] = "", ["subscriptionRequired"] = true, ["approvalRequired"] = true, ["subscriptionsLimit"] = 1, ["state"] = "published" });
        foreach (var product in new[] { "starter", "unlimited" })
        {
            foreach (var group in BuiltInGroups)
            {
                Put(ResourceKind.ProductGroup, product, group, []);
            }
        }

        var email = (string)service["publisherEmail"]!;
        Put("user", "", "1", new() { ["email"] = email, ["firstName"] = "Administrator", ["lastName"] = (string?)service["publisherName"] ?? "Admin", ["state"] = "active", ["note"] = null, ["identities"] = new JsonArray(new JsonObject { ["provider"] = "Azure", ["id"] = email }), ["registrationDate"] = Now() });
        Put(ResourceKind.GroupUser, "administrators", "1", []);
        Put(ResourceKind.GroupUser, "developers", "1", []);
        JsonObject Keys() => new() { ["primaryKey"] = SecretGenerator.NewSubscriptionKey(), ["secondaryKey"] = SecretGenerator.NewSubscriptionKey() };
        JsonObject Subscription(string scopeId, string displayName, string? owner) => new()
        {
            ["scope"] = scopeId, ["ownerId"] = owner, ["displayName"] = displayName, ["state"] = "active", ["allowTracing"] = false,
            ["createdDate"] = Now(), ["startDate"] = Now(), ["expirationDate"] = null, ["endDate"] = null, ["notificationDate"] = null, ["stateComment"] = null,
        };
        Put("subscription", "", "master", Subscription("/", "Built-in all-access subscription", null), Keys());
        Put("subscription", "", NewId(), Subscription("/products/starter", "Starter", "/users/1"), Keys());
        Put("subscription", "", NewId(), Subscription("/products/unlimited", "Unlimited", "/users/1"), Keys());
        await ApplyAsync(scope, changes, ct);
    }

    private static string NewId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));

    /// <summary>Applies a change set of another component (policies) and publishes the new snapshot.</summary>
    public Task ApplyChangesAsync(ServiceScope scope, IReadOnlyList<ResourceChange> changes, CancellationToken ct) => ApplyAsync(scope, changes, ct);

    private async Task ApplyAsync(ServiceScope scope, IReadOnlyList<ResourceChange> changes, CancellationToken ct)
    {
        try
        {
            await store.ApplyAsync(scope.Name, changes, ct);
        }
        catch (PreconditionFailedException ex)
        {
            throw new ArmException(412, "PreconditionFailed", ex.Message);
        }

        // Committed: the gateways must get it even if the client has gone away meanwhile.
        await PublishAsync(scope.Name, CancellationToken.None);
    }

    private Task PublishAsync(string service, CancellationToken ct) => publisher.PublishAsync(service, ct);

    private async Task RequireServiceAsync(ServiceScope scope, CancellationToken ct)
    {
        _ = await GetServiceRecordAsync(scope, ct) ?? throw ArmException.NotFound("Service");
    }

    private async Task<StoredResource?> GetServiceRecordAsync(ServiceScope scope, CancellationToken ct)
    {
        var stored = await store.GetAsync(ServiceKey(scope.Name), ct);
        return stored is not null && SameScope(stored, scope) ? stored : null;
    }

    private static bool SameScope(StoredResource stored, ServiceScope scope) =>
        string.Equals((string?)stored.Properties["subscriptionId"], scope.SubscriptionId, StringComparison.OrdinalIgnoreCase) &&
        string.Equals((string?)stored.Properties["resourceGroup"], scope.ResourceGroup, StringComparison.OrdinalIgnoreCase);

    internal static ResourceKey ServiceKey(string name) => new("", ResourceKind.ServiceKind, "", name);

    private static ResourceKey Key(ServiceScope scope, ResourceKind kind, string parent, string name) => new(scope.Name, kind.Kind, parent, name);

    private static (ResourceKind Parent, ResourceKind Child) LinkKinds(string linkKind) => linkKind switch
    {
        ResourceKind.ProductApi => (ResourceKind.Product, ResourceKind.Api),
        ResourceKind.ProductGroup => (ResourceKind.Product, ResourceKind.Group),
        ResourceKind.GroupUser => (ResourceKind.Group, ResourceKind.User),
        ResourceKind.ApiTag => (ResourceKind.Api, ResourceKind.Tag),
        ResourceKind.ProductTag => (ResourceKind.Product, ResourceKind.Tag),
        ResourceKind.OperationTag => (ResourceKind.Operation, ResourceKind.Tag),
        _ => throw new ArgumentOutOfRangeException(nameof(linkKind)),
    };

    /// <summary>The entity owning a link: an instance-level entity, or for an operation's tags the operation within its API (<c>{apiId}/{operationId}</c>).</summary>
    private static ResourceKey LinkOwnerKey(ServiceScope scope, string linkKind, ResourceKind ownerKind, string owner)
    {
        if (linkKind == ResourceKind.OperationTag && owner.IndexOf('/') is > 0 and var slash)
        {
            return Key(scope, ownerKind, owner[..slash], owner[(slash + 1)..]);
        }

        return Key(scope, ownerKind, "", owner);
    }

    /// <summary>Turns a full ARM id or a relative id into the service-relative form (<c>/products/starter</c>).</summary>
    private static string RelativeId(ServiceScope scope, string id)
    {
        var marker = "/service/" + scope.Name;
        var at = id.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
        var relative = at >= 0 ? id[(at + marker.Length)..] : id;
        return "/" + string.Join('/', relative.Split('/', StringSplitOptions.RemoveEmptyEntries));
    }

    private static void CheckName(string name, string target, int max)
    {
        if (name.Length == 0 || name.Length > max || name.Any(c => char.IsControl(c) || c is '/' or '?' or '#' or '&' or '%' or '*' or ':' or '<' or '>' or '\\'))
        {
            throw ArmException.Validation(target, $"'{name}' is not a valid resource name: use 1 to {max} characters without / ? # & % * : < > \\.");
        }
    }

    private string Now() => timeProvider.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
