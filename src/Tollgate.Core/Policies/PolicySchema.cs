namespace Tollgate.Core.Policies;

/// <summary>How an attribute's literal value is checked.</summary>
internal enum PolicyValueKind
{
    Any,
    NonNegativeInteger,
    Boolean,
    DateTime,
    Enumeration,
}

/// <summary>Rules for one attribute of a policy element.</summary>
internal sealed record PolicyAttributeSpec(
    string Name,
    bool Required = false,
    bool AllowsExpressions = true,
    PolicyValueKind Kind = PolicyValueKind.Any,
    IReadOnlyList<string>? Values = null,
    long? Max = null,
    long? Min = null);

/// <summary>Rules for a policy element or one of its child elements.</summary>
internal sealed class PolicyElementSpec
{
    public required string Name { get; init; }

    public IReadOnlyList<PolicyAttributeSpec> Attributes { get; init; } = [];

    public IReadOnlyList<PolicyElementSpec> Children { get; init; } = [];

    /// <summary>Children are themselves policies (choose/when/otherwise).</summary>
    public bool PolicyChildren { get; init; }

    public bool AllowsText { get; init; }

    /// <summary>Sections a top-level policy may be used in; null means all.</summary>
    public IReadOnlyList<string>? Sections { get; init; }

    public bool OncePerDocument { get; init; }

    /// <summary>Extra checks: element, path, and a sink taking (path, element line/col source, message).</summary>
    public Action<PolicyElement, string, Action<string, string>>? Extra { get; init; }

    public PolicyAttributeSpec? FindAttribute(string name) => Attributes.FirstOrDefault(a => a.Name == name);

    public PolicyElementSpec? FindChild(string name) => Children.FirstOrDefault(c => c.Name == name);
}

/// <summary>The policies Tollgate knows, with their attributes, children and placement rules.</summary>
internal static class PolicySchema
{
    private static readonly string[] InboundOnly = ["inbound"];
    private static readonly string[] ExistsActions = ["override", "skip", "append", "delete"];
    private static readonly string[] ValidationActions = ["ignore", "prevent", "detect"];

    /// <summary>APIM's limit for <c>validate-content max-size</c>: 100 KiB.</summary>
    internal const long ValidateContentMaxSize = 102_400;

    /// <summary>A child of <c>validate-parameters</c> (<c>headers</c>, <c>query</c>, <c>path</c>): overrides of the actions for its parameters.</summary>
    private static PolicyElementSpec ParameterGroup(string name, bool unspecified) => new()
    {
        Name = name,
        Attributes = unspecified
            ? [new("specified-parameter-action", Kind: PolicyValueKind.Enumeration, Values: ValidationActions), new("unspecified-parameter-action", Kind: PolicyValueKind.Enumeration, Values: ValidationActions)]
            : [new("specified-parameter-action", Kind: PolicyValueKind.Enumeration, Values: ValidationActions)],
        Children = [NamedAction("parameter")],
    };

    /// <summary><c>&lt;parameter name action/&gt;</c>, <c>&lt;header name action/&gt;</c>: the action for one name.</summary>
    private static PolicyElementSpec NamedAction(string name) => new()
    {
        Name = name,
        Attributes = [new("name", Required: true, AllowsExpressions: false), new("action", Required: true, Kind: PolicyValueKind.Enumeration, Values: ValidationActions)],
    };

    private static readonly PolicyElementSpec Value = new() { Name = "value", AllowsText = true };

    private static PolicyElementSpec SetHeader => Definitions.SetHeader.SetHeaderPolicy.Instance.Schema;

    private static readonly PolicyElementSpec SetStatus = new()
    {
        Name = "set-status",
        Attributes = [new("code", Required: true, Kind: PolicyValueKind.NonNegativeInteger), new("reason")],
    };

