using System.Collections.Immutable;
using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using Newtonsoft.Json.Linq;

namespace Tollgate.Core.Policies.Expressions;

/// <summary>
/// Compiles APIM policy expressions (<c>@(expression)</c>, <c>@{ statements }</c>) with Roslyn into delegates, when a
/// document is saved or a snapshot is built, never per request.
/// </summary>
/// <remarks>
/// <para>All the expressions given to one <see cref="Compile(IReadOnlyList{PolicyExpressionSource})"/> become one
/// assembly, loaded into its own collectible <see cref="AssemblyLoadContext"/>; disposing the result unloads it. Each
/// expression is a static method <c>(IProxyContext context) → object</c> (<c>bool</c> for
/// <see cref="ExpressionResultType.Boolean"/>) in its own syntax tree, so a syntax error in one leaves the others
/// checked, and a brace cannot escape its method (the tree's shape is verified).</para>
/// <para>The language is C# 7.3 (APIM: "C# 7"). Namespaces imported for the expressions: System, System.Collections.Generic,
/// System.IO (StringReader, StringWriter), System.Linq, System.Net, System.Security.Cryptography(.X509Certificates), System.Text, System.Text.RegularExpressions,
/// System.Xml.Linq, Newtonsoft.Json, Newtonsoft.Json.Linq and Tollgate's context types, and <c>XmlNodeType</c>, <c>XmlReader</c>, <c>XmlDocument</c>, <c>XmlNode</c>, <c>XmlElement</c>, <c>XmlAttribute</c> and <c>XmlNodeList</c> (not System.Xml,
/// whose <c>Formatting</c> would clash with Newtonsoft's). Types and members are limited by
/// <see cref="ExpressionAllowList"/>; loops are bounded by <see cref="ExpressionLimits"/> (see there).</para>
/// <para>The first compilation in a process takes about a second (Roslyn warming up): call <see cref="WarmUpAsync"/> at
/// start-up. Later ones take milliseconds.</para>
/// </remarks>
public sealed class PolicyExpressionCompiler
{
    private const string ClassName = "__PolicyExpressions";

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.CSharp7_3, DocumentationMode.None);

    /// <summary>
    /// The options of the trees compiled together: an expression is parsed as C# 7.3 (APIM's language: newer syntax is
    /// refused by the parser), then compiled beside <see cref="GlobalUsings"/>, which needs C# 10 (one compilation
    /// has one language version).
    /// </summary>
    private static readonly CSharpParseOptions CompileOptions = new(LanguageVersion.CSharp10, DocumentationMode.None);

    /// <summary>
    /// The namespaces every expression sees, as global usings in one tree of each compilation: per expression tree they
    /// were bound once per tree, most of a cold start's compile time with thousands of expressions.
    /// </summary>
    private static readonly SyntaxTree GlobalUsings = CSharpSyntaxTree.ParseText(
        "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; global using System.Net; "
        + "global using System.Security.Cryptography; global using System.Security.Cryptography.X509Certificates; global using System.Text; "
        + "global using System.Text.RegularExpressions; global using System.Xml.Linq; global using Newtonsoft.Json; "
        + "global using Newtonsoft.Json.Linq; global using Tollgate.Core.Policies.Expressions; global using Tollgate.Core.Policies.Expressions.Apim; "
        + "global using XmlNodeType = System.Xml.XmlNodeType; global using XmlReader = System.Xml.XmlReader; "
        + "global using XmlDocument = System.Xml.XmlDocument; global using XmlNode = System.Xml.XmlNode; global using XmlElement = System.Xml.XmlElement; "
        + "global using XmlAttribute = System.Xml.XmlAttribute; global using XmlNodeList = System.Xml.XmlNodeList;\n",
        CompileOptions,
        path: "GlobalUsings.cs");

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences);

    /// <summary>From this many expressions on, Roslyn binds and emits a compilation's methods on several threads.</summary>
    private const int ConcurrentBuildThreshold = 64;

    private readonly Lazy<string> _fingerprint;

    public PolicyExpressionCompiler(ExpressionLimits? limits = null)
    {
        Limits = limits ?? ExpressionLimits.Default;
        _fingerprint = new Lazy<string>(() => Fingerprint(Limits));
    }

    /// <summary>A compiler with <see cref="ExpressionLimits.Default"/>.</summary>
    public static PolicyExpressionCompiler Default { get; } = new();

    /// <summary>The limits every expression compiled here runs under.</summary>
    public ExpressionLimits Limits { get; }

    /// <summary>Compiles one throw-away expression so that Roslyn is warm before the first real document; run it at start-up.</summary>
    public static Task WarmUpAsync(CancellationToken cancellationToken = default) => Task.Run(WarmUp, cancellationToken);

    /// <summary>Synchronous <see cref="WarmUpAsync"/>.</summary>
    public static void WarmUp()
    {
        using var warm = Default.Compile([new PolicyExpressionSource("warm-up", "@(context.Variables.Count > 0 && Regex.IsMatch(context.Request.Method, \"^G\"))", ExpressionResultType.Boolean)]);
    }

    /// <summary>Checks every expression of <paramref name="document"/> without loading anything; returns every error (empty when all compile).</summary>
    public IReadOnlyList<PolicyError> Check(PolicyDocument document) =>
        Check(PolicyExpressionSource.FromDocument(document)).Select(e => e with { Message = document.Redact(e.Message) }).ToList();

    /// <summary>Checks <paramref name="sources"/> without loading anything; returns every error with its line and column.</summary>
    public IReadOnlyList<PolicyError> Check(IReadOnlyList<PolicyExpressionSource> sources) => Build(sources, emit: false).Errors;

    /// <summary>Compiles every expression of the documents into one assembly. Throws <see cref="PolicyExpressionCompilationException"/> when any fails.</summary>
    public CompiledPolicyExpressions Compile(IEnumerable<PolicyDocument> documents) =>
        Compile(documents.SelectMany(PolicyExpressionSource.FromDocument).ToArray());

    /// <summary>Compiles <paramref name="sources"/> into one assembly. Throws <see cref="PolicyExpressionCompilationException"/> when any fails.</summary>
    public CompiledPolicyExpressions Compile(IReadOnlyList<PolicyExpressionSource> sources) => Compile(sources, null);

    /// <summary>
    /// <see cref="Compile(IReadOnlyList{PolicyExpressionSource})"/>, handing the assembly's image to
    /// <paramref name="image"/> before it is loaded: given the same sources in the same order,
    /// <see cref="Load"/> turns it into the same expressions without compiling (a gateway keeps images on disk across
    /// restarts). Nothing is handed over when there is nothing to compile.
    /// </summary>
    public CompiledPolicyExpressions Compile(IReadOnlyList<PolicyExpressionSource> sources, Action<ReadOnlyMemory<byte>>? image)
    {
        var (errors, compiled) = Build(sources, emit: true, image);
        return errors.Count > 0 ? throw new PolicyExpressionCompilationException(errors) : compiled!;
    }

    /// <summary>
    /// What an image made by this compiler (same Tollgate and Roslyn builds, same <see cref="Limits"/>) depends on
    /// besides its sources: an image saved under another fingerprint must not be loaded.
    /// </summary>
    public string ImageFingerprint => _fingerprint.Value;

    /// <summary>
    /// Loads an image that <see cref="Compile(IReadOnlyList{PolicyExpressionSource}, Action{ReadOnlyMemory{byte}}?)"/>
    /// made from expressions whose sources are <paramref name="sources"/>, by their position in that compilation (null:
    /// a source not needed now, its method is left unused). Returns null when the image is not one: unreadable, or a
    /// method missing or of another result type.
    /// </summary>
    public CompiledPolicyExpressions? Load(byte[] image, IReadOnlyList<PolicyExpressionSource?> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var context = new ExpressionLoadContext();
        try
        {
            using var stream = new MemoryStream(image, writable: false);
            var type = context.LoadFromStream(stream).GetType(ClassName, throwOnError: false);
            var expressions = new List<CompiledExpression>(sources.Count);
            for (var i = 0; type is not null && i < sources.Count; i++)
            {
                if (sources[i] is not { } source)
                {
                    continue;
                }

                var method = type.GetMethod(Unit.MethodNameOf(i), BindingFlags.Public | BindingFlags.Static, [typeof(IProxyContext)]);
                if (method?.ReturnType != (source.ResultType == ExpressionResultType.Boolean ? typeof(bool) : typeof(object)))
                {
                    type = null;
                    break;
                }

                expressions.Add(new CompiledExpression(source, method, Limits));
            }

            if (type is not null)
            {
                return new CompiledPolicyExpressions(expressions, context, Limits);
            }
        }
        catch (BadImageFormatException)
        {
        }
        catch (FileLoadException)
        {
        }

        context.Unload();
        return null;
    }

    private (IReadOnlyList<PolicyError> Errors, CompiledPolicyExpressions? Compiled) Build(IReadOnlyList<PolicyExpressionSource> sources, bool emit, Action<ReadOnlyMemory<byte>>? image = null)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var errors = new List<PolicyError>();
        var units = new List<Unit>();
        for (var i = 0; i < sources.Count; i++)
        {
            var unit = Unit.Create(sources[i], i);
            var syntax = unit.Tree.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (syntax.Count > 0)
            {
                errors.AddRange(syntax.Select(unit.ToError));
            }
            else if (unit.ShapeError() is { } shape)
            {
                errors.Add(unit.Error(unit.Source.InnerStart - 2, shape));
            }
            else
            {
                unit.ForCompilation();
                units.Add(unit);
            }
        }

        if (units.Count == 0)
        {
            return (errors, errors.Count == 0 ? new CompiledPolicyExpressions([], null, Limits) : null);
        }

        var compilation = CSharpCompilation.Create(
            "Tollgate.PolicyExpressions." + Guid.NewGuid().ToString("N"),
            units.Select(u => u.Tree).Prepend(GlobalUsings),
            References.Value,
            new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                optimizationLevel: OptimizationLevel.Release,
                allowUnsafe: false,
                metadataImportOptions: MetadataImportOptions.Public,
                nullableContextOptions: NullableContextOptions.Disable,
                // A few expressions (one write) bind and emit faster on this thread than handed out to the pool and
                // waited for; a cold start's chunks are compiled side by side already.
                concurrentBuild: units.Count >= ConcurrentBuildThreshold));
        var byTree = units.ToDictionary(u => u.Tree);
        foreach (var d in compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error))
        {
            if (d.Location.SourceTree is { } tree && byTree.TryGetValue(tree, out var unit))
            {
                errors.Add(unit.ToError(d));
            }
            else
            {
                throw new InvalidOperationException($"Policy expressions could not be compiled: {d}");
            }
        }

        foreach (var unit in units)
        {
            var model = compilation.GetSemanticModel(unit.Tree);
            foreach (var (position, message) in ExpressionChecker.Check(model, unit.Tree.GetRoot(), unit.Segment))
            {
                errors.Add(unit.Error(unit.CodeIndex(position), message));
            }
        }

        if (errors.Count > 0 || !emit)
        {
            return (errors, null);
        }

        return ([], Emit(compilation, units, image));
    }

    private CompiledPolicyExpressions Emit(CSharpCompilation compilation, List<Unit> units, Action<ReadOnlyMemory<byte>>? image)
    {
        // Every tree is instrumented with the semantic model of the checked compilation (a tree binds only to itself and
        // the references: each holds one method of its own), then the instrumented trees are compiled in one go.
        // Replacing the trees one by one would rebind the partial class's merged declaration on every replacement,
        // which grows with the square of the number of expressions (seconds for a cold start with thousands).
        var instrumented = units
            .Select(unit => unit.Tree.WithRootAndOptions(MarkClockFree(new ExpressionInstrumenter(compilation.GetSemanticModel(unit.Tree), Limits).Visit(unit.Tree.GetRoot()), unit.MethodName), CompileOptions))
            .ToArray();
        compilation = compilation.RemoveAllSyntaxTrees().AddSyntaxTrees(instrumented.Prepend(GlobalUsings));

        using var pe = new MemoryStream();
        var result = compilation.Emit(pe);
        if (!result.Success)
        {
            throw new InvalidOperationException("Instrumented policy expressions failed to compile: "
                + string.Join("; ", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        }

        image?.Invoke(pe.GetBuffer().AsMemory(0, (int)pe.Length));
        pe.Position = 0;
        var context = new ExpressionLoadContext();
        var type = context.LoadFromStream(pe).GetType(ClassName, throwOnError: true)!;
        var expressions = units.Select(u => new CompiledExpression(u.Source, type.GetMethod(u.MethodName, BindingFlags.Public | BindingFlags.Static)!, Limits)).ToArray();
        return new CompiledPolicyExpressions(expressions, context, Limits);
    }

    /// <summary>
    /// Puts <see cref="ExpressionRuntime.ClockFreeAttribute"/> on the expression's method when every mention of the
    /// runtime in its instrumented code is a call of a guard that never reads the deadline (most expressions: a
    /// property, a comparison, a concatenation), so evaluating it skips the clock reading that sets the deadline.
    /// </summary>
    private static SyntaxNode MarkClockFree(SyntaxNode root, string methodName)
    {
        var mentions = root.DescendantTokens().Count(t => t.Text == nameof(ExpressionRuntime));
        var clockFree = root.DescendantNodes().OfType<MemberAccessExpressionSyntax>().Count(m =>
            m.Expression.ToString() == "global::Tollgate.Core.Policies.Expressions." + nameof(ExpressionRuntime)
            && ExpressionRuntime.ClockFreeGuards.Contains(m.Name.Identifier.Text));
        var method = root.DescendantNodes().OfType<MethodDeclarationSyntax>().FirstOrDefault(m => m.Identifier.Text == methodName);
        if (mentions != clockFree || method is null)
        {
            return root;
        }

        return root.ReplaceNode(method, method.AddAttributeLists(SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(
            SyntaxFactory.Attribute(SyntaxFactory.ParseName("global::Tollgate.Core.Policies.Expressions.ExpressionRuntime.ClockFree"))))));
    }

    /// <summary>The builds of this assembly and Roslyn (module version ids) and the limits the instrumentation bakes in.</summary>
    private static string Fingerprint(ExpressionLimits limits)
    {
        var text = string.Join('\n',
            typeof(PolicyExpressionCompiler).Assembly.ManifestModule.ModuleVersionId,
            typeof(CSharpCompilation).Assembly.ManifestModule.ModuleVersionId,
            typeof(Compilation).Assembly.ManifestModule.ModuleVersionId,
            limits.MaxSteps, limits.MaxStringLength, limits.MaxElements, limits.MaxDepth, limits.MaxDuration.Ticks);
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        // The framework's own assemblies, so that a forbidden type (System.Diagnostics.Process) binds and is refused by name
        // rather than reported as unknown; what may be used is decided by the allow-list, not by what is referenced.
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string tpa)
        {
            foreach (var path in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                var name = Path.GetFileNameWithoutExtension(path);
                if (name.StartsWith("System.", StringComparison.Ordinal) || name is "System" or "mscorlib" or "netstandard")
                {
                    paths.Add(path);
                }
            }
        }

        foreach (var assembly in new[] { typeof(object).Assembly, typeof(JObject).Assembly, typeof(IProxyContext).Assembly })
        {
            if (string.IsNullOrEmpty(assembly.Location))
            {
                throw new InvalidOperationException($"Policy expressions need {assembly.GetName().Name} as a file; single-file publishing is not supported.");
            }

            paths.Add(assembly.Location);
        }

        return [.. paths.Select(p => MetadataReference.CreateFromFile(p))];
    }

    /// <summary>One expression as a syntax tree of its own: the partial class, one method around the code (the usings are <see cref="GlobalUsings"/>).</summary>
    private sealed class Unit
    {
        private int _open;
        private int _close;
        private int _segmentStart;

        public required PolicyExpressionSource Source { get; init; }

        public required string MethodName { get; init; }

        public SyntaxTree Tree { get; private set; } = null!;

        public TextSpan Segment => new(_segmentStart, Source.Inner.Length);

        /// <summary>The name of the method of the expression at <paramref name="index"/> in its compilation.</summary>
        public static string MethodNameOf(int index) => "E" + index.ToString(CultureInfo.InvariantCulture);

        public static Unit Create(PolicyExpressionSource source, int index)
        {
            var unit = new Unit { Source = source, MethodName = MethodNameOf(index) };
            var returnType = source.ResultType == ExpressionResultType.Boolean ? "bool" : "object";
            var sb = new StringBuilder();
            sb.Append("public static partial class ").Append(ClassName).Append("\n{\npublic static ").Append(returnType).Append(' ')
                .Append(unit.MethodName).Append("(global::Tollgate.Core.Policies.Expressions.IProxyContext context)\n");
            unit._open = sb.Length;
            sb.Append("{\n");
            if (source.IsBlock)
            {
                unit._segmentStart = sb.Length;
                sb.Append(source.Inner).Append('\n');
            }
            else
            {
                // No parentheses around the code: a conversion error then points at the code, not at a bracket of ours.
                sb.Append("return\n");
                unit._segmentStart = sb.Length;
                sb.Append(source.Inner).Append("\n;\n");
            }

            unit._close = sb.Length;
            sb.Append("}\n}\n");
            // Every tree has a path of its own: when two trees share one (all "" by default), Roslyn's emit walks every
            // namespace of every reference looking for clashing file-local types, most of a small compilation's emit.
            unit.Tree = CSharpSyntaxTree.ParseText(sb.ToString(), ParseOptions, path: unit.MethodName + ".cs");
            return unit;
        }

        /// <summary>The checked tree with the options it is compiled with (same text, same root).</summary>
        public void ForCompilation() => Tree = Tree.WithRootAndOptions(Tree.GetRoot(), CompileOptions);

        /// <summary>Null when the tree is exactly the class and method written around the code; else what is wrong.</summary>
        public string? ShapeError()
        {
            var root = (CompilationUnitSyntax)Tree.GetRoot();
            if (root.ContainsDirectives)
            {
                return "Preprocessor directives are not allowed in policy expressions.";
            }

            var body = root.Members is [ClassDeclarationSyntax { Members: [MethodDeclarationSyntax { Body: { } b } method] } c]
                && c.Identifier.Text == ClassName && method.Identifier.Text == MethodName
                && b.OpenBraceToken.SpanStart == _open && b.CloseBraceToken.SpanStart == _close
                    ? b
                    : null;
            if (body is null)
            {
                return Source.IsBlock
                    ? "The braces of the statements do not balance: @{ ... } must be one block of statements."
                    : "@( ... ) must hold one C# expression.";
            }

            if (!Source.IsBlock)
            {
                var single = body.Statements is [ReturnStatementSyntax { Expression: { } e } r]
                    && e.SpanStart >= _segmentStart && r.SemicolonToken.SpanStart == _segmentStart + Source.Inner.Length + 1;
                if (!single)
                {
                    return "@( ... ) must hold one C# expression; use @{ ... } for statements.";
                }
            }

            return null;
        }

        /// <summary>Index in <see cref="PolicyExpressionSource.Code"/> of a position in the tree (the <c>@</c> when outside the code).</summary>
        public int CodeIndex(int position) =>
            position >= _segmentStart && position <= _segmentStart + Source.Inner.Length
                ? Source.InnerStart + (position - _segmentStart)
                : Source.InnerStart - 2;

        public PolicyError ToError(Diagnostic d)
        {
            var message = d.Id == "CS0161"
                ? "Not all code paths return a value: every path of @{ ... } must end with a return statement."
                : d.GetMessage(CultureInfo.InvariantCulture);
            return Error(CodeIndex(d.Location.SourceSpan.Start), $"{d.Id}: {message}");
        }

        public PolicyError Error(int codeIndex, string message)
        {
            var (line, column) = Source.Locate(codeIndex);
            return new PolicyError(Source.Path, line, column, $"Expression '{Source.Excerpt}': {message}");
        }
    }

    private sealed class ExpressionLoadContext() : AssemblyLoadContext("Tollgate.PolicyExpressions", isCollectible: true)
    {
        // Everything the expressions reference (Tollgate.Core, Newtonsoft.Json, the framework) comes from the default context.
        protected override Assembly? Load(AssemblyName assemblyName) => null;
    }
}

/// <summary>Thrown by <see cref="PolicyExpressionCompiler.Compile(IReadOnlyList{PolicyExpressionSource})"/> when expressions do not compile or are refused.</summary>
public sealed class PolicyExpressionCompilationException(IReadOnlyList<PolicyError> errors)
    : Exception("Policy expressions do not compile:" + Environment.NewLine + string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<PolicyError> Errors { get; } = errors;
}
