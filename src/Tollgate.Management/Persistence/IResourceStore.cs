using System.Text.Json.Nodes;

namespace Tollgate.Management.Persistence;

/// <summary>Identifies one stored resource. Names compare case-insensitively, as in ARM.</summary>
/// <param name="Service">The API Management instance ("" for the instances themselves).</param>
/// <param name="Kind">Resource kind, e.g. <c>api</c>, <c>operation</c>, <c>productApi</c>.</param>
/// <param name="Parent">The parent's name ("" when the parent is the service).</param>
/// <param name="Name">The resource name (its id in the URL).</param>
public sealed record ResourceKey(string Service, string Kind, string Parent, string Name)
{
    public string ServiceKey => Service.ToLowerInvariant();

    public string ParentKey => Parent.ToLowerInvariant();

    public string NameKey => Name.ToLowerInvariant();
}

/// <summary>A resource as stored: its <c>properties</c> JSON, its encrypted secrets and its ETag.</summary>
public sealed record StoredResource(ResourceKey Key, JsonObject Properties, string? Secrets, string ETag, DateTimeOffset Created, DateTimeOffset Updated)
{
    /// <summary>Its place in the order resources were created in (the store's row sequence; 0 when not known).</summary>
    public long Sequence { get; init; }
}

/// <summary>
/// What changed in an instance after a revision, read consistently at <paramref name="Revision"/>: the resources
/// written since (as they are now) and the keys of those deleted since (names in lower case). <paramref name="Full"/>:
/// <paramref name="Written"/> is every resource of the instance (the caller starts over), as when asked from revision 0.
/// </summary>
public sealed record ResourceChanges(long Revision, IReadOnlyList<StoredResource> Written, IReadOnlyList<ResourceKey> Deleted, bool Full);

/// <summary>One write of a change set; a change set is applied in one transaction or not at all.</summary>
public abstract record ResourceChange
{
    /// <summary>Create or replace. <paramref name="IfMatch"/>: null = unconditional, "*" = must exist, else the ETag it must have.</summary>
    public sealed record Put(ResourceKey Key, JsonObject Properties, string? Secrets, string? IfMatch = null, bool IfNoneMatch = false) : ResourceChange;

    /// <summary>Delete one resource (no error when it does not exist unless <paramref name="IfMatch"/> is an ETag).</summary>
    public sealed record Delete(ResourceKey Key, string? IfMatch = null) : ResourceChange;

    /// <summary>Delete every resource of a kind under a parent (cascades), or with a given name under any parent when <paramref name="Parent"/> is null.</summary>
    public sealed record DeleteAll(string Service, string Kind, string? Parent, string? Name = null) : ResourceChange;
}

/// <summary>Raised when an <c>If-Match</c> condition fails; nothing of the change set is written.</summary>
public sealed class PreconditionFailedException(string message) : Exception(message);

/// <summary>
/// The control-plane store. One small interface, two implementations (SQLite, PostgreSQL), one shared test suite.
/// </summary>
public interface IResourceStore : IAsyncDisposable
{
    /// <summary>Creates or migrates the schema.</summary>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    Task<StoredResource?> GetAsync(ResourceKey key, CancellationToken cancellationToken = default);

    /// <summary>Resources of one kind; under one parent, or under every parent when <paramref name="parent"/> is null.</summary>
    Task<IReadOnlyList<StoredResource>> ListAsync(string service, string kind, string? parent, CancellationToken cancellationToken = default);

    /// <summary>
    /// Resources of one kind (any parent) whose string property <paramref name="property"/> equals
    /// <paramref name="value"/> ignoring case and leading or trailing '/' (an API by its path): the store filters, so
    /// a uniqueness check does not read every resource of the kind.
    /// </summary>
    async Task<IReadOnlyList<StoredResource>> FindByPropertyAsync(string service, string kind, string property, string value, CancellationToken cancellationToken = default) =>
        (await ListAsync(service, kind, null, cancellationToken))
            .Where(r => r.Properties[property] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var text)
                && string.Equals(text.Trim('/'), value.Trim('/'), StringComparison.OrdinalIgnoreCase))
            .ToList();

    /// <summary>Every resource of an instance (for snapshot building).</summary>
    Task<IReadOnlyList<StoredResource>> ListServiceAsync(string service, CancellationToken cancellationToken = default);

    /// <summary>
    /// The instance's changes after <paramref name="sinceRevision"/> (everything when it is 0), so a reader that keeps
    /// the instance in memory follows it at the cost of what changed (snapshot building).
    /// </summary>
    async Task<ResourceChanges> ReadChangesAsync(string service, long sinceRevision, CancellationToken cancellationToken = default)
    {
        var revision = await GetRevisionAsync(service, cancellationToken);
        return new ResourceChanges(revision, await ListServiceAsync(service, cancellationToken), [], Full: true);
    }

    /// <summary>Applies a change set atomically and returns the instance's new revision.</summary>
    Task<long> ApplyAsync(string service, IReadOnlyList<ResourceChange> changes, CancellationToken cancellationToken = default);

    /// <summary>The instance's current revision (0 when it has never changed).</summary>
    Task<long> GetRevisionAsync(string service, CancellationToken cancellationToken = default);

    /// <summary>Reads an installation-wide setting.</summary>
    Task<string?> GetSettingAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Stores a setting unless one exists; returns the value that is stored afterwards.</summary>
    Task<string> GetOrAddSettingAsync(string name, string value, CancellationToken cancellationToken = default);

    /// <summary>Creates or replaces a setting.</summary>
    Task SetSettingAsync(string name, string value, CancellationToken cancellationToken = default);

    /// <summary>Every instance's current revision, by instance name (lower case; "" is the list of instances).</summary>
    Task<IReadOnlyDictionary<string, long>> GetRevisionsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes the installation's write lock until the returned handle is disposed: a write that checks rules across
    /// resources (unique paths, one open product per API) holds it from its first read to its commit, so no other
    /// writer, on any node sharing the store, runs in between. Not re-entrant.
    /// </summary>
    Task<IAsyncDisposable> LockWritesAsync(CancellationToken cancellationToken = default);

    /// <summary>Checks that the store answers (readiness).</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken = default);
}

/// <summary>A store shared by several nodes that tells each of them when an instance's revision changes.</summary>
public interface IRevisionNotifications
{
    /// <summary>
    /// Listens for committed revisions until cancelled or the connection fails (it throws then); calls
    /// <paramref name="listening"/> once it listens, and <paramref name="changed"/> with each instance and its new revision.
    /// </summary>
    Task ListenAsync(Func<Task> listening, Func<string, long, Task> changed, CancellationToken cancellationToken);
}