    private static readonly PolicyElementSpec SetBody = new()
    {
        Name = "set-body",
        Attributes =
        [
            new("template", AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["liquid", "none"]),
            new("xsi-nil", AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["blank", "null"]),
            new("parse-date", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
        ],
        AllowsText = true,
    };

    /// <summary>The children of <c>send-request</c> and <c>send-one-way-request</c>: the request they send.</summary>
    private static readonly PolicyElementSpec[] OutgoingRequest =
    [
        new PolicyElementSpec { Name = "set-url", AllowsText = true, Extra = RequireText },
        new PolicyElementSpec { Name = "set-method", AllowsText = true, Extra = RequireText },
        SetHeader,
        SetBody,
    ];

    /// <summary><c>send-request</c> and <c>send-one-way-request</c> in mode <c>new</c> (the default) need a <c>set-url</c>.</summary>
    private static Action<PolicyElement, string, Action<string, string>> RequiresSetUrl(string policy) => (el, path, report) =>
    {
        if (el["mode"] is null or "new" && !el.Children.Any(c => c.Name == "set-url"))
        {
            report(path, $"Policy '{policy}' requires a 'set-url' element when mode is 'new'.");
        }
    };

    private static void RequireText(PolicyElement el, string path, Action<string, string> report)
    {
        if (string.IsNullOrWhiteSpace(el.Text))
        {
            report(path, $"Policy '{el.Name}' requires a value as its text, e.g. <{el.Name}>POST</{el.Name}>.");
        }
    }

    private static void RequireChild(PolicyElement el, string path, string child, Action<string, string> report)
    {
        if (!el.Children.Any(c => c.Name == child))
        {
            report(path, $"Policy '{el.Name}' requires a '{child}' element.");
        }
    }

    private static readonly PolicyAttributeSpec CachingType =
        new("caching-type", AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["internal", "external", "prefer-external"]);

    private static readonly PolicyElementSpec JwtKey = new()
    {
        Name = "key",
        AllowsText = true,
        Attributes = [new("id", AllowsExpressions: false), new("certificate-id", AllowsExpressions: false), new("n", AllowsExpressions: false), new("e", AllowsExpressions: false)],
    };

    private static bool IsBase64(string text)
    {
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text.Trim(), buffer, out _);
    }

    private static readonly PolicyElementSpec When = new()
    {
        Name = "when",
        Attributes = [new("condition", Required: true)],
        PolicyChildren = true,
    };

    private static readonly PolicyElementSpec Otherwise = new() { Name = "otherwise", PolicyChildren = true };

