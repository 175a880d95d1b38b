using Tollgate.Core.Gateway;
using Tollgate.Management.Persistence;

namespace Tollgate.Management.Services;

/// <summary>
/// An instance's resources as of a revision, kept in memory by the <see cref="SnapshotPublisher"/> and brought up to
/// date with what changed in the store since (<see cref="IResourceStore.ReadChangesAsync"/>), so a write costs what it
/// touched: the APIs a change set touched (the API, its operations or their policies) are rebuilt, every other API
/// of the next snapshot is the previous snapshot's object.
/// </summary>
internal sealed class InstanceModel
{
    private readonly Dictionary<string, Dictionary<(string Parent, string Name), StoredResource>> _byKind = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, StoredResource>> _operationsByApi = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, StoredResource>> _schemasByApi = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StoredResource[]> _ordered = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _publishedPlaces = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The non-current revisions of each API (<c>{api};rev={n}</c>, by the API's name in lower case).</summary>
    private readonly Dictionary<string, SortedSet<string>> _revisionsByApi = new(StringComparer.Ordinal);

    /// <summary>Version sets written or removed by the changes being applied (their APIs are rebuilt).</summary>
    private HashSet<string>? _touchedVersionSets;
    private HashSet<string>? _changedKinds;

    /// <summary>The revision the resources are at (0: none read yet).</summary>
    public long Revision { get; private set; }

    /// <summary>The last snapshot published from this model; its unchanged APIs are reused.</summary>
    public GatewaySnapshot? Published { get; private set; }

    /// <summary>APIs (name in lower case) changed since <see cref="Published"/>; null when every API must be rebuilt.</summary>
    public HashSet<string>? Dirty { get; private set; }

    /// <summary>Applies what changed; a full read replaces everything.</summary>
    public void Apply(ResourceChanges changes)
    {
        if (changes.Full)
        {
            _byKind.Clear();
            _operationsByApi.Clear();
            _schemasByApi.Clear();
            _ordered.Clear();
            _revisionsByApi.Clear();
            Dirty = null;
            _changedKinds = null;
        }

        foreach (var key in changes.Deleted)
        {
            Remove(key.Kind, key.ParentKey, key.NameKey);
        }

        foreach (var resource in changes.Written)
        {
            var key = resource.Key;
            Remove(key.Kind, key.ParentKey, key.NameKey);
            Of(key.Kind)[(key.ParentKey, key.NameKey)] = resource;
            _ordered.Remove(key.Kind);
            if (ByApi(key.Kind) is { } byApi)
            {
                if (!byApi.TryGetValue(key.ParentKey, out var children))
                {
                    byApi[key.ParentKey] = children = new Dictionary<string, StoredResource>(StringComparer.Ordinal);
                }

                children[key.NameKey] = resource;
            }

            if (key.Kind == ResourceKind.Api.Kind && RevisionOf(key.NameKey) is { } api)
            {
                if (!_revisionsByApi.TryGetValue(api, out var revisions))
                {
                    _revisionsByApi[api] = revisions = new SortedSet<string>(StringComparer.Ordinal);
                }

                revisions.Add(resource.Key.Name);
            }

            Touch(key.Kind, key.ParentKey, key.NameKey);
        }

        if (_touchedVersionSets is { Count: > 0 } sets)
        {
            // A version set's scheme and names are part of its APIs (as the gateway routes them): they are rebuilt.
            foreach (var api in All(ResourceKind.Api.Kind))
            {
                if (ApiVersionSetName(api.Properties) is { } set && sets.Contains(set))
                {
                    Dirty?.Add(api.Key.NameKey);
                }
            }

            sets.Clear();
        }

        Revision = changes.Revision;
    }

    /// <summary>The non-current revisions of an API (<c>{api};rev={n}</c>, as stored), by name.</summary>
    public IReadOnlyCollection<string> RevisionsOf(string apiKey) =>
        _revisionsByApi.TryGetValue(apiKey, out var revisions) ? revisions : [];

    /// <summary>The API a non-current revision's name (<c>{api};rev={n}</c>, lower case) belongs to, or null for an API's name.</summary>
    internal static string? RevisionOf(string nameKey) =>
        nameKey.IndexOf(";rev=", StringComparison.Ordinal) is var at and > 0 ? nameKey[..at] : null;

    /// <summary>The name (lower case) of the version set an API's stored <c>apiVersionSetId</c> (<c>/apiVersionSets/{id}</c>) names, if any.</summary>
    internal static string? ApiVersionSetName(System.Text.Json.Nodes.JsonObject properties) =>
        properties["apiVersionSetId"] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var id) && id.Length > 0
            ? id[(id.LastIndexOf('/') + 1)..].ToLowerInvariant()
            : null;

    /// <summary>
    /// The snapshot was published: what it reflects is no longer dirty. Its APIs' places are indexed by name again
    /// only when an API was written or removed (operations and policies leave every API where it was).
    /// </summary>
    public void MarkPublished(GatewaySnapshot snapshot)
    {
        if (Changed(ResourceKind.Api.Kind) || Published is null || Published.Apis.Count != snapshot.Apis.Count)
        {
            _publishedPlaces.Clear();
            for (var i = 0; i < snapshot.Apis.Count; i++)
            {
                _publishedPlaces.TryAdd(snapshot.Apis[i].Id, i);
            }
        }

        Published = snapshot;
        Dirty = [];
        _changedKinds = new HashSet<string>(StringComparer.Ordinal);
    }

