using System.Globalization;
using System.Text;
using System.Xml.Linq;
using Fluid;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Expressions;
using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.SetBody;

/// <summary>
/// <c>set-body template="liquid"</c>: the body rendered from a Liquid template (Fluid) in APIM's dialect: <c>body.*</c> is
/// the current message body (JSON, or XML when the message's Content-Type says so), <c>context.*</c> the request,
/// response, variables, user, subscription, product, API and operation with APIM's Pascal-case names, and the filters
/// under APIM's Pascal-case names (<c>Upcase</c>, <c>AtLeast</c>, <c>Date:"yyyy-MM-dd"</c> with .NET formats). The
/// template is parsed once, when the snapshot is built (a template that does not parse fails the build, so management
/// refuses it on save); a render is bounded in steps, output size and nesting.
/// </summary>
internal sealed class LiquidSetBodyHandler : PolicyHandler
{
    /// <summary>APIM's filter names (Pascal case, "C# mode") and the Liquid filters they are.</summary>
    private static readonly (string Apim, string Liquid)[] FilterNames =
    [
        ("Abs", "abs"), ("Append", "append"), ("AtLeast", "at_least"), ("AtMost", "at_most"), ("Capitalize", "capitalize"),
        ("Compact", "compact"), ("Date", "format_date"), ("Default", "default"), ("DividedBy", "divided_by"),
        ("Downcase", "downcase"), ("Escape", "escape"), ("First", "first"), ("H", "escape"), ("Join", "join"), ("Last", "last"),
        ("Lstrip", "lstrip"), ("Map", "map"), ("Minus", "minus"), ("Modulo", "modulo"), ("NewlineToBr", "newline_to_br"),
        ("Plus", "plus"), ("Prepend", "prepend"), ("Remove", "remove"), ("RemoveFirst", "remove_first"), ("Replace", "replace"),
        ("ReplaceFirst", "replace_first"), ("Round", "round"), ("Rstrip", "rstrip"), ("Size", "size"), ("Slice", "slice"),
        ("Sort", "sort"), ("Split", "split"), ("Strip", "strip"), ("StripHtml", "strip_html"), ("StripNewlines", "strip_newlines"),
        ("Times", "times"), ("Truncate", "truncate"), ("TruncateWords", "truncatewords"), ("Uniq", "uniq"), ("Upcase", "upcase"),
        ("UrlDecode", "url_decode"), ("UrlEncode", "url_encode"),
    ];

    /// <summary>Most steps (tags, outputs, loop iterations) one render may take.</summary>
    internal const int MaxSteps = 100_000;

    /// <summary>Most characters one render may write.</summary>
    internal const int MaxOutputSize = 4 * 1024 * 1024;

    private static readonly FluidParser Parser = new(new FluidParserOptions { AllowFunctions = false });

    private static readonly TemplateOptions Options = BuildOptions();

    private readonly IFluidTemplate _template;
    private readonly MessageTarget _target;
    private readonly bool _parseDate;
    private readonly bool _nilAsNull;

    public LiquidSetBodyHandler(PolicyLocation location, string template, MessageTarget target, bool parseDate, bool nilAsNull)
        : base(location)
    {
        if (!Parser.TryParse(template, out var parsed, out var error))
        {
            throw new PolicyBuildException($"{location.Section}/{location.Path}: the Liquid template does not parse: {error}");
        }

        _template = parsed;
        _target = target;
        _parseDate = parseDate;
        _nilAsNull = nilAsNull;
    }

    private static TemplateOptions BuildOptions()
    {
        var builder = new TemplateOptionsBuilder()
            .WithMaxSteps(MaxSteps)
            .WithMaxOutputSize(MaxOutputSize)
            .WithMaxRecursion(SafeParsing.MaxBodyDepth)
            .WithCultureInfo(CultureInfo.InvariantCulture)
            .ConfigureFilters(filters =>
            {
                foreach (var (apim, liquid) in FilterNames)
                {
                    if (filters.TryGetValue(liquid, out var filter))
                    {
                        filters.AddFilter(apim, filter);
                    }
                }
            });
        return builder.Build();
    }

    /// <summary>The APIM filter names this gateway renders (those Fluid has).</summary>
    internal static IEnumerable<string> SupportedFilters => FilterNames.Where(f => Options.Filters.TryGetValue(f.Liquid, out _)).Select(f => f.Apim);

    public override async ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var model = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["body"] = BodyModel(context),
            ["context"] = LiquidModel.Context(context),
        };
        var templateContext = new TemplateContext(model, Options);
        var text = await _template.RenderAsync(templateContext, NullEncoder.Default);
        Bodies.Replace(context, _target, Encoding.UTF8.GetBytes(text));
        return PolicyStep.Continue;
    }

    /// <summary>The current body as Liquid sees it: JSON or XML by the message's Content-Type (JSON when it says neither and the text is JSON), else the text.</summary>
    private object? BodyModel(PolicyContext context)
    {
        var body = Bodies.Current(context, _target);
        if (body is null)
        {
            return null;
        }

        var text = body.As<string>(preserveContent: true);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var headers = _target == MessageTarget.Request ? ((IRequest)context).Headers : ((IResponse)context).Headers;
        var contentType = headers.FirstOrDefault(h => string.Equals(h.Key, "Content-Type", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault() ?? "";
        var mediaType = contentType.Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType is "application/xml" or "text/xml" || mediaType.EndsWith("+xml", StringComparison.Ordinal))
        {
            var root = SafeParsing.ParseXmlBody(text, body.IsClientRequest).Root!;
            return new Dictionary<string, object?>(StringComparer.Ordinal) { [root.Name.LocalName] = LiquidModel.FromXml(root, _nilAsNull) };
        }

        try
        {
            var json = SafeParsing.ParseJsonBody(text, body.IsClientRequest, _parseDate ? DateParseHandling.DateTime : DateParseHandling.None);
            return LiquidModel.FromJson(json);
        }
        catch (JsonReaderException) when (!(mediaType is "application/json" or "text/json" || mediaType.EndsWith("+json", StringComparison.Ordinal)))
        {
            return text;
        }
    }
}

