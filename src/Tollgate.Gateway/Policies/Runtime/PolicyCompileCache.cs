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

    /// <summary>
    /// The pipelines the owner's last snapshot kept, by API and signature (none for a new owner, or when that snapshot
    /// was built with other services: handlers hold their services).
    /// </summary>
    public PreviousPipelines PipelinesOf(string owner, PolicyServices services) =>
        _owners.TryGetValue(owner, out var s) && ReferenceEquals(s.Services, services)
            ? new PreviousPipelines(s.PartsById)
            : PreviousPipelines.None;

    /// <summary>
    /// The API parts of the owner's last snapshot, when it was built with these services and in this context (see
    /// <see cref="PolicyRuntime"/>); empty otherwise. A part with <see cref="ApiPart.HasProblems"/> is not to be reused.
    /// </summary>
    public IReadOnlyDictionary<Core.Gateway.GatewayApi, ApiPart> ApiPartsOf(string owner, PolicyServices services, string context) =>
        _owners.TryGetValue(owner, out var s) && ReferenceEquals(s.Services, services) && s.Context == context
            ? s.Parts
            : EmptyParts;

    private static readonly Dictionary<Core.Gateway.GatewayApi, ApiPart> EmptyParts = new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// Records what the owner's new snapshot uses — the documents outside any API (<paramref name="others"/>, one
    /// entry per place), every API's part (<paramref name="parts"/>), of which <paramref name="added"/> were built by
    /// this snapshot (the others are the last snapshot's) — and evicts every document no owner uses any more. The
    /// owner's count of uses per document is changed by what was added and removed, so a snapshot that rebuilt one
    /// API costs that API's documents here, not the instance's.
    /// </summary>
    public OwnerUsage Commit(
        string owner,
        PolicyServices? services,
        string context,
        IReadOnlyList<CachedPolicy> others,
        Dictionary<Core.Gateway.GatewayApi, ApiPart> parts,
        IReadOnlyList<(Core.Gateway.GatewayApi Api, ApiPart Part)> added)
    {
        if (!_owners.TryGetValue(owner, out var state))
        {
            _owners[owner] = state = new OwnerState();
        }

        // Uses first, then what is no longer used: a document that only moved is never dropped on the way.
        foreach (var (_, part) in added)
        {
            foreach (var l in part.Located)
            {
                state.Use(l.Policy);
            }
        }

        foreach (var policy in others)
        {
            state.Use(policy);
        }

        var dropped = new List<string>();
        foreach (var policy in state.Others)
        {
            state.Unuse(policy, dropped);
        }

        foreach (var (api, part) in state.Parts)
        {
            if (parts.TryGetValue(api, out var same) && ReferenceEquals(same, part))
            {
                continue;
            }

            foreach (var l in part.Located)
            {
                state.Unuse(l.Policy, dropped);
            }

            if (state.PartsById.TryGetValue(api.Id, out var byId) && ReferenceEquals(byId, part))
            {
                state.PartsById.Remove(api.Id);
            }
        }

        foreach (var (api, part) in added)
        {
            state.PartsById[api.Id] = part;
        }

        state.Others = others;
        state.Parts = parts;
        state.Context = context;
        state.Services = services;
        foreach (var key in dropped)
        {
            if (!_owners.Values.Any(o => o.Uses.ContainsKey(key)))
            {
                Evict(key);
            }
        }

        return new OwnerUsage(state.Uses.Count, state.ExpressionCount);
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
        foreach (var key in _policies.Keys.Where(k => !_owners.Values.Any(o => o.Uses.ContainsKey(k))).ToList())
        {
            Evict(key);
        }
    }

    private void Evict(string key)
    {
        if (!_policies.Remove(key, out var policy))
        {
            return;
        }

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

    /// <summary>The attributes and elements of a loaded document that hold expressions.</summary>
    private static IEnumerable<object> Owners(CachedPolicy policy) =>
        policy.Document is null || policy.Shared is null
            ? []
            : PolicyExpressionSource.FromDocument(policy.Document).Select(s => s.Owner).OfType<object>();

    /// <summary>What an instance's last snapshot uses: how many of its places use each document, and its parts.</summary>
    private sealed class OwnerState
    {
        public Dictionary<string, int> Uses { get; } = new(StringComparer.Ordinal);

        /// <summary>Expressions of the documents in <see cref="Uses"/>, each document counted once.</summary>
        public int ExpressionCount { get; private set; }

        /// <summary>Every API's part of the last snapshot, with or without problems (their kept pipelines are reusable).</summary>
        public Dictionary<Core.Gateway.GatewayApi, ApiPart> Parts { get; set; } = EmptyParts;

        /// <summary>The same parts by API id (the previous pipelines of an API that changed are found by its id).</summary>
        public Dictionary<string, ApiPart> PartsById { get; } = new(StringComparer.OrdinalIgnoreCase);

        /// <summary>The documents outside any API (global, products, fragments), one per place.</summary>
        public IReadOnlyList<CachedPolicy> Others { get; set; } = [];

        public string Context { get; set; } = "";

        public PolicyServices? Services { get; set; }

        public void Use(CachedPolicy policy)
        {
            ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(Uses, policy.Key, out var exists);
            count++;
            if (!exists)
            {
                ExpressionCount += policy.ExpressionCount;
            }
        }

        public void Unuse(CachedPolicy policy, List<string> dropped)
        {
            ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(Uses, policy.Key);
            if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref count))
            {
                return;
            }

            if (--count == 0)
            {
                Uses.Remove(policy.Key);
                ExpressionCount -= policy.ExpressionCount;
                dropped.Add(policy.Key);
            }
        }
    }
}

