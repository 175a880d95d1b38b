using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Tollgate.Core.Gateway;
using Tollgate.Security;
using Tollgate.Management.Persistence;
using Tollgate.ServiceDefaults;

namespace Tollgate.Management.Services;

/// <summary>
/// Builds an immutable <see cref="GatewaySnapshot"/> of an instance from the store and publishes it to the
/// <see cref="SnapshotFeed"/>. Called after every committed change set, so the next gateway request sees it; writes
/// that arrive while a build of their instance runs share the next build (<see cref="PublishAsync"/>).
/// </summary>
public sealed partial class SnapshotPublisher(IResourceStore store, SecretVault vault, SnapshotFeed feed, ILogger<SnapshotPublisher> logger)
{
    /// <summary>Each instance's builds: at most one running and one waiting to run after it.</summary>
    private readonly ConcurrentDictionary<string, Flight> _flights = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Each instance's resources as of its last build, followed by what changed since.</summary>
    private readonly ConcurrentDictionary<string, InstanceModel> _models = new(StringComparer.OrdinalIgnoreCase);

    public SnapshotFeed Feed => feed;

    /// <summary>Builds and publishes the current snapshot of every instance (start-up).</summary>
    public async Task PublishAllAsync(CancellationToken ct)
    {
        foreach (var service in await store.ListAsync("", ResourceKind.ServiceKind, "", ct))
        {
            await PublishAsync(service.Key.Name, ct);
        }
    }

    /// <summary>
    /// Publishes the instance's snapshot at a revision no older than the store's when called; completes once it is
    /// published (an in-process gateway serves it from then on).
    /// </summary>
    /// <remarks>
    /// Builds of one instance are coalesced, never delayed: with no build running, this one starts at once; while one
    /// runs (it may have read the store before the caller's write), the caller waits for the next build, which starts
    /// as soon as the running one ends and serves every write that arrived meanwhile with one snapshot. Builds of one
    /// instance run one at a time, so snapshots are published in revision order; instances build independently.
    /// Cancelling <paramref name="ct"/> stops the caller's wait, not a build other writes share.
    /// </remarks>
    public Task PublishAsync(string service, CancellationToken ct)
    {
        var flight = _flights.GetOrAdd(service, _ => new Flight());
        Task build;
        lock (flight.Gate)
        {
            if (flight.Next is { } next)
            {
                // A build that has not read the store yet: it will see this caller's write.
                build = next;
            }
            else if (flight.Last is { IsCompleted: false } running)
            {
                build = flight.Next = flight.Last = FollowAsync(flight, running, service);
            }
            else
            {
                build = flight.Last = Task.Run(() => BuildAndPublishAsync(service), CancellationToken.None);
            }
        }

        return build.WaitAsync(ct);
    }

    /// <summary>The build after <paramref name="running"/>: starts when it ends (whatever its outcome).</summary>
    private async Task FollowAsync(Flight flight, Task running, string service)
    {
        // Never continue on the caller's thread: it holds the flight's lock and is about to record this build as next.
        await Task.Yield();
        try
        {
            await running.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Its callers got its failure; this build reads the store again for its own.
        }

        lock (flight.Gate)
        {
            // From now on the store is being read: later writes wait for the build after this one.
            flight.Next = null;
        }

        await BuildAndPublishAsync(service).ConfigureAwait(false);
    }

    private async Task BuildAndPublishAsync(string service)
    {
        var ct = CancellationToken.None;
        var model = _models.GetOrAdd(service, _ => new InstanceModel());
        var changes = await store.ReadChangesAsync(service, model.Revision, ct);
        if (feed.Get(service) is { } current && current.Revision >= changes.Revision)
        {
            return;
        }

        // Builds of one instance run one at a time (the flight), so the model is never read and written at once.
        model.Apply(changes);
        var instance = await store.GetAsync(ResourceService.ServiceKey(service), ct);
        var snapshot = Build(service, model) with
        {
            Region = Str(instance?.Properties, "location") ?? "local",
            ServiceId = instance is { } i && Str(i.Properties, "subscriptionId") is { } sub && Str(i.Properties, "resourceGroup") is { } group
                ? new ServiceScope(sub, group, service).BaseId
                : null,
        };
        if (feed.Publish(snapshot))
        {
            Log.SnapshotPublished(logger, service, snapshot.Revision, snapshot.Apis.Count);
        }

        model.MarkPublished(snapshot);
    }

