namespace Tollgate.Core.Policies.Expressions;

/// <summary>What a policy needs from an expression, and so how its value is compiled and converted.</summary>
/// <remarks>
/// <see cref="Boolean"/> expressions are compiled as <c>bool</c>: <c>condition="@("yes")"</c> is refused when the
/// document is saved. The others are compiled as <c>object</c> and converted when they run, so
/// <c>@(context.Response.StatusCode)</c> can fill a header and <c>@(context.Variables["calls"])</c> a number:
/// <see cref="String"/> uses the invariant culture's <c>ToString</c>, <see cref="Integer"/> takes any integral
/// number or a string of digits, <see cref="Object"/> keeps the value as it is (set-variable, set-body).
/// </remarks>
public enum ExpressionResultType
{
    Object,
    String,
    Boolean,
    Integer,
}

/// <summary>One policy expression to compile: its code, where it is, and the type of value wanted from it.</summary>
public sealed class PolicyExpressionSource
{
    private readonly Func<int, (int Line, int Column)> _locate;

    /// <summary>An expression whose code starts at (<paramref name="line"/>, <paramref name="column"/>) of some text, character for character.</summary>
    /// <param name="path">Where it is, e.g. <c>policies/inbound/set-header[1]/@name</c>; names it in errors.</param>
    /// <param name="code">The value: <c>@(expression)</c> or <c>@{ statements }</c>, possibly surrounded by white space.</param>
    /// <param name="resultType">The type of value wanted.</param>
    /// <param name="line">1-based line of the first character of <paramref name="code"/>.</param>
    /// <param name="column">1-based column of the first character of <paramref name="code"/>.</param>
    public PolicyExpressionSource(string path, string code, ExpressionResultType resultType = ExpressionResultType.Object, int line = 1, int column = 1)
        : this(path, code, resultType, i => Walk(code, line, column, i))
    {
    }

    internal PolicyExpressionSource(string path, string code, ExpressionResultType resultType, Func<int, (int Line, int Column)> locate)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(code);
        if (!PolicyDocument.IsExpression(code))
        {
            throw new ArgumentException($"'{code}' is not a policy expression: expected @(...) or @{{...}}.", nameof(code));
        }

        Path = path;
        Code = code;
        ResultType = resultType;
        _locate = locate;
        (Line, Column) = Locate(code.Length - code.TrimStart().Length);
    }

    public string Path { get; }

    public string Code { get; }

    public ExpressionResultType ResultType { get; }

    /// <summary>Line of the expression's <c>@</c>.</summary>
    public int Line { get; }

    /// <summary>Column of the expression's <c>@</c>.</summary>
    public int Column { get; }

    /// <summary>What the expression belongs to (the <see cref="PolicyAttribute"/> or <see cref="PolicyElement"/>), to find it after compiling.</summary>
    public object? Owner { get; init; }

    /// <summary>True for <c>@{ statements }</c>, false for <c>@(expression)</c>.</summary>
    internal bool IsBlock => Code.TrimStart()[1] == '{';

    /// <summary>Offset in <see cref="Code"/> of the C# code between the brackets.</summary>
    internal int InnerStart => Code.Length - Code.TrimStart().Length + 2;

    /// <summary>The C# code between the brackets.</summary>
    internal string Inner => Code.Trim()[2..^1];

    /// <summary>Position in the policy document of <see cref="Code"/>[<paramref name="index"/>].</summary>
    internal (int Line, int Column) Locate(int index) => _locate(Math.Clamp(index, 0, Math.Max(0, Code.Length - 1)));

    /// <summary>A short form of the code for messages.</summary>
    internal string Excerpt
    {
        get
        {
            var flat = string.Join(' ', Code.Trim().Split((char[])['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()));
            return flat.Length <= 60 ? flat : flat[..57] + "...";
        }
    }

    /// <summary>
    /// Every expression of <paramref name="document"/> (attribute values and element text), in document order, with its
    /// path (as <see cref="PolicyValidator"/> names it), its result type and its position. Attributes that do not take
    /// expressions are left out (the validator reports them).
    /// </summary>
    public static IReadOnlyList<PolicyExpressionSource> FromDocument(PolicyDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var result = new List<PolicyExpressionSource>();
        var map = new XmlSourceMap(document.Source, document.Map);
        foreach (var section in document.Sections)
        {
            Collect(section.Elements, "policies/" + section.Name, policyLevel: true, parentSpec: null, map, result);
        }

        return result;
    }

    private static void Collect(IReadOnlyList<PolicyElement> elements, string parentPath, bool policyLevel, PolicyElementSpec? parentSpec, XmlSourceMap map, List<PolicyExpressionSource> result)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var el in elements)
        {
            var index = seen.GetValueOrDefault(el.Name) + 1;
            seen[el.Name] = index;
            var path = $"{parentPath}/{el.Name}[{index}]";
            var spec = policyLevel
                ? PolicySchema.Policies.GetValueOrDefault(el.Name)
                : parentSpec?.FindChild(el.Name);
            foreach (var attr in el.Attributes)
            {
                var attrSpec = spec?.FindAttribute(attr.Name);
                if (!attr.IsExpression || attrSpec is { AllowsExpressions: false })
                {
                    continue;
                }

                var locate = map.ForAttribute(attr);
                result.Add(new PolicyExpressionSource(path + "/@" + attr.Name, attr.Value, ResultTypeOf(el.Name, attr.Name, attrSpec), locate) { Owner = attr });
            }

            if (el.TextIsExpression && el.Text is not null)
            {
                var type = el.Name == "set-body" ? ExpressionResultType.Object : ExpressionResultType.String;
                result.Add(new PolicyExpressionSource(path, el.Text, type, map.ForText(el)) { Owner = el });
            }

            Collect(el.Children, path, policyLevel: spec?.PolicyChildren ?? false, spec, map, result);
        }
    }

    private static ExpressionResultType ResultTypeOf(string element, string attribute, PolicyAttributeSpec? spec)
    {
        if (attribute is "condition" or "increment-condition" || spec?.Kind == PolicyValueKind.Boolean)
        {
            return ExpressionResultType.Boolean;
        }

        if (spec?.Kind == PolicyValueKind.NonNegativeInteger)
        {
            return ExpressionResultType.Integer;
        }

        return (element is "set-variable" or "cache-store-value" && attribute == "value") || (element == "authentication-certificate" && attribute == "body")
            ? ExpressionResultType.Object
            : ExpressionResultType.String;
    }

    private static (int Line, int Column) Walk(string code, int line, int column, int index)
    {
        for (var i = 0; i < index && i < code.Length; i++)
        {
            if (code[i] == '\n' || (code[i] == '\r' && (i + 1 >= code.Length || code[i + 1] != '\n')))
            {
                line++;
                column = 1;
            }
            else if (code[i] != '\r')
            {
                column++;
            }
        }

        return (line, column);
    }
}