/// <summary>
/// The pipelines an instance's last snapshot kept, found by the API they belong to (a pipeline's signature names its
/// API) and their signature: a build looks up only the APIs it rebuilds, through the index of parts by API id the
/// cache keeps as APIs come and go, instead of gathering every pipeline of the instance on every snapshot.
/// </summary>
internal sealed class PreviousPipelines(IReadOnlyDictionary<string, ApiPart> partsById)
{
    public static PreviousPipelines None { get; } = new(new Dictionary<string, ApiPart>());

    public bool TryGet(string apiId, string signature, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PolicyPipeline? pipeline)
    {
        pipeline = null;
        return partsById.TryGetValue(apiId, out var part) && part.Kept.TryGetValue(signature, out pipeline);
    }
}

/// <summary>
/// What one API contributed to its instance's last policy runtime: its documents (location, description, key), its
/// operations' policies by route id, and its pipelines by signature; the next runtime takes it as it is when the
/// API is the same object and the context is unchanged.
/// </summary>
internal sealed class ApiPart
{
    /// <summary>The API's documents and its operations': where each is, what it is called in messages, and the document as loaded.</summary>
    public List<Located> Located { get; init; } = [];

    /// <summary>The assemblies of its documents' expressions (each once): what a runtime using the part holds.</summary>
    public SharedExpressions[] Batches { get; set; } = [];

    /// <summary>Whether a document of it could not be loaded: such a part is looked at again by the next snapshot, never reused.</summary>
    public bool HasProblems { get; set; }

    public Dictionary<string, OperationPolicies> Operations { get; } = new(StringComparer.Ordinal);

    /// <summary>Routes whose pipelines (for some product or none) have a cors policy: they answer CORS preflight requests.</summary>
    public HashSet<string> Cors { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, PolicyPipeline> Kept { get; } = new(StringComparer.Ordinal);

    /// <summary>Distinct pipelines of the API's operations.</summary>
    public int PipelineCount { get; set; }
}

/// <summary>A document of a snapshot where it applies: its location (<c>api:{id}</c>, …), how messages name it, and the document as loaded.</summary>
internal readonly record struct Located(string Location, string What, CachedPolicy Policy);

/// <summary>Which documents an instance's last snapshot uses, counted once each, and their expressions.</summary>
internal readonly record struct OwnerUsage(int Documents, int Expressions);

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
