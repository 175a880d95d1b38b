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
            Dirty = null;
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
            if (key.Kind == ResourceKind.Operation.Kind)
            {
                if (!_operationsByApi.TryGetValue(key.ParentKey, out var operations))
                {
                    _operationsByApi[key.ParentKey] = operations = new Dictionary<string, StoredResource>(StringComparer.Ordinal);
                }

                operations[key.NameKey] = resource;
            }

            Touch(key.Kind, key.ParentKey, key.NameKey);
        }

        Revision = changes.Revision;
    }

    /// <summary>The snapshot was published: what it reflects is no longer dirty.</summary>
    public void MarkPublished(GatewaySnapshot snapshot)
    {
        Published = snapshot;
        Dirty = [];
    }

    /// <summary>Every resource of a kind, in the order they were created.</summary>
    public IEnumerable<StoredResource> All(string kind) =>
        _byKind.TryGetValue(kind, out var resources) ? resources.Values.OrderBy(r => r.Sequence) : [];

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
        if (_byKind.TryGetValue(kind, out var resources) && resources.Remove((parentKey, nameKey)) && kind == ResourceKind.Operation.Kind
            && _operationsByApi.TryGetValue(parentKey, out var operations))
        {
            operations.Remove(nameKey);
        }

        Touch(kind, parentKey, nameKey);
    }

    /// <summary>Marks the API a change of this resource belongs to as dirty.</summary>
    private void Touch(string kind, string parentKey, string nameKey)
    {
        if (Dirty is null)
        {
            return;
        }

        if (kind == ResourceKind.Api.Kind)
        {
            Dirty.Add(nameKey);
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
