using System.Globalization;
using System.Net;
using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Definitions.IncludeFragment;
using Tollgate.Core.Policies.Expressions;
using Tollgate.Gateway.Policies.Handlers;

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

    private readonly Dictionary<(PolicyElement Element, string ScopeKey, string Section, MessageTarget Target), PolicyHandler> _built = [];

    /// <summary>Hides the secret named values of the snapshot in a message.</summary>
    public Func<string, string> Redact { get; init; } = m => m;

    /// <summary>The fragments being expanded, outermost first: a fragment that includes itself is refused, not expanded forever.</summary>
    private readonly List<string> _including = [];

    /// <summary>Names of the policies the runtime runs (the validator knows no others).</summary>
    public static readonly IReadOnlySet<string> Supported = new HashSet<string>(StringComparer.Ordinal)
    {
        "base", "rate-limit", "rate-limit-by-key", "quota", "quota-by-key", "set-header", "set-query-parameter", "check-header",
        "ip-filter", "set-variable", "return-response", "mock-response", "set-status", "choose", "forward-request", "trace",
        "rewrite-uri", "set-backend-service", "set-method", "set-body", "find-and-replace", "retry", "include-fragment",
        "cors", "validate-jwt", "json-to-xml", "xml-to-json", "send-request", "cache-lookup", "cache-store", "cache-lookup-value",
        "cache-store-value", "cache-remove-value", "authentication-basic", "jsonp", "limit-concurrency", "wait",
        "validate-status-code", "send-one-way-request", "validate-parameters", "validate-headers", "validate-content",
    };

    public PolicyPipeline? BuildPipeline(EffectivePolicy effective, ScopeKeys scopes)
    {
        var inbound = BuildSection(effective.Inbound, "inbound", scopes);
        var backend = BuildSection(effective.Backend, "backend", scopes);
        var outbound = BuildSection(effective.Outbound, "outbound", scopes);
        var onError = BuildSection(effective.OnError, "on-error", scopes);
        if (inbound.Length + backend.Length + outbound.Length + onError.Length == 0)
        {
            return null;
        }

        var readsBody = false;
        foreach (var section in (IReadOnlyList<EffectivePolicyElement>[])[effective.Inbound, effective.Backend, effective.Outbound, effective.OnError])
        {
            foreach (var e in section)
            {
                readsBody |= ReadsRequestBody(e.Element, section == effective.Inbound || section == effective.Backend);
            }
        }

        var retries = false;
        foreach (var h in backend)
        {
            retries |= h is RetryHandler;
        }

        return new PolicyPipeline
        {
            Inbound = inbound,
            Backend = backend,
            Outbound = outbound,
            OnError = onError,
            BuffersRequestBody = readsBody || retries,
            CapturesResponse = outbound.Length > 0 || retries,
            Cors = inbound.OfType<CorsHandler>().ToArray(),
        };
    }

    private PolicyHandler[] BuildSection(IReadOnlyList<EffectivePolicyElement> elements, string section, ScopeKeys scopes)
    {
        var result = new List<PolicyHandler>();
        var target = section is "inbound" or "backend" ? MessageTarget.Request : MessageTarget.Response;
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var e in elements)
        {
            var index = seen[e.Element.Name] = seen.GetValueOrDefault(e.Element.Name) + 1;
            Add(result, e.Element, e.Scope, scopes.Of(e.Scope), section, $"{e.Element.Name}[{index}]", target);
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
        if (element.Name == "base")
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
                result.Add(new MissingFragmentHandler(new PolicyLocation("include-fragment", PolicyScopeNames.Of(scope), section, path, ""), id));
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

        var key = (element, scopeKey, section, target);
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

        switch (el.Name)
        {
            case "cors":
                return new CorsHandler(at, el, Value(el, "allow-credentials"), Value(el, "terminate-unmatched-request"));
            case "validate-jwt":
                return new ValidateJwtHandler(at, el, Optional(el, "token-value"), Optional(el, "failed-validation-error-message"), services);
            case "json-to-xml":
                return new JsonToXmlHandler(at, target, el["apply"] == "always", Flag(el, "consider-accept-header", true), Flag(el, "parse-date", true),
                    el["namespace-separator"], el["namespace-prefix"] ?? "xmlns", el["attribute-block-name"]);
            case "xml-to-json":
                return new XmlToJsonHandler(at, target, el["apply"] == "always", Flag(el, "consider-accept-header", true), el["kind"] == "direct",
                    Flag(el, "always-array-child-elements", false));
            case "send-request" or "send-one-way-request":
                return new SendRequestHandler(at, el["mode"] == "copy", el.Name == "send-request" ? el["response-variable-name"]! : null, TimeSpan.FromSeconds(Limits.Int(el, "timeout", 60)),
                    Flag(el, "ignore-error", false), Child(el, "set-url") is { } url ? Text(url) : null, Child(el, "set-method") is { } method ? Text(method) : null,
                    el.Children.Where(c => c.Name == "set-header").Select(c => new OutgoingHeader(c["name"]!, c["exists-action"] ?? "override", Values(c))).ToArray(),
                    Child(el, "set-body") is { } body ? Text(body) : null, services);
            case "cache-lookup":
                return new CacheLookupHandler(at, Flag(el, "vary-by-developer", false), Flag(el, "vary-by-developer-groups", false),
                    el["downstream-caching-type"] ?? "none", Flag(el, "must-revalidate", true), Flag(el, "allow-private-response-caching", false),
                    el.Children.Where(c => c.Name == "vary-by-header").Select(c => c.Text!.Trim()).ToArray(),
                    el.Children.Where(c => c.Name == "vary-by-query-parameter").SelectMany(c => c.Text!.Split(';', ',')).Select(q => q.Trim()).Where(q => q.Length > 0).ToArray());
            case "cache-store":
                return new CacheStoreHandler(at, Value(el, "duration"), Flag(el, "cache-response", false));
            case "cache-lookup-value":
                return new CacheLookupValueHandler(at, Value(el, "key"), Optional(el, "default-value"), el["variable-name"]!);
            case "cache-store-value":
                return new CacheStoreValueHandler(at, Value(el, "key"), Value(el, "value"), Value(el, "duration"));
            case "cache-remove-value":
                return new CacheRemoveValueHandler(at, Value(el, "key"));
            case "set-query-parameter":
                return new SetQueryParameterHandler(at, el["name"]!, el["exists-action"] ?? "override", Values(el));
            case "check-header":
                return new CheckHeaderHandler(at, el["name"]!, Limits.Int(el, "failed-check-httpcode", 401), Value(el, "failed-check-error-message"),
                    bool.TryParse(el["ignore-case"], out var ignore) && ignore, Values(el));
            case "ip-filter":
                return IpFilter(el, at);
            case "set-status":
                return new SetStatusHandler(at, Value(el, "code"), Optional(el, "reason"));
            case "set-method":
                return new SetMethodHandler(at, Text(el));
            case "trace":
                return new TraceHandler(at, el["source"] ?? "", Child(el, "message") is { } m ? Text(m) : Text(el),
                    el.Children.Where(c => c.Name == "metadata").Select(c => (c["name"] ?? "", Value(c, "value"))).ToArray());
            case "rewrite-uri":
                return new RewriteUriHandler(at, Value(el, "template"), !bool.TryParse(el["copy-unmatched-params"], out var copy) || copy);
            case "set-backend-service":
                return el.GetAttribute("backend-id") is null ? new SetBackendServiceHandler(at, Value(el, "base-url")) : new SetBackendHandler(at, Value(el, "backend-id"));
            case "set-body":
                if (el["template"]?.Trim() == "liquid")
                {
                    return new LiquidSetBodyHandler(at, el.Text ?? "", target, Flag(el, "parse-date", true), el["xsi-nil"]?.Trim() == "null");
                }

                return new SetBodyHandler(at, Text(el), target);
            case "find-and-replace":
                return new FindAndReplaceHandler(at, Value(el, "from"), Value(el, "to"), target);
            case "return-response":
                return new ReturnResponseHandler(at, BuildList(el.Children, scope, scopeKey, section, at.Path, MessageTarget.Response), el["response-variable-name"]);
            case "mock-response":
                return new MockResponseHandler(at, Limits.Int(el, "status-code", 200), el["content-type"]);
            case "choose":
                var branches = new List<(PolicyValue, PolicyHandler[])>();
                PolicyHandler[]? otherwise = null;
                var whenIndex = 0;
                foreach (var child in el.Children)
                {
                    if (child.Name == "when")
                    {
                        whenIndex++;
                        branches.Add((Value(child, "condition"), BuildList(child.Children, scope, scopeKey, section, $"{at.Path}/when[{whenIndex}]", target)));
                    }
                    else if (child.Name == "otherwise")
                    {
                        otherwise = BuildList(child.Children, scope, scopeKey, section, $"{at.Path}/otherwise[1]", target);
                    }
                }

                return new ChooseHandler(at, [.. branches], otherwise);
            case "forward-request":
                var timeout = el["timeout-ms"] is { } ms
                    ? TimeSpan.FromMilliseconds(long.Parse(ms, CultureInfo.InvariantCulture))
                    : TimeSpan.FromSeconds(Limits.Int(el, "timeout", 300));
                return new ForwardRequestHandler(at, timeout);
            case "retry":
                return new RetryHandler(at, Value(el, "condition"), Value(el, "count"), Value(el, "interval"), Optional(el, "max-interval"),
                    Optional(el, "delta"), Optional(el, "first-fast-retry"), BuildList(el.Children, scope, scopeKey, section, at.Path, target));
            case "authentication-basic":
                return new AuthenticationBasicHandler(at, Value(el, "username"), Value(el, "password"));
            case "jsonp":
                return new JsonpHandler(at, Value(el, "callback-parameter-name"));
            case "limit-concurrency":
                return new LimitConcurrencyHandler(at, Value(el, "key"), Limits.Int(el, "max-count", 1),
                    BuildList(el.Children, scope, scopeKey, section, at.Path, target), services.Concurrency);
            case "wait":
                return new WaitHandler(at, el.GetAttribute("for") is null ? PolicyValue.Literal("all") : Value(el, "for"),
                    BuildList(el.Children, scope, scopeKey, section, at.Path, target));
            case "validate-status-code":
                return new ValidateStatusCodeHandler(at, Value(el, "unspecified-status-code-action"), el["errors-variable-name"],
                    el.Children.Where(c => c.Name == "status-code").Select(c => (int.Parse(c["code"]!.Trim(), CultureInfo.InvariantCulture), Value(c, "action"))).ToArray());
            case "validate-parameters":
                return new ValidateParametersHandler(at, Value(el, "specified-parameter-action"), Value(el, "unspecified-parameter-action"), el["errors-variable-name"],
                    ParameterGroup(Child(el, "headers")), ParameterGroup(Child(el, "query")), ParameterGroup(Child(el, "path")));
            case "validate-headers":
                return new ValidateHeadersHandler(at, Value(el, "specified-header-action"), Value(el, "unspecified-header-action"), el["errors-variable-name"], ByName(el, "header"));
            case "validate-content":
                var map = Child(el, "content-type-map");
                return new ValidateContentHandler(at, Value(el, "unspecified-content-type-action"), long.Parse(el["max-size"]!.Trim(), CultureInfo.InvariantCulture),
                    Value(el, "size-exceeded-action"), el["errors-variable-name"], map?["any-content-type-value"], map?["missing-content-type-value"],
                    map?.Children.Where(c => c.Name == "type").Select(c => new ContentTypeMapping(c["from"], Optional(c, "when"), c["to"]!)).ToArray() ?? [],
                    el.Children.Where(c => c.Name == "content").Select(c => new ContentRule(c["type"], c["validate-as"]!, Value(c, "action"),
                        c["allow-additional-properties"] is { } allow ? bool.Parse(allow.Trim()) : null, c["schema-id"]?.Trim(), c["schema-ref"]?.Trim())).ToArray());
            default:
                throw new PolicyBuildException($"{at.Section}/{at.Path}: policy '{el.Name}' is not supported by this gateway.");
        }
    }

    private static IpFilterHandler IpFilter(PolicyElement el, PolicyLocation at)
    {
        var addresses = new List<IPAddress>();
        var ranges = new List<(byte[], byte[])>();
        foreach (var child in el.Children)
        {
            if (child.Name == "address")
            {
                addresses.Add(ParseAddress(child.Text, at));
            }
            else if (child.Name == "address-range")
            {
                var from = ParseAddress(child["from"], at).GetAddressBytes();
                var to = ParseAddress(child["to"], at).GetAddressBytes();
                if (from.Length != to.Length)
                {
                    throw new PolicyBuildException($"{at.Section}/{at.Path}: address-range mixes IPv4 and IPv6.");
                }

                ranges.Add((from, to));
            }
        }

        return new IpFilterHandler(at, el["action"] == "allow", [.. addresses], [.. ranges]);
    }

    private static IPAddress ParseAddress(string? text, PolicyLocation at) =>
        IPAddress.TryParse(text?.Trim(), out var ip)
            ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip)
            : throw new PolicyBuildException($"{at.Section}/{at.Path}: '{text}' is not an IP address.");

    private PolicyValue Value(PolicyElement el, string attribute)
    {
        var attr = el.GetAttribute(attribute);
        return attr is null ? PolicyValue.Literal(null) : PolicyValue.Of(attr.Value, attr.IsExpression ? Find(attr) : null);
    }

    private PolicyValue? Optional(PolicyElement el, string attribute) => el.GetAttribute(attribute) is null ? null : Value(el, attribute);

    private PolicyValue Text(PolicyElement el) => PolicyValue.Of(el.Text ?? "", el.TextIsExpression ? Find(el) : null);

    private PolicyValue[] Values(PolicyElement el) => el.Children.Where(c => c.Name == "value").Select(Text).ToArray();

    private static bool Flag(PolicyElement el, string attribute, bool defaultValue) =>
        bool.TryParse(el[attribute]?.Trim(), out var value) ? value : defaultValue;

    private static PolicyElement? Child(PolicyElement el, string name) => el.Children.FirstOrDefault(c => c.Name == name);

    /// <summary>The actions of a <c>headers</c>, <c>query</c> or <c>path</c> child of validate-parameters.</summary>
    private ParameterActions? ParameterGroup(PolicyElement? group) => group is null
        ? null
        : new ParameterActions(Optional(group, "specified-parameter-action"), Optional(group, "unspecified-parameter-action"), ByName(group, "parameter"));

    /// <summary><c>&lt;parameter name action/&gt;</c> children by name (the last wins).</summary>
    private Dictionary<string, PolicyValue> ByName(PolicyElement el, string child)
    {
        var result = new Dictionary<string, PolicyValue>(StringComparer.Ordinal);
        foreach (var c in el.Children.Where(c => c.Name == child))
        {
            result[c["name"]!] = Value(c, "action");
        }

        return result;
    }

    internal CompiledExpression Find(object owner) =>
        expressions(owner) ?? throw new PolicyBuildException("An expression of the snapshot was not compiled.");

    /// <summary>True when the element (or one inside it) reads or changes the request body, so it is buffered before inbound.</summary>
    private static bool ReadsRequestBody(PolicyElement el, bool requestSide)
    {
        if ((requestSide && el.Name is "set-body" or "find-and-replace" or "json-to-xml" or "xml-to-json") || (el.Name is "send-request" or "send-one-way-request" && el["mode"] == "copy"))
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