    /// <summary>The place of the API of this name in <see cref="Published"/>'s APIs, or -1.</summary>
    public int PublishedPlace(string name) => _publishedPlaces.TryGetValue(name, out var i) ? i : -1;

    /// <summary>The API of this name in <see cref="Published"/>, if any.</summary>
    public GatewayApi? PublishedApi(string name) => PublishedPlace(name) is var i and >= 0 ? Published!.Apis[i] : null;

    /// <summary>The resource of a kind with this parent and name (keys in lower case), if any.</summary>
    public StoredResource? Find(string kind, string parentKey, string nameKey) =>
        _byKind.TryGetValue(kind, out var resources) ? resources.GetValueOrDefault((parentKey, nameKey)) : null;

    /// <summary>Whether a resource of this kind was written or removed since <see cref="Published"/> (true when there is none).</summary>
    public bool Changed(string kind) => Published is null || _changedKinds is null || _changedKinds.Contains(kind);

    /// <summary>Every resource of a kind, in the order they were created (kept until a resource of the kind is written or removed).</summary>
    public IReadOnlyList<StoredResource> All(string kind)
    {
        if (_ordered.TryGetValue(kind, out var ordered))
        {
            return ordered;
        }

        if (!_byKind.TryGetValue(kind, out var resources))
        {
            return [];
        }

        return _ordered[kind] = resources.Values.OrderBy(r => r.Sequence).ToArray();
    }

    /// <summary>The schemas of an API (<c>apis/{id}/schemas</c>), in the order they were created.</summary>
    public IEnumerable<StoredResource> SchemasOf(string apiKey) =>
        _schemasByApi.TryGetValue(apiKey, out var schemas) ? schemas.Values.OrderBy(r => r.Sequence) : [];

    /// <summary>The index by API of a kind whose resources belong to an API (operations, schemas), or null.</summary>
    private Dictionary<string, Dictionary<string, StoredResource>>? ByApi(string kind) =>
        kind == ResourceKind.Operation.Kind ? _operationsByApi : kind == ResourceKind.ApiSchema.Kind ? _schemasByApi : null;

    /// <summary>The operations of an API, in the order they were created.</summary>
    public IEnumerable<StoredResource> OperationsOf(string apiKey) =>
        _operationsByApi.TryGetValue(apiKey, out var operations) ? operations.Values.OrderBy(r => r.Sequence) : [];

    /// <summary>The policy document of a scope (<c>""</c>, <c>apis/{api}</c>, <c>apis/{api}/operations/{op}</c>, <c>products/{p}</c>).</summary>
    public StoredResource? PolicyOf(string parentKey) =>
        _byKind.TryGetValue(PolicyService.Kind, out var policies) && policies.TryGetValue((parentKey, "policy"), out var policy) ? policy : null;

    private Dictionary<(string Parent, string Name), StoredResource> Of(string kind)
    {
        if (!_byKind.TryGetValue(kind, out var resources))
        {
            _byKind[kind] = resources = [];
        }

        return resources;
    }

    private void Remove(string kind, string parentKey, string nameKey)
    {
        if (_byKind.TryGetValue(kind, out var resources) && resources.Remove((parentKey, nameKey)))
        {
            _ordered.Remove(kind);
            if (kind == ResourceKind.Api.Kind && RevisionOf(nameKey) is { } api && _revisionsByApi.TryGetValue(api, out var revisions))
            {
                revisions.RemoveWhere(r => string.Equals(r, nameKey, StringComparison.OrdinalIgnoreCase));
                if (revisions.Count == 0)
                {
                    _revisionsByApi.Remove(api);
                }
            }

            if (ByApi(kind) is { } byApi && byApi.TryGetValue(parentKey, out var children))
            {
                children.Remove(nameKey);
            }
        }

        Touch(kind, parentKey, nameKey);
    }

    /// <summary>Marks the API a change of this resource belongs to as dirty.</summary>
    private void Touch(string kind, string parentKey, string nameKey)
    {
        _changedKinds?.Add(kind);
        if (Dirty is null)
        {
            return;
        }

        if (kind == ResourceKind.Api.Kind)
        {
            Dirty.Add(nameKey);
        }
        else if (kind == ResourceKind.ApiVersionSet.Kind)
        {
            (_touchedVersionSets ??= new HashSet<string>(StringComparer.Ordinal)).Add(nameKey);
        }
        else if (kind == ResourceKind.Operation.Kind || kind == ResourceKind.ApiSchema.Kind)
        {
            Dirty.Add(parentKey);
        }
        else if (kind == PolicyService.Kind && parentKey.StartsWith("apis/", StringComparison.Ordinal))
        {
            var rest = parentKey.AsSpan("apis/".Length);
            var slash = rest.IndexOf('/');
            Dirty.Add((slash < 0 ? rest : rest[..slash]).ToString());
        }
    }
}