/// <summary>Plain dictionaries and lists for Liquid: bodies and APIM's <c>context</c>, with nothing reachable beyond them.</summary>
internal static class LiquidModel
{
    public static object? FromJson(JToken token) => token switch
    {
        JObject o => o.Properties().ToDictionary(p => p.Name, p => FromJson(p.Value), StringComparer.Ordinal),
        JArray a => a.Select(FromJson).ToList(),
        JValue { Value: null } => null,
        JValue v => v.Value,
        _ => token.ToString(),
    };

    /// <summary>An element's value: its text when it has no children or attributes, else its attributes and children by name (repeated ones as a list).</summary>
    public static object? FromXml(XElement element, bool nilAsNull)
    {
        XNamespace xsi = "http://www.w3.org/2001/XMLSchema-instance";
        if ((string?)element.Attribute(xsi + "nil") == "true")
        {
            return nilAsNull ? null : "";
        }

        var attributes = element.Attributes().Where(a => !a.IsNamespaceDeclaration && a.Name.Namespace != xsi).ToArray();
        if (!element.HasElements && attributes.Length == 0)
        {
            return element.Value;
        }

        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var a in attributes)
        {
            result[a.Name.LocalName] = a.Value;
        }

        foreach (var group in element.Elements().GroupBy(e => e.Name.LocalName))
        {
            var values = group.Select(e => FromXml(e, nilAsNull)).ToList();
            result[group.Key] = values.Count == 1 ? values[0] : values;
        }

        return result;
    }

    /// <summary>APIM's <c>context</c> for Liquid: Pascal-case names, any case accepted.</summary>
    public static Dictionary<string, object?> Context(PolicyContext c)
    {
        var request = (IRequest)c;
        var model = Map(
            ("RequestId", c.RequestId.ToString()),
            ("Timestamp", c.Timestamp),
            ("Request", Map(
                ("Method", request.Method),
                ("Url", Url(request.Url)),
                ("OriginalUrl", Url(request.OriginalUrl)),
                ("Headers", Headers(request.Headers)),
                ("IpAddress", request.IpAddress),
                ("MatchedParameters", request.MatchedParameters.ToDictionary(p => p.Key, p => (object?)p.Value, StringComparer.OrdinalIgnoreCase)))),
            ("Api", Map(("Id", c.Api.Id), ("Name", c.Api.Name), ("Path", c.Api.Path))),
            ("Operation", Map(("Id", c.Operation.Id), ("Name", c.Operation.Name), ("Method", c.Operation.Method), ("UrlTemplate", c.Operation.UrlTemplate))),
            ("Deployment", Map(("Region", c.Deployment.Region), ("ServiceName", c.Deployment.ServiceName), ("GatewayId", c.Deployment.GatewayId))),
            ("Variables", c.Variables.ToDictionary(v => v.Key, v => Variable(v.Value), StringComparer.Ordinal)));
        if (c.Response is { } response)
        {
            model["Response"] = Map(("StatusCode", response.StatusCode), ("StatusReason", response.StatusReason), ("Headers", Headers(response.Headers)));
        }

        if (c.User is { } user)
        {
            model["User"] = Map(("Id", user.Id), ("Email", user.Email), ("FirstName", user.FirstName), ("LastName", user.LastName));
        }

        if (c.Subscription is { } subscription)
        {
            model["Subscription"] = Map(("Id", subscription.Id), ("Name", subscription.Name));
        }

        if (c.Product is { } product)
        {
            model["Product"] = Map(("Id", product.Id), ("Name", product.Name));
        }

        return model;
    }

    private static object? Variable(object? value) => value switch
    {
        JToken j => FromJson(j),
        string or bool or int or long or double or decimal or DateTime or DateTimeOffset or null => value,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    private static Dictionary<string, object?> Url(IUrl url) => Map(
        ("Scheme", url.Scheme), ("Host", url.Host), ("Port", url.Port), ("Path", url.Path), ("QueryString", url.QueryString),
        ("Query", url.Query.ToDictionary(q => q.Key, q => (object?)string.Join(",", q.Value), StringComparer.OrdinalIgnoreCase)));

    private static Dictionary<string, object?> Headers(IReadOnlyDictionary<string, string[]> headers) =>
        headers.ToDictionary(h => h.Key, h => (object?)string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);

    private static Dictionary<string, object?> Map(params (string Name, object? Value)[] entries)
    {
        var result = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in entries)
        {
            result[name] = value;
        }

        return result;
    }
}
