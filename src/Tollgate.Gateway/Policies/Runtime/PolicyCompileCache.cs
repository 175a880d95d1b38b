using System.Security.Cryptography;
using System.Text;
using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Expressions;

namespace Tollgate.Gateway.Policies.Runtime;

/// <summary>
/// What a gateway keeps from one snapshot's policies to the next, so that a new snapshot compiles and builds only what
/// changed: every policy document and fragment as loaded (parsed, validated, its expressions compiled), keyed by the
/// SHA-256 of its content and of the named values it references as substituted (<see cref="KeyOf"/>), and every
/// pipeline that was built without a problem, keyed by the documents, fragments and scopes it was built from.
/// </summary>
/// <remarks>
/// <para>The documents new to a snapshot are compiled together into one assembly (one Roslyn compilation), which
/// every document of it shares (<see cref="SharedExpressions"/>). An assembly is unloaded when neither the cache nor
/// a live <see cref="PolicyRuntime"/> holds it: the cache keeps only what the last snapshot built of each instance
/// (its owner) uses, so a replaced document's assembly goes as soon as the last document compiled with it and the
/// requests on the older snapshots are gone.</para>
/// <para>One cache belongs to one gateway (one <see cref="PolicyServices"/>). <see cref="PolicyRuntime.Build(Core.Gateway.GatewaySnapshot, Configuration.GatewayState, PolicyServices, PolicyCompileCache?)"/>
/// holds <see cref="Gate"/> while it reads and changes it.</para>
/// </remarks>
internal sealed class PolicyCompileCache
{
    private readonly Dictionary<string, CachedPolicy> _policies = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OwnerState> _owners = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The compiled expression of every attribute and element of the cached documents, kept as documents come and go:
    /// a build looks up only the expressions of the pipelines it builds, instead of indexing every expression of the
    /// instance again.
    /// </summary>
    private readonly Dictionary<object, CompiledExpression> _expressions = new(ReferenceEqualityComparer.Instance);
    private PolicyServices? _services;

    /// <summary>Held by a build for as long as it reads and changes the cache.</summary>
    public Lock Gate { get; } = new();

    /// <summary>Where compiled expressions are kept across restarts, or null (everything is compiled at start).</summary>
    public PolicyAssemblyStore? Assemblies { get; init; }

    /// <summary>How many documents (and fragments) have been loaded from <see cref="Assemblies"/> instead of compiled, in total.</summary>
    public int DocumentsLoaded { get; private set; }

    /// <summary>How many documents (and fragments) have been compiled through this cache, in total.</summary>
    public int DocumentsCompiled { get; private set; }

    /// <summary>How many Roslyn compilations (assemblies) this cache has made, in total.</summary>
    public int Compilations { get; private set; }

    /// <summary>How many documents the cache holds.</summary>
    public int Count
    {
        get
        {
            lock (Gate)
            {
                return _policies.Count;
            }
        }
    }

    /// <summary>The compiled expression of an attribute or element of a cached document (read under <see cref="Gate"/>).</summary>
    public CompiledExpression? FindExpression(object owner) => _expressions.GetValueOrDefault(owner);

    /// <summary>The cached document with this key, if any.</summary>
    public CachedPolicy? Find(string key) => _policies.GetValueOrDefault(key);

