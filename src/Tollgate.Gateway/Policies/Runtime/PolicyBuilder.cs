using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Definitions.IncludeFragment;
using Tollgate.Core.Policies.Expressions;

namespace Tollgate.Gateway.Policies.Runtime;

/// <summary>
/// Turns merged policy elements into handler objects, once per snapshot. A handler depends only on its element, its
/// scope and its section, so it is built once and shared by every pipeline that contains it.
/// </summary>
internal sealed class PolicyBuilder(
    Func<object, CompiledExpression?> expressions,
    IReadOnlyDictionary<string, PolicyDocument> fragments,
    PolicyServices services,
    IReadOnlyDictionary<string, string>? brokenFragments = null)
{
    /// <summary>The stores, clients and counters the handlers use.</summary>
    public PolicyServices Services => services;

    private readonly Dictionary<(PolicyElement Element, string ScopeKey, string Section, MessageTarget Target, bool Handshake), PolicyHandler> _built = [];

    /// <summary>
    /// Whether the pipeline being built is a WebSocket API's handshake, which skips the policies APIM does not support
    /// there when the global or a product scope brings them in (<see cref="WebSocketHandshake.IsSkipped"/>): nested in
    /// another policy or in a fragment too. Part of the key of a built handler, since a <c>choose</c> of the global
    /// scope holds other children on a handshake than on an HTTP call.
    /// </summary>
    private bool _handshake;

    /// <summary>Hides the secret named values of the snapshot in a message.</summary>
    public Func<string, string> Redact { get; init; } = m => m;

    /// <summary>The fragments being expanded, outermost first: a fragment that includes itself is refused, not expanded forever.</summary>
    private readonly List<string> _including = [];

    /// <summary>Names of the policies the runtime runs (the validator knows no others).</summary>
    public static IReadOnlySet<string> Supported => PolicyHandlerFactories.Names;

    /// <param name="effective">The operation's effective policy.</param>
    /// <param name="scopes">The ids its scopes are named by.</param>
    /// <param name="webSocketHandshake">
    /// True for a WebSocket API's onHandshake operation: the global and product scopes' policies APIM does not support on
    /// a handshake are skipped, as APIM skips them at run time, instead of run.
    /// </param>
    public PolicyPipeline? BuildPipeline(EffectivePolicy effective, ScopeKeys scopes, bool webSocketHandshake = false)
    {
        _handshake = webSocketHandshake;
        try
        {
            return BuildPipelineCore(effective, scopes);
        }
        finally
        {
            _handshake = false;
        }
    }

    private PolicyPipeline? BuildPipelineCore(EffectivePolicy effective, ScopeKeys scopes)
    {
        var inbound = BuildSection(effective.Inbound, "inbound", scopes);
        var backend = BuildSection(effective.Backend, "backend", scopes, effective.DefaultForwardAt);

        // APIM's default backend alone is the pipeline's empty backend, forwarded without a handler.
        var forwards = backend is [DefaultForwardHandler];
        if (forwards)
        {
            backend = [];
        }

        var outbound = BuildSection(effective.Outbound, "outbound", scopes);
        var onError = BuildSection(effective.OnError, "on-error", scopes);
        if (inbound.Length + backend.Length + outbound.Length + onError.Length == 0 && forwards)
        {
            return null;
        }

        var readsBody = false;
        foreach (var section in (IReadOnlyList<EffectivePolicyElement>[])[effective.Inbound, effective.Backend, effective.Outbound, effective.OnError])
        {
            foreach (var e in section)
            {
                if (_handshake && WebSocketHandshake.IsSkipped(e.Element.Name, e.Scope))
                {
                    continue;
                }

                readsBody |= ReadsRequestBody(e.Element, section == effective.Inbound || section == effective.Backend);
            }
        }

        var retries = false;
        var holdsAnswer = false;
        foreach (var h in backend)
        {
            retries |= h is Retry.RetryHandler;

            // A forward-request whose error status runs on-error: the backend's answer is held back for on-error.
            holdsAnswer |= h is ForwardRequest.ForwardRequestHandler { FailsOnErrorStatusCode: true };
        }

        return new PolicyPipeline
        {
            Inbound = inbound,
            Backend = backend,
            ForwardsWhenBackendIsEmpty = forwards,
            Outbound = outbound,
            OnError = onError,
            BuffersRequestBody = readsBody || retries,
            CapturesResponse = outbound.Length > 0 || retries || holdsAnswer,
            Cors = inbound.OfType<Cors.CorsHandler>().ToArray(),
        };
    }

    /// <param name="defaultForwardAt">Where APIM's default forward-request runs (<see cref="EffectivePolicy.DefaultForwardAt"/>), or null.</param>
    private PolicyHandler[] BuildSection(IReadOnlyList<EffectivePolicyElement> elements, string section, ScopeKeys scopes, int? defaultForwardAt = null)
    {
        var result = new List<PolicyHandler>();
        var target = section is "inbound" or "backend" ? MessageTarget.Request : MessageTarget.Response;
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < elements.Count; i++)
        {
            if (i == defaultForwardAt)
            {
                result.Add(DefaultForwardHandler.Instance);
            }

            var e = elements[i];
            var index = seen[e.Element.Name] = seen.GetValueOrDefault(e.Element.Name) + 1;
            Add(result, e.Element, e.Scope, scopes.Of(e.Scope), section, $"{e.Element.Name}[{index}]", target);
        }

        if (defaultForwardAt == elements.Count)
        {
            result.Add(DefaultForwardHandler.Instance);
        }

        return Handlers.LimitGroupHandler.Fuse(result);
    }

    internal PolicyHandler[] BuildList(IReadOnlyList<PolicyElement> elements, PolicyScopeLevel scope, string scopeKey, string section, string parentPath, MessageTarget target)
    {
        var result = new List<PolicyHandler>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var element in elements)
        {
            var index = seen[element.Name] = seen.GetValueOrDefault(element.Name) + 1;
            Add(result, element, scope, scopeKey, section, $"{parentPath}/{element.Name}[{index}]", target);
        }

        return Handlers.LimitGroupHandler.Fuse(result);
    }

    private void Add(List<PolicyHandler> result, PolicyElement element, PolicyScopeLevel scope, string scopeKey, string section, string path, MessageTarget target)
    {
        if (element.Name == "base" || (_handshake && WebSocketHandshake.IsSkipped(element.Name, scope)))
        {
            return;
        }

        if (element.Name == "include-fragment")
        {
            var id = IncludeFragmentPolicy.Instance.Parse(element).FragmentId;
            if (brokenFragments?.GetValueOrDefault(id) is { } problem)
            {
                throw new PolicyBuildException($"{section}/{path}: {problem}");
            }

            if (_including.Contains(id, StringComparer.OrdinalIgnoreCase))
            {
                throw new PolicyBuildException($"{section}/{path}: policy fragment '{id}' includes itself ({string.Join(" -> ", _including.Append(id))}).");
            }

            if (!fragments.TryGetValue(id, out var fragment))
            {
                // A fragment deleted after it was included fails the requests that need it, not the whole snapshot.
                result.Add(new IncludeFragment.MissingFragmentHandler(new PolicyLocation("include-fragment", PolicyScopeNames.Of(scope), section, path, ""), id));
                return;
            }

            _including.Add(id);
            try
            {
                result.AddRange(BuildList(fragment.Inbound?.Elements ?? [], scope, scopeKey, section, path, target));
            }
            finally
            {
                _including.RemoveAt(_including.Count - 1);
            }

            return;
        }

        var key = (element, scopeKey, section, target, _handshake);
        if (!_built.TryGetValue(key, out var handler))
        {
            var location = new PolicyLocation(element.Name, PolicyScopeNames.Of(scope), section, path, element["id"] ?? "");
            handler = Build(element, location, scope, scopeKey, section, target);
            _built[key] = handler;
        }

        result.Add(handler);
    }

    private PolicyHandler Build(PolicyElement el, PolicyLocation at, PolicyScopeLevel scope, string scopeKey, string section, MessageTarget target)
    {
        if (PolicyHandlerFactories.Find(el.Name) is { } factory)
        {
            return factory.Build(el, new PolicyBuildContext(this, at, scope, scopeKey, target));
        }

        throw new PolicyBuildException($"{at.Section}/{at.Path}: policy '{el.Name}' is not supported by this gateway.");
    }

    internal CompiledExpression Find(object owner) =>
        expressions(owner) ?? throw new PolicyBuildException("An expression of the snapshot was not compiled.");

    /// <summary>True when the element (or one inside it) reads or changes the request body, so it is buffered before inbound.</summary>
    private static bool ReadsRequestBody(PolicyElement el, bool requestSide)
    {
        if (PolicyHandlerFactories.Find(el.Name)?.ReadsRequestBody(el, requestSide) == true)
        {
            return true;
        }

        foreach (var a in el.Attributes)
        {
            if (a.IsExpression && a.Value.Contains("Body", StringComparison.Ordinal))
            {
                return true;
            }
        }

        if (el.TextIsExpression && el.Text!.Contains("Body", StringComparison.Ordinal))
        {
            return true;
        }

        foreach (var c in el.Children)
        {
            if (ReadsRequestBody(c, requestSide))
            {
                return true;
            }
        }

        return false;
    }
}