    private sealed class Flight
    {
        public Lock Gate { get; } = new();

        /// <summary>The build started or scheduled last.</summary>
        public Task? Last { get; set; }

        /// <summary>The build scheduled to start when the running one ends, until it starts reading the store.</summary>
        public Task? Next { get; set; }
    }

    public void Remove(string service, long revision)
    {
        feed.Remove(service, revision);
        _models.TryRemove(service, out _);
        _flights.TryRemove(service, out _);
    }

    /// <summary>The subscription whose primary or secondary key has this digest, if any.</summary>
    public string? FindSubscriptionByDigest(string service, string digest) =>
        feed.Get(service)?.Subscriptions.FirstOrDefault(s => s.PrimaryKeyDigest == digest || s.SecondaryKeyDigest == digest
            || s.PreviousPrimaryKeyDigest == digest || s.PreviousSecondaryKeyDigest == digest)?.Id;

    /// <summary>Builds a snapshot from the instance's resources (tests and tools: no previous snapshot to share with).</summary>
    internal GatewaySnapshot Build(string service, long revision, IReadOnlyList<StoredResource> resources)
    {
        var model = new InstanceModel();
        model.Apply(new ResourceChanges(revision, resources, [], Full: true));
        return Build(service, model);
    }

    /// <summary>
    /// Builds the snapshot of the model's revision. An API the changes since the last published snapshot did not
    /// touch is that snapshot's object, so the gateway keeps its routes and pipelines.
    /// </summary>
    private GatewaySnapshot Build(string service, InstanceModel model)
    {
        var productApis = model.All(ResourceKind.ProductApi).ToLookup(l => l.Key.ParentKey, l => l.Key.Name);
        var productGroups = model.All(ResourceKind.ProductGroup).ToLookup(l => l.Key.ParentKey, l => l.Key.Name);
        var userGroups = model.All(ResourceKind.GroupUser).ToLookup(l => l.Key.NameKey, l => l.Key.Parent);
        string? Policy(string scope) => Str(model.PolicyOf(scope)?.Properties, "value");
        string? Format(string scope) => model.PolicyOf(scope) is { } p && Str(p.Properties, "value") is not null ? Str(p.Properties, "format") : null;
        GatewayApi[] apis;
        if (model.Published is { } published && model.Dirty is { } dirty && !model.Changed(ResourceKind.Api.Kind))
        {
            // No API written or removed: the published APIs in their places, the ones whose operations or policies
            // changed rebuilt where they are.
            apis = [.. published.Apis];
            foreach (var name in dirty)
            {
                if (model.PublishedPlace(name) is var i and >= 0 && model.Find(ResourceKind.Api.Kind, "", name) is { } stored)
                {
                    apis[i] = BuildApi(stored, ApiSchemas.Of(model.SchemasOf(stored.Key.NameKey)));
                }
            }
        }
        else
        {
            apis = model.All(ResourceKind.Api.Kind)
                .Select(a => model.Dirty is { } changed && !changed.Contains(a.Key.NameKey) && model.PublishedApi(a.Key.Name) is { } same ? same : BuildApi(a, ApiSchemas.Of(model.SchemasOf(a.Key.NameKey))))
                .ToArray();
        }

        GatewayApi BuildApi(StoredResource a, ApiSchemaSet schemas)
        {
            var set = InstanceModel.ApiVersionSetName(a.Properties) is { } setName ? model.Find(ResourceKind.ApiVersionSet.Kind, "", setName)?.Properties : null;
            return BuildApiIn(a, schemas, set);
        }

        GatewayApi BuildApiIn(StoredResource a, ApiSchemaSet schemas, JsonObject? set) => new()
        {
            Id = a.Key.Name,
            DisplayName = Str(a.Properties, "displayName") ?? a.Key.Name,
            Path = (Str(a.Properties, "path") ?? "").Trim('/'),
            ServiceUrl = Str(a.Properties, "serviceUrl"),
            Type = Str(a.Properties, "type") ?? "http",
            Protocols = (a.Properties["protocols"] as JsonArray)?.Select(p => (string)p!).ToArray() ?? ["https"],
            SubscriptionRequired = a.Properties["subscriptionRequired"]?.GetValue<bool>() ?? true,
            KeyHeaderName = Str(a.Properties["subscriptionKeyParameterNames"] as JsonObject, "header") ?? "Ocp-Apim-Subscription-Key",
            KeyQueryName = Str(a.Properties["subscriptionKeyParameterNames"] as JsonObject, "query") ?? "subscription-key",
            ApiVersion = Str(a.Properties, "apiVersion"),
            Revision = Str(a.Properties, "apiRevision") ?? "1",
            IsCurrent = InstanceModel.RevisionOf(a.Key.NameKey) is null,
            VersioningScheme = Str(set, "versioningScheme"),
            VersionHeaderName = Str(set, "versionHeaderName"),
            VersionQueryName = Str(set, "versionQueryName"),
            Policy = Policy("apis/" + a.Key.NameKey),
            PolicyFormat = Format("apis/" + a.Key.NameKey),
            Operations = model.OperationsOf(a.Key.NameKey).Select(o => new GatewayOperation
            {
                Id = o.Key.Name,
                DisplayName = Str(o.Properties, "displayName") ?? o.Key.Name,
                Method = Str(o.Properties, "method") ?? "GET",
                UrlTemplate = Str(o.Properties, "urlTemplate") ?? "/",
                Policy = Policy("apis/" + a.Key.NameKey + "/operations/" + o.Key.NameKey),
                PolicyFormat = Format("apis/" + a.Key.NameKey + "/operations/" + o.Key.NameKey),
                Responses = Responses(o.Properties["responses"] as JsonArray, schemas),
                TemplateParameters = Parameters(o.Properties["templateParameters"] as JsonArray),
                QueryParameters = Parameters(o.Properties["request"]?["queryParameters"] as JsonArray),
                Headers = Parameters(o.Properties["request"]?["headers"] as JsonArray),
                RequestRepresentations = Representations(o.Properties["request"]?["representations"] as JsonArray, schemas),
            }).ToArray(),
        };

        var products = model.All(ResourceKind.Product.Kind).Select(p => new GatewayProduct
        {
            Id = p.Key.Name,
            DisplayName = Str(p.Properties, "displayName") ?? p.Key.Name,
            SubscriptionRequired = p.Properties["subscriptionRequired"]?.GetValue<bool>() ?? true,
            ApprovalRequired = p.Properties["approvalRequired"]?.GetValue<bool>() ?? false,
            SubscriptionsLimit = p.Properties["subscriptionsLimit"] is JsonValue l ? (int)l.GetValue<long>() : null,
            State = Str(p.Properties, "state") ?? "notPublished",
            // A product holds an API with each of its revisions.
            ApiIds = productApis[p.Key.NameKey].SelectMany(api => model.RevisionsOf(api.ToLowerInvariant()).Prepend(api)).ToArray(),
            GroupIds = productGroups[p.Key.NameKey].ToArray(),
            Policy = Policy("products/" + p.Key.NameKey),
            PolicyFormat = Format("products/" + p.Key.NameKey),
        }).ToArray();
        // Subscriptions and users are the published snapshot's when none changed (their keys are decrypted once, and
        // the gateway keeps its table of keys).
        var subscriptions = !model.Changed(ResourceKind.Subscription.Kind) ? model.Published!.Subscriptions : model.All(ResourceKind.Subscription.Kind).Select(s =>
        {
            var secrets = vault.Unprotect(s.Secrets);
            var owner = Str(s.Properties, "ownerId");
            return new GatewaySubscription
            {
                Id = s.Key.Name,
                DisplayName = Str(s.Properties, "displayName") ?? s.Key.Name,
                Scope = Str(s.Properties, "scope") ?? "/",
                UserId = owner?.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(),
                State = Str(s.Properties, "state") ?? "submitted",
                PrimaryKeyDigest = KeyDigest.Of((string?)secrets["primaryKey"] ?? "").ToString(),
                SecondaryKeyDigest = KeyDigest.Of((string?)secrets["secondaryKey"] ?? "").ToString(),
                PrimaryKeyExpiresAt = Time(Str(s.Properties, "primaryKeyExpiresAt")),
                SecondaryKeyExpiresAt = Time(Str(s.Properties, "secondaryKeyExpiresAt")),
                PreviousPrimaryKeyDigest = Str(secrets, SubscriptionKeys.PreviousPrimaryKey) is { } previousPrimary ? KeyDigest.Of(previousPrimary).ToString() : null,
                PreviousPrimaryKeyValidUntil = Time(Str(secrets, SubscriptionKeys.PreviousPrimaryKeyValidUntil)),
                PreviousSecondaryKeyDigest = Str(secrets, SubscriptionKeys.PreviousSecondaryKey) is { } previousSecondary ? KeyDigest.Of(previousSecondary).ToString() : null,
                PreviousSecondaryKeyValidUntil = Time(Str(secrets, SubscriptionKeys.PreviousSecondaryKeyValidUntil)),
                CreatedDate = s.Created,
                StartDate = Time(Str(s.Properties, "startDate")),
                EndDate = Time(Str(s.Properties, "endDate")),
            };
        }).ToArray();
        var users = !model.Changed(ResourceKind.User.Kind) && !model.Changed(ResourceKind.GroupUser) ? model.Published!.Users : model.All(ResourceKind.User.Kind).Select(u => new GatewayUser
        {
            Id = u.Key.Name,
            Email = Str(u.Properties, "email") ?? "",
            FirstName = Str(u.Properties, "firstName") ?? "",
            LastName = Str(u.Properties, "lastName") ?? "",
            State = Str(u.Properties, "state") ?? "active",
            GroupIds = userGroups[u.Key.NameKey].ToArray(),
            Note = Str(u.Properties, "note"),
            RegistrationDate = Time(Str(u.Properties, "registrationDate")),
            Identities = (u.Properties["identities"] as JsonArray)?.OfType<JsonObject>()
                .Select(i => new GatewayUserIdentity(Str(i, "provider") ?? "", Str(i, "id") ?? "")).ToArray() ?? [],
        }).ToArray();
        var fragments = model.All(PolicyService.FragmentKind)
            .Where(f => Str(f.Properties, "value") is not null)
            .Select(f => new GatewayPolicyFragment { Id = f.Key.Name, Value = Str(f.Properties, "value")!, Format = Str(f.Properties, "format") })
            .ToArray();
        var hostNames = new List<GatewayHostName>();
        foreach (var stored in model.All(ResourceService.HostNamesKind))
        {
            var certificates = stored.Secrets is null ? null : vault.Unprotect(stored.Secrets);
            foreach (var h in (stored.Properties["hostnameConfigurations"] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                var host = Str(h, "hostName") ?? "";
                hostNames.Add(new GatewayHostName { Type = Str(h, "type") ?? "Proxy", HostName = host, Certificate = Str(certificates, host) });
            }
        }

        // Certificates are the published snapshot's when none changed (their PFX is decrypted once).
        var clientCertificates = !model.Changed(ResourceKind.Certificate.Kind) ? model.Published!.Certificates : model.All(ResourceKind.Certificate.Kind)
            .Select(c => Str(vault.Unprotect(c.Secrets), ResourceService.CertificatePfxSecret) is { } pfx && Str(c.Properties, "thumbprint") is { } thumbprint
                ? new GatewayClientCertificate(c.Key.Name, thumbprint, pfx)
                : null)
            .OfType<GatewayClientCertificate>().ToArray();
        var thumbprintsById = clientCertificates.ToDictionary(c => c.Id, c => c.Thumbprint, StringComparer.OrdinalIgnoreCase);
        return new GatewaySnapshot
        {
            Revision = model.Revision,
            HostNames = hostNames,
            Certificates = clientCertificates,
            ServiceName = service,
            Apis = apis,
            Products = products,
            Subscriptions = subscriptions,
            Users = users,
            Groups = model.All(ResourceKind.Group.Kind).Select(g => new GatewayGroup(g.Key.Name, Str(g.Properties, "displayName") ?? g.Key.Name)).ToArray(),
            Policy = Policy(""),
            PolicyFormat = Format(""),
            PolicyFragments = fragments,
            NamedValues = model.All(ResourceKind.NamedValue.Kind).Select(n => NamedValueOf(n, vault)).ToArray(),
            Backends = model.All(ResourceKind.Backend.Kind).Select(b => BackendOf(b, thumbprintsById)).ToArray(),
            Schemas = model.All(ResourceKind.GlobalSchema.Kind).Select(GlobalSchemaOf).OfType<GatewaySchema>().ToArray(),
        };
    }

    /// <summary>An instance-level schema as validate-content reads it: a JSON schema's document, an XML schema's text; null for neither.</summary>
    private static GatewaySchema? GlobalSchemaOf(StoredResource g) => Str(g.Properties, "schemaType") switch
    {
        "json" when g.Properties["document"] is JsonObject document => new GatewaySchema(g.Key.Name, document.ToJsonString()),
        "xml" when Str(g.Properties, "value") is { } xsd => new GatewaySchema(g.Key.Name, "") { Xml = xsd },
        _ => null,
    };

    /// <summary>A stored backend as the gateway routes to it.</summary>
    private static GatewayBackend BackendOf(StoredResource stored, IReadOnlyDictionary<string, string> thumbprintsById)
    {
        var p = stored.Properties;
        var credentials = p["credentials"] as JsonObject;
        static GatewayBackendValue[] Values(JsonNode? map) => (map as JsonObject)?.Select(kv => new GatewayBackendValue(kv.Key,
            (kv.Value as JsonArray)?.Select(v => (string?)v).OfType<string>().ToArray() ?? [])).ToArray() ?? [];
        var authorization = credentials?["authorization"] as JsonObject;
        var rule = (p["circuitBreaker"]?["rules"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault();
        var condition = rule?["failureCondition"] as JsonObject;
        GatewayCircuitBreaker? breaker = null;
        if (condition is not null && Core.Resources.KeyLifetimes.TryParseDuration(Str(condition, "interval"), out var interval)
            && Core.Resources.KeyLifetimes.TryParseDuration(Str(rule, "tripDuration"), out var trip))
        {
            breaker = new GatewayCircuitBreaker
            {
                Name = Str(rule, "name") ?? "",
                Count = (int)(condition["count"]?.GetValue<long>() ?? 1),
                Interval = interval,
                TripDuration = trip,
                AcceptRetryAfter = rule!["acceptRetryAfter"] is JsonValue a && a.TryGetValue<bool>(out var accept) && accept,
                StatusCodeRanges = (condition["statusCodeRanges"] as JsonArray)?.OfType<JsonObject>()
                    .Select(r => new GatewayStatusRange((int)(r["min"]?.GetValue<long>() ?? 500), (int)(r["max"]?.GetValue<long>() ?? 599))).ToArray() ?? [],
            };
        }

        // certificateIds, when given, name the client certificates (APIM ignores the thumbprints then); an id whose
        // certificate is gone presents nothing (a certificate in use cannot be deleted).
        var ids = ResourceService.CertificateNames(credentials?["certificateIds"] as JsonArray).ToArray();
        var clientCertificates = ids.Length > 0
            ? ids.Select(id => thumbprintsById.GetValueOrDefault(id)).OfType<string>().ToArray()
            : (credentials?["certificate"] as JsonArray)?.Select(t => (string?)t).OfType<string>().Select(t => t.ToUpperInvariant()).ToArray() ?? [];
        var tls = p["tls"] as JsonObject;
        return new GatewayBackend
        {
            Id = stored.Key.Name,
            ClientCertificates = clientCertificates,
            ValidateCertificateChain = tls?["validateCertificateChain"] is not JsonValue chain || !chain.TryGetValue<bool>(out var validateChain) || validateChain,
            ValidateCertificateName = tls?["validateCertificateName"] is not JsonValue named || !named.TryGetValue<bool>(out var validateName) || validateName,
            Url = Str(p, "type") == "Pool" ? null : Str(p, "url"),
            Headers = Values(credentials?["header"]),
            Query = Values(credentials?["query"]),
            Authorization = authorization is null ? null : $"{Str(authorization, "scheme")} {Str(authorization, "parameter")}",
            CircuitBreaker = breaker,
            Pool = Str(p, "type") == "Pool"
                ? (p["pool"]?["services"] as JsonArray)?.OfType<JsonObject>().Select(m => new GatewayPoolMember(
                    ResourceService.BackendName(Str(m, "id")),
                    (int)(m["priority"]?.GetValue<long>() ?? 0), (int)(m["weight"]?.GetValue<long>() ?? 1))).ToArray() ?? []
                : [],
        };
    }

    /// <summary>Declared responses with the first example of each representation (APIM's <c>examples: { name: { value } }</c>).</summary>
    private static GatewayResponse[] Responses(JsonArray? responses, ApiSchemaSet schemas)
    {
        if (responses is null || responses.Count == 0)
        {
            return [];
        }

        return responses.OfType<JsonObject>().Select(r => new GatewayResponse
        {
            StatusCode = r["statusCode"] is JsonValue code && code.TryGetValue<int>(out var c) ? c : 200,
            Representations = Representations(r["representations"] as JsonArray, schemas),
            Headers = Parameters(r["headers"] as JsonArray),
        }).ToArray();
    }

    private static GatewayRepresentation[] Representations(JsonArray? representations, ApiSchemaSet schemas) =>
        representations?.OfType<JsonObject>().Select(rep => new GatewayRepresentation
        {
            ContentType = Str(rep, "contentType") ?? "application/json",
            Example = FirstExample(rep["examples"]),
            SchemaId = Str(rep, "schemaId"),
            TypeName = Str(rep, "typeName"),
            Schema = Str(rep, "schemaId") is { } id ? schemas.Definitions.GetValueOrDefault(id) : null,
            XmlSchema = Str(rep, "schemaId") is { } xmlId ? schemas.Xml.GetValueOrDefault(xmlId) : null,
        }).ToArray() ?? [];

    private static GatewayParameter[] Parameters(JsonArray? parameters) =>
        parameters?.OfType<JsonObject>().Where(p => Str(p, "name") is { Length: > 0 }).Select(p => new GatewayParameter
        {
            Name = Str(p, "name")!,
            Type = Str(p, "type") ?? "string",
            Required = p["required"] is JsonValue r && r.TryGetValue<bool>(out var required) && required,
            Values = (p["values"] as JsonArray)?.Select(v => v is JsonValue value && value.TryGetValue<string>(out var text) ? text : v?.ToJsonString()).OfType<string>().ToArray() ?? [],
        }).ToArray() ?? [];

    private static string? FirstExample(JsonNode? examples)
    {
        var value = examples is JsonObject named && named.Count > 0 && named.First().Value is JsonObject first && first.ContainsKey("value")
            ? first["value"]
            : null;
        return value switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var text) => text,
            _ => value.ToJsonString(),
        };
    }

    /// <summary>A stored named value as policies see it (by display name, the secret value decrypted).</summary>
    internal static Core.Policies.NamedValue NamedValueOf(StoredResource stored, SecretVault vault)
    {
        var secret = stored.Properties["secret"] is JsonValue s && s.TryGetValue<bool>(out var isSecret) && isSecret;
        var value = secret ? Str(vault.Unprotect(stored.Secrets), "value") : Str(stored.Properties, "value");
        return new Core.Policies.NamedValue(Str(stored.Properties, "displayName") ?? stored.Key.Name, value, secret);
    }

    private static DateTimeOffset? Time(string? text) => Core.Resources.KeyLifetimes.TryParseTime(text, out var t) ? t : null;

    private static string? Str(JsonObject? o, string name) => o?[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static partial class Log
    {
        [LoggerMessage(EventIds.SnapshotPublished, LogLevel.Information, "Published snapshot of '{Service}' at revision {Revision}: {Apis} APIs.")]
        public static partial void SnapshotPublished(ILogger logger, string service, long revision, int apis);
    }
}