    /// <summary>
    /// The key of a document: SHA-256 of its kind (document or fragment), format, text, and of every named value it
    /// references (name, value, secret or not, missing), as <see cref="NamedValues"/> substitutes them before parsing.
    /// </summary>
    public static string KeyOf(string xml, bool escaped, bool fragment, NamedValues namedValues)
    {
        var sb = new StringBuilder(xml.Length + 64);
        sb.Append(fragment ? "fragment" : "document").Append('\n').Append(escaped ? "xml" : "rawxml").Append('\n')
            .Append(xml.Length).Append('\n').Append(xml);
        if (xml.Contains("{{", StringComparison.Ordinal))
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, _, _) in NamedValues.References(xml))
            {
                if (!seen.Add(name))
                {
                    continue;
                }

                sb.Append('\n').Append(name.ToLowerInvariant()).Append('=');
                switch (namedValues.Find(name))
                {
                    case null:
                        sb.Append('-');
                        break;
                    case { Value: null } keyVault:
                        sb.Append("keyvault:").Append(keyVault.Name);
                        break;
                    case var value:
                        sb.Append(value.Secret ? "secret:" : "plain:").Append(value.Name).Append(':').Append(value.Value!.Length).Append(':').Append(value.Value);
                        break;
                }
            }
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    /// <summary>Adds documents compiled by a build (the cache holds their expressions until they are evicted).</summary>
    public void Add(IReadOnlyList<CachedPolicy> compiled, int compilations, int loaded = 0)
    {
        foreach (var policy in compiled)
        {
            if (_policies.TryAdd(policy.Key, policy))
            {
                policy.Shared?.Acquire();
                foreach (var owner in Owners(policy))
                {
                    if (policy.Expressions!.Find(owner) is { } expression)
                    {
                        _expressions[owner] = expression;
                    }
                }

                if (policy.Image is { } image)
                {
                    Assemblies?.Acquire(image);
                }
            }
        }

        DocumentsCompiled += compiled.Count - loaded;
        DocumentsLoaded += loaded;
        Compilations += compilations;
    }

    /// <summary>The pipelines the owner's last snapshot kept, by API and signature (none for a new owner or other services).</summary>
    public PreviousPipelines PipelinesOf(string owner, PolicyServices services)
    {
        if (!ReferenceEquals(_services, services))
        {
            // Handlers hold their services: pipelines built for other services are not reused.
            foreach (var state in _owners.Values)
            {
                state.AllParts = new Dictionary<Core.Gateway.GatewayApi, ApiPart>(ReferenceEqualityComparer.Instance);
                state.ApiParts = new Dictionary<Core.Gateway.GatewayApi, ApiPart>(ReferenceEqualityComparer.Instance);
            }

            _services = services;
        }

        return _owners.TryGetValue(owner, out var s) ? new PreviousPipelines(s.AllParts) : new PreviousPipelines(new Dictionary<Core.Gateway.GatewayApi, ApiPart>());
    }

    /// <summary>
    /// The API parts of the owner's last snapshot, when it was built with these services and in this context (see
    /// <see cref="PolicyRuntime"/>); empty otherwise.
    /// </summary>
    public IReadOnlyDictionary<Core.Gateway.GatewayApi, ApiPart> ApiPartsOf(string owner, PolicyServices services, string context) =>
        ReferenceEquals(_services, services) && _owners.TryGetValue(owner, out var s) && s.Context == context
            ? s.ApiParts
            : new Dictionary<Core.Gateway.GatewayApi, ApiPart>();

    /// <summary>Records what the owner's new snapshot uses and evicts every document no owner uses any more.</summary>
    public void Commit(string owner, IEnumerable<string> used, Dictionary<Core.Gateway.GatewayApi, ApiPart> allParts, string context, Dictionary<Core.Gateway.GatewayApi, ApiPart> apiParts)
    {
        var previous = _owners.GetValueOrDefault(owner);
        var usedSet = new HashSet<string>(used, StringComparer.Ordinal);
        _owners[owner] = new OwnerState(usedSet, allParts) { Context = context, ApiParts = apiParts };
        if (previous is null || !previous.Policies.IsSubsetOf(usedSet))
        {
            EvictUnused();
        }
    }

    /// <summary>The owner (instance) is gone: what only it used is evicted.</summary>
    public void Forget(string owner)
    {
        lock (Gate)
        {
            if (_owners.Remove(owner))
            {
                EvictUnused();
            }
        }
    }

    /// <summary>Evicts every document that no owner's last snapshot uses (their assemblies unload once no runtime holds them).</summary>
    public void EvictUnused()
    {
        var unused = _policies.Keys.Where(k => !_owners.Values.Any(o => o.Policies.Contains(k))).ToList();
        foreach (var key in unused)
        {
            var policy = _policies[key];
            _policies.Remove(key);
            foreach (var owner in Owners(policy))
            {
                _expressions.Remove(owner);
            }

            policy.Shared?.Release();
            if (policy.Image is { } image)
            {
                Assemblies?.Release(image);
            }
        }
    }

    /// <summary>The attributes and elements of a loaded document that hold expressions.</summary>
    private static IEnumerable<object> Owners(CachedPolicy policy) =>
        policy.Document is null || policy.Shared is null
            ? []
            : PolicyExpressionSource.FromDocument(policy.Document).Select(s => s.Owner).OfType<object>();

    private sealed class OwnerState(HashSet<string> policies, Dictionary<Core.Gateway.GatewayApi, ApiPart> allParts)
    {
        public HashSet<string> Policies { get; } = policies;

        /// <summary>Every API's part of the last snapshot, with or without problems (their kept pipelines are reusable).</summary>
        public Dictionary<Core.Gateway.GatewayApi, ApiPart> AllParts { get; set; } = allParts;

        public string Context { get; init; } = "";

        public Dictionary<Core.Gateway.GatewayApi, ApiPart> ApiParts { get; set; } = new(ReferenceEqualityComparer.Instance);
    }
}