    /// <summary>Known top-level policies by element name.</summary>
    public static readonly IReadOnlyDictionary<string, PolicyElementSpec> Policies = Definitions.PolicyDefinitions.All.Select(d => d.Schema).Concat(new[]
    {
        new PolicyElementSpec
        {
            Name = "set-query-parameter",
            Sections = ["inbound", "backend"],
            Attributes = [new("name", Required: true), new("exists-action", Kind: PolicyValueKind.Enumeration, Values: ExistsActions)],
            Children = [Value],
        },
        new PolicyElementSpec
        {
            Name = "check-header",
            Sections = InboundOnly,
            Attributes =
            [
                new("name", Required: true),
                new("failed-check-httpcode", Required: true, Kind: PolicyValueKind.NonNegativeInteger),
                new("failed-check-error-message", Required: true),
                new("ignore-case", Required: true, Kind: PolicyValueKind.Boolean),
            ],
            Children = [Value],
        },
        new PolicyElementSpec
        {
            Name = "ip-filter",
            Sections = InboundOnly,
            Attributes = [new("action", Required: true, Kind: PolicyValueKind.Enumeration, Values: ["allow", "forbid"])],
            Children =
            [
                new PolicyElementSpec { Name = "address", AllowsText = true },
                new PolicyElementSpec { Name = "address-range", Attributes = [new("from", Required: true), new("to", Required: true)] },
            ],

            // The gateway builds these into address tests: what it cannot read is refused here, not when a snapshot is built.
            Extra = (el, path, report) =>
            {
                static bool Ip(string? text, out System.Net.IPAddress? ip) => System.Net.IPAddress.TryParse(text?.Trim(), out ip);
                foreach (var child in el.Children)
                {
                    if (child.Name == "address" && !Ip(child.Text, out _))
                    {
                        report(path + "/address", $"'{child.Text}' is not an IP address.");
                    }
                    else if (child.Name == "address-range" && child["from"] is not null && child["to"] is not null)
                    {
                        // A missing attribute is reported as required.
                        if (!Ip(child["from"], out var from) || !Ip(child["to"], out var to))
                        {
                            report(path + "/address-range", $"'{child["from"]}' to '{child["to"]}' is not a range of IP addresses.");
                        }
                        else if ((from!.IsIPv4MappedToIPv6 ? from.MapToIPv4() : from).AddressFamily != (to!.IsIPv4MappedToIPv6 ? to.MapToIPv4() : to).AddressFamily)
                        {
                            report(path + "/address-range", "address-range mixes IPv4 and IPv6.");
                        }
                    }
                }
            },
        },
        new PolicyElementSpec
        {
            Name = "return-response",
            Attributes = [new("response-variable-name")],
            Children = [SetStatus, SetHeader, SetBody],
        },
        new PolicyElementSpec
        {
            Name = "mock-response",
            Sections = ["inbound", "outbound", "on-error"],
            Attributes = [new("status-code", Kind: PolicyValueKind.NonNegativeInteger), new("content-type")],
        },
        SetStatus,
        new PolicyElementSpec
        {
            Name = "choose",
            Children = [When, Otherwise],
            Extra = (el, path, report) =>
            {
                if (!el.Children.Any(c => c.Name == "when"))
                {
                    report(path, "Policy 'choose' requires at least one 'when' element.");
                }

                var otherwise = el.Children.Count(c => c.Name == "otherwise");
                if (otherwise > 1)
                {
                    report(path, "Policy 'choose' allows at most one 'otherwise' element.");
                }
                else if (otherwise == 1 && el.Children[^1].Name != "otherwise")
                {
                    report(path, "Element 'otherwise' must be the last element of 'choose'.");
                }
            },
        },
        new PolicyElementSpec
        {
            Name = "forward-request",
            Sections = ["backend"],
            Attributes =
            [
                // A timer holds at most int.MaxValue milliseconds.
                new("timeout", Kind: PolicyValueKind.NonNegativeInteger, Max: int.MaxValue / 1000),
                new("timeout-ms", Kind: PolicyValueKind.NonNegativeInteger, Max: int.MaxValue),
                new("continue-timeout", Kind: PolicyValueKind.NonNegativeInteger),
                new("http-version", Kind: PolicyValueKind.Enumeration, Values: ["1", "2or1", "2"]),
                new("follow-redirects", Kind: PolicyValueKind.Boolean),
                new("buffer-request-body", Kind: PolicyValueKind.Boolean),
                new("buffer-response", Kind: PolicyValueKind.Boolean),
                new("fail-on-error-status-code", Kind: PolicyValueKind.Boolean),
            ],
        },
        new PolicyElementSpec
        {
            Name = "rewrite-uri",
            Sections = InboundOnly,
            Attributes = [new("template", Required: true), new("copy-unmatched-params", AllowsExpressions: false, Kind: PolicyValueKind.Boolean)],
        },
        new PolicyElementSpec
        {
            Name = "set-backend-service",
            Sections = ["inbound", "backend"],
            Attributes = [new("base-url"), new("backend-id")],
            Extra = (el, path, report) =>
            {
                if ((el.GetAttribute("base-url") is null) == (el.GetAttribute("backend-id") is null))
                {
                    report(path, "Policy 'set-backend-service' needs exactly one of 'base-url' and 'backend-id'.");
                }
            },
        },
        new PolicyElementSpec { Name = "set-method", Sections = ["inbound", "on-error"], AllowsText = true, Extra = RequireText },
        SetBody,
        new PolicyElementSpec
        {
            Name = "find-and-replace",
            Attributes = [new("from", Required: true), new("to", Required: true)],
        },
        new PolicyElementSpec
        {
            Name = "retry",
            Sections = ["inbound", "backend", "outbound", "on-error"],
            PolicyChildren = true,
            Attributes =
            [
                new("condition", Required: true),
                new("count", Required: true, Kind: PolicyValueKind.NonNegativeInteger, Max: 50),
                new("interval", Required: true, Kind: PolicyValueKind.NonNegativeInteger),
                new("max-interval", Kind: PolicyValueKind.NonNegativeInteger),
                new("delta", Kind: PolicyValueKind.NonNegativeInteger),
                new("first-fast-retry", Kind: PolicyValueKind.Boolean),
            ],
        },
        new PolicyElementSpec
        {
            Name = "cors",
            Sections = InboundOnly,
            Attributes =
            [
                new("allow-credentials", Kind: PolicyValueKind.Boolean),
                new("terminate-unmatched-request", Kind: PolicyValueKind.Boolean),
            ],
            Children =
            [
                new PolicyElementSpec { Name = "allowed-origins", Children = [new PolicyElementSpec { Name = "origin", AllowsText = true }] },
                new PolicyElementSpec
                {
                    Name = "allowed-methods",
                    Attributes = [new("preflight-result-max-age", AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger)],
                    Children = [new PolicyElementSpec { Name = "method", AllowsText = true }],
                },
                new PolicyElementSpec { Name = "allowed-headers", Children = [new PolicyElementSpec { Name = "header", AllowsText = true }] },
                new PolicyElementSpec { Name = "expose-headers", Children = [new PolicyElementSpec { Name = "header", AllowsText = true }] },
            ],
            Extra = (el, path, report) =>
            {
                RequireChild(el, path, "allowed-origins", report);
                var origins = el.Children.FirstOrDefault(c => c.Name == "allowed-origins");
                if (origins is not null && !origins.Children.Any(c => c.Name == "origin"))
                {
                    report(path + "/allowed-origins[1]", "Element 'allowed-origins' of 'cors' requires at least one 'origin' element.");
                }

                if (el["allow-credentials"] is { } credentials && credentials.Trim().Equals("true", StringComparison.OrdinalIgnoreCase)
                    && origins?.Children.Any(c => c.Text?.Trim() == "*") == true)
                {
                    report(path + "/@allow-credentials", "Attribute 'allow-credentials' of 'cors' cannot be true when the allowed origins include '*'.");
                }
            },
        },
        new PolicyElementSpec
        {
            Name = "validate-jwt",
            Sections = InboundOnly,
            Attributes =
            [
                new("header-name", AllowsExpressions: false),
                new("query-parameter-name", AllowsExpressions: false),
                new("token-value"),
                new("failed-validation-httpcode", AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger),
                new("failed-validation-error-message"),
                new("require-expiration-time", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
                new("require-scheme", AllowsExpressions: false),
                new("require-signed-tokens", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
                new("clock-skew", AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger),
                new("output-token-variable-name", AllowsExpressions: false),
            ],
            Children =
            [
                new PolicyElementSpec { Name = "openid-config", Attributes = [new("url", Required: true, AllowsExpressions: false)] },
                new PolicyElementSpec { Name = "issuer-signing-keys", Children = [JwtKey] },
                new PolicyElementSpec { Name = "decryption-keys", Children = [JwtKey] },
                new PolicyElementSpec { Name = "audiences", Children = [new PolicyElementSpec { Name = "audience", AllowsText = true }] },
                new PolicyElementSpec { Name = "issuers", Children = [new PolicyElementSpec { Name = "issuer", AllowsText = true }] },
                new PolicyElementSpec
                {
                    Name = "required-claims",
                    Children =
                    [
                        new PolicyElementSpec
                        {
                            Name = "claim",
                            Attributes =
                            [
                                new("name", Required: true, AllowsExpressions: false),
                                new("match", AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["all", "any"]),
                                new("separator", AllowsExpressions: false),
                            ],
                            Children = [new PolicyElementSpec { Name = "value", AllowsText = true }],
                        },
                    ],
                },
            ],
            Extra = (el, path, report) =>
            {
                var sources = new[] { "header-name", "query-parameter-name", "token-value" }.Count(a => el.GetAttribute(a) is not null);
                if (sources != 1)
                {
                    report(path, "Policy 'validate-jwt' requires exactly one of the attributes 'header-name', 'query-parameter-name' and 'token-value'.");
                }

                foreach (var key in el.Children.Where(c => c.Name is "issuer-signing-keys" or "decryption-keys").SelectMany(c => c.Children))
                {
                    if (key["certificate-id"] is not null)
                    {
                        report(path, "Attribute 'certificate-id' of 'key' is not supported: Tollgate has no certificates resource; give the key inline (base64, or n and e).");
                    }
                    else if (string.IsNullOrWhiteSpace(key.Text) && (key["n"] is null || key["e"] is null))
                    {
                        report(path, "Element 'key' of 'validate-jwt' requires a base64 value, or both the attributes 'n' and 'e'.");
                    }
                    else if (!string.IsNullOrWhiteSpace(key.Text) && !IsBase64(key.Text!))
                    {
                        report(path, $"Element 'key' of 'validate-jwt' must be base64, not '{key.Text}'.");
                    }
                }
            },
        },
        new PolicyElementSpec
        {
            Name = "json-to-xml",
            Sections = ["inbound", "outbound", "on-error"],
            Attributes =
            [
                new("apply", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["always", "content-type-json"]),
                new("consider-accept-header", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
                new("parse-date", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
                new("namespace-separator", AllowsExpressions: false),
                new("namespace-prefix", AllowsExpressions: false),
                new("attribute-block-name", AllowsExpressions: false),
            ],
        },
        new PolicyElementSpec
        {
            Name = "xml-to-json",
            Sections = ["inbound", "outbound", "on-error"],
            Attributes =
            [
                new("kind", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["javascript-friendly", "direct"]),
                new("apply", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["always", "content-type-xml"]),
                new("consider-accept-header", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
                new("always-array-child-elements", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
            ],
        },
        new PolicyElementSpec
        {
            Name = "send-request",
            Attributes =
            [
                new("mode", AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["new", "copy"]),
                new("response-variable-name", Required: true, AllowsExpressions: false),
                new("timeout", AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger, Max: int.MaxValue / 1000),
                new("ignore-error", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
            ],
            Children = OutgoingRequest,
            Extra = RequiresSetUrl("send-request"),
        },
        new PolicyElementSpec
        {
            Name = "send-one-way-request",
            Attributes =
            [
                new("mode", AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["new", "copy"]),
                new("timeout", AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger, Max: int.MaxValue / 1000),
            ],
            Children = OutgoingRequest,
            Extra = RequiresSetUrl("send-one-way-request"),
        },
        new PolicyElementSpec
        {
            Name = "cache-lookup",
            Sections = InboundOnly,
            Attributes =
            [
                new("vary-by-developer", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
                new("vary-by-developer-groups", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
                new("downstream-caching-type", AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["none", "private", "public"]),
                new("must-revalidate", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
                new("allow-private-response-caching", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
                CachingType,
            ],
            Children =
            [
                new PolicyElementSpec { Name = "vary-by-header", AllowsText = true, Extra = RequireText },
                new PolicyElementSpec { Name = "vary-by-query-parameter", AllowsText = true, Extra = RequireText },
            ],
        },
        new PolicyElementSpec
        {
            Name = "cache-store",
            Sections = ["outbound"],
            Attributes =
            [
                new("duration", Required: true, Kind: PolicyValueKind.NonNegativeInteger),
                new("cache-response", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
            ],
        },
        new PolicyElementSpec
        {
            Name = "cache-lookup-value",
            Attributes = [new("key", Required: true), new("default-value"), new("variable-name", Required: true, AllowsExpressions: false), CachingType],
        },
        new PolicyElementSpec
        {
            Name = "cache-store-value",
            Attributes = [new("key", Required: true), new("value", Required: true), new("duration", Required: true, Kind: PolicyValueKind.NonNegativeInteger), CachingType],
        },
        new PolicyElementSpec
        {
            Name = "cache-remove-value",
            Attributes = [new("key", Required: true), CachingType],
        },
        new PolicyElementSpec
        {
            Name = "trace",
            Attributes =
            [
                new("source", Required: true, AllowsExpressions: false),
                new("severity", AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["verbose", "information", "error"]),
            ],
            Children =
            [
                new PolicyElementSpec { Name = "message", AllowsText = true },
                new PolicyElementSpec { Name = "metadata", Attributes = [new("name", Required: true), new("value", Required: true)] },
            ],

            // APIM's older form: the message as the element's text (<trace source="x">text or @(expression)</trace>).
            AllowsText = true,
            Extra = (el, path, report) =>
            {
                if (el.Text is not null && el.Children.Any(c => c.Name == "message"))
                {
                    report(path, "'trace' takes its message either as text or in a <message> element, not both.");
                }
            },
        },
        new PolicyElementSpec
        {
            Name = "authentication-basic",
            Sections = InboundOnly,
            OncePerDocument = true,
            Attributes = [new("username", Required: true), new("password", Required: true)],
        },
        new PolicyElementSpec
        {
            Name = "jsonp",
            Sections = ["outbound"],
            OncePerDocument = true,
            Attributes = [new("callback-parameter-name", Required: true)],
        },
        new PolicyElementSpec
        {
            Name = "limit-concurrency",
            PolicyChildren = true,
            Attributes =
            [
                new("key", Required: true),
                new("max-count", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger, Min: 1, Max: int.MaxValue),
            ],
        },
        new PolicyElementSpec
        {
            Name = "wait",
            Sections = ["inbound", "backend", "outbound"],
            PolicyChildren = true,
            Attributes = [new("for", Kind: PolicyValueKind.Enumeration, Values: ["all", "any"])],
            Extra = (el, path, report) =>
            {
                foreach (var child in el.Children.Where(c => c.Name is not ("send-request" or "cache-lookup-value" or "choose")))
                {
                    report(path, $"Element '{child.Name}' is not allowed in 'wait': it may contain only send-request, cache-lookup-value and choose policies.");
                }
            },
        },
        new PolicyElementSpec
        {
            Name = "validate-status-code",
            Sections = ["outbound", "on-error"],
            Attributes =
            [
                new("unspecified-status-code-action", Required: true, Kind: PolicyValueKind.Enumeration, Values: ValidationActions),
                new("errors-variable-name", AllowsExpressions: false),
            ],
            Children =
            [
                new PolicyElementSpec
                {
                    Name = "status-code",
                    Attributes =
                    [
                        new("code", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger, Min: 100, Max: 599),
                        new("action", Required: true, Kind: PolicyValueKind.Enumeration, Values: ValidationActions),
                    ],
                },
            ],
        },
        new PolicyElementSpec
        {
            Name = "validate-parameters",
            Sections = InboundOnly,
            OncePerDocument = true,
            Attributes =
            [
                new("specified-parameter-action", Required: true, Kind: PolicyValueKind.Enumeration, Values: ValidationActions),
                new("unspecified-parameter-action", Required: true, Kind: PolicyValueKind.Enumeration, Values: ValidationActions),
                new("errors-variable-name", AllowsExpressions: false),
            ],
            Children =
            [
                ParameterGroup("headers", unspecified: true),
                ParameterGroup("query", unspecified: true),
                ParameterGroup("path", unspecified: false),
            ],
        },
        new PolicyElementSpec
        {
            Name = "validate-headers",
            Sections = ["outbound", "on-error"],
            OncePerDocument = true,
            Attributes =
            [
                new("specified-header-action", Required: true, Kind: PolicyValueKind.Enumeration, Values: ValidationActions),
                new("unspecified-header-action", Required: true, Kind: PolicyValueKind.Enumeration, Values: ValidationActions),
                new("errors-variable-name", AllowsExpressions: false),
            ],
            Children = [NamedAction("header")],
        },
        new PolicyElementSpec
        {
            Name = "validate-content",
            Sections = ["inbound", "outbound", "on-error"],
            Attributes =
            [
                new("unspecified-content-type-action", Required: true, Kind: PolicyValueKind.Enumeration, Values: ValidationActions),
                new("max-size", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger, Min: 0, Max: ValidateContentMaxSize),
                new("size-exceeded-action", Required: true, Kind: PolicyValueKind.Enumeration, Values: ValidationActions),
                new("errors-variable-name", AllowsExpressions: false),
            ],
            Children =
            [
                new PolicyElementSpec
                {
                    Name = "content-type-map",
                    Attributes = [new("any-content-type-value", AllowsExpressions: false), new("missing-content-type-value", AllowsExpressions: false)],
                    Children =
                    [
                        new PolicyElementSpec
                        {
                            Name = "type",
                            Attributes = [new("from", AllowsExpressions: false), new("when"), new("to", Required: true, AllowsExpressions: false)],
                            Extra = (el, path, report) =>
                            {
                                if ((el["from"] is null) == (el["when"] is null))
                                {
                                    report(path, "Element 'type' of 'content-type-map' needs exactly one of 'from' and 'when'.");
                                }
                            },
                        },
                    ],
                },
                new PolicyElementSpec
                {
                    Name = "content",
                    Attributes =
                    [
                        new("type", AllowsExpressions: false),
                        new("validate-as", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["json", "xml", "soap"]),
                        new("schema-id", AllowsExpressions: false),
                        new("schema-ref", AllowsExpressions: false),
                        new("action", Required: true, Kind: PolicyValueKind.Enumeration, Values: ValidationActions),
                        new("allow-additional-properties", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
                    ],
                    Extra = (el, path, report) =>
                    {
                        if (el["schema-ref"] is not null && el["schema-id"] is null)
                        {
                            report(path, "Attribute 'schema-ref' of 'content' applies only with 'schema-id'.");
                        }
                        else if (el["schema-ref"] is { } reference && !reference.Trim().StartsWith("#/", StringComparison.Ordinal))
                        {
                            report(path, $"Attribute 'schema-ref' of 'content' must be a local reference such as #/components/schemas/address, not '{reference}'.");
                        }
                    },
                },
            ],
        },
    }).ToDictionary(p => p.Name, StringComparer.Ordinal);
}