/// <summary>
/// The pipelines an instance's last snapshot kept, found by the API they belong to (a pipeline's signature names its
/// API) and their signature: a build looks up only the APIs it rebuilds, through an index made on the first lookup,
/// instead of gathering every pipeline of the instance on every snapshot.
/// </summary>
internal sealed class PreviousPipelines(Dictionary<Core.Gateway.GatewayApi, ApiPart> parts)
{
    private Dictionary<string, ApiPart>? _byApi;

    public bool TryGet(string apiId, string signature, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PolicyPipeline? pipeline)
    {
        pipeline = null;
        if (parts.Count == 0)
        {
            return false;
        }

        if (_byApi is null)
        {
            _byApi = new Dictionary<string, ApiPart>(parts.Count, StringComparer.OrdinalIgnoreCase);
            foreach (var (api, part) in parts)
            {
                _byApi[api.Id] = part;
            }
        }

        return _byApi.TryGetValue(apiId, out var owner) && owner.Kept.TryGetValue(signature, out pipeline);
    }
}

/// <summary>
/// What one API contributed to its instance's last policy runtime: its documents (location, description, key), its
/// operations' policies by route id, and its pipelines by signature; the next runtime takes it as it is when the
/// API is the same object and the context is unchanged.
/// </summary>
internal sealed class ApiPart
{
    public List<(string Location, string What, string Key)> Located { get; init; } = [];

    public Dictionary<string, OperationPolicies> Operations { get; } = new(StringComparer.Ordinal);

    /// <summary>Routes whose pipelines (for some product or none) have a cors policy: they answer CORS preflight requests.</summary>
    public HashSet<string> Cors { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, PolicyPipeline> Kept { get; } = new(StringComparer.Ordinal);

    /// <summary>Distinct pipelines of the API's operations.</summary>
    public int PipelineCount { get; set; }
}

/// <summary>
/// One assembly of compiled expressions shared by the documents compiled together and the runtimes that use them,
/// with a count of its holders: the last <see cref="Release"/> unloads it.
/// </summary>
internal sealed class SharedExpressions(CompiledPolicyExpressions expressions)
{
    private int _references;

    public CompiledPolicyExpressions Expressions { get; } = expressions;

    public void Acquire() => Interlocked.Increment(ref _references);

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Expressions.Dispose();
        }
    }
}

/// <summary>A policy document or fragment as a gateway loaded it: parsed and compiled, or why it could not be.</summary>
internal sealed class CachedPolicy
{
    /// <summary><see cref="PolicyCompileCache.KeyOf"/> of its content.</summary>
    public required string Key { get; init; }

    /// <summary>The parsed document (its elements own the compiled expressions), or null when it could not be loaded.</summary>
    public PolicyDocument? Document { get; init; }

    /// <summary>Why it could not be loaded (the message continues "… cannot be loaded: "), or null.</summary>
    public string? Reason { get; init; }

    /// <summary>The assembly its expressions are in, shared with the documents compiled with it.</summary>
    public SharedExpressions? Shared { get; init; }

    /// <summary>The compiled expressions (of this document and those compiled with it), or null.</summary>
    public CompiledPolicyExpressions? Expressions => Shared?.Expressions;

    /// <summary>How many expressions this document has.</summary>
    public int ExpressionCount { get; init; }

    /// <summary>The name of the image its expressions are kept in on disk (<see cref="PolicyAssemblyStore"/>), or null.</summary>
    public string? Image { get; init; }

    /// <summary>The ids of the fragments it includes (anywhere in it), as written.</summary>
    public IReadOnlyList<string> Includes { get; init; } = [];
}
