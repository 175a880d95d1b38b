using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using Newtonsoft.Json.Linq;

namespace Tollgate.Core.Policies.Expressions;

/// <summary>
/// The compiled expressions of one snapshot or document, in one collectible assembly. Dispose it when the snapshot is
/// replaced: the assembly is unloaded once no evaluation is running and nothing else holds its delegates.
/// </summary>
public sealed class CompiledPolicyExpressions : IDisposable
{
    private readonly Dictionary<object, CompiledExpression> _byOwner = new(ReferenceEqualityComparer.Instance);
    private AssemblyLoadContext? _context;

    internal CompiledPolicyExpressions(IReadOnlyList<CompiledExpression> expressions, AssemblyLoadContext? context, ExpressionLimits limits)
    {
        Expressions = expressions;
        _context = context;
        Limits = limits;
        LoadContextReference = new WeakReference(context);
        foreach (var e in expressions)
        {
            if (e.Owner is not null)
            {
                _byOwner.TryAdd(e.Owner, e);
            }
        }
    }

    /// <summary>Every expression, in the order given to the compiler.</summary>
    public IReadOnlyList<CompiledExpression> Expressions { get; }

    public ExpressionLimits Limits { get; }

    /// <summary>The load context, weakly: tests check that it is collected after <see cref="Dispose"/>.</summary>
    internal WeakReference LoadContextReference { get; }

    /// <summary>The expression of a <see cref="PolicyAttribute"/> or of a <see cref="PolicyElement"/>'s text, or null.</summary>
    public CompiledExpression? Find(object owner) => _byOwner.GetValueOrDefault(owner);

    /// <summary>The first expression at <paramref name="path"/>, or null.</summary>
    public CompiledExpression? Find(string path) => Expressions.FirstOrDefault(e => e.Path == path);

    /// <summary>Drops the delegates and unloads the assembly; evaluating afterwards throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        var context = Interlocked.Exchange(ref _context, null);
        if (context is null)
        {
            return;
        }

        foreach (var e in Expressions)
        {
            e.Release();
        }

        context.Unload();
    }
}

/// <summary>One compiled expression. Evaluate it any number of times, from any thread.</summary>
public sealed class CompiledExpression
{
    private readonly ExpressionLimits _limits;
    private Func<IProxyContext, object?>? _object;
    private Func<IProxyContext, bool>? _boolean;

    /// <summary>The method carries <see cref="ExpressionRuntime.ClockFreeAttribute"/>: an evaluation need not read the clock.</summary>
    private bool _clockFree;

    /// <summary>The compiled method, until <see cref="Release"/>; its delegate is made on the first evaluation (a cold
    /// start with thousands of expressions spent most of loading them in <c>CreateDelegate</c>).</summary>
    private MethodInfo? _method;

    internal CompiledExpression(PolicyExpressionSource source, MethodInfo method, ExpressionLimits limits)
    {
        Path = source.Path;
        Code = source.Code;
        ResultType = source.ResultType;
        Line = source.Line;
        Column = source.Column;
        Owner = source.Owner;
        _limits = limits;
        _method = method;
    }

    public string Path { get; }

    public string Code { get; }

    public ExpressionResultType ResultType { get; }

    public int Line { get; }

    public int Column { get; }

    /// <summary>The attribute or element the expression came from, if any.</summary>
    public object? Owner { get; }

    /// <summary>
    /// Runs the expression and converts its value to <see cref="ResultType"/> (a boxed <c>bool</c> or <c>long</c>, a string,
    /// or the value as is). Throws <see cref="ExpressionBudgetExceededException"/> when it runs out of its limits and
    /// <see cref="PolicyExpressionException"/> (with the original exception inside) when it throws or its value cannot be converted.
    /// </summary>
    public object? Evaluate(IProxyContext context) => ResultType switch
    {
        ExpressionResultType.Boolean => EvaluateBoolean(context),
        ExpressionResultType.String => EvaluateString(context),
        ExpressionResultType.Integer => EvaluateInteger(context),
        _ => Run(ObjectFunction(), context),
    };

    /// <summary>Runs the expression for a <c>bool</c> (a string "true"/"false" is accepted from an expression not compiled as Boolean).</summary>
    public bool EvaluateBoolean(IProxyContext context)
    {
        if (ResultType == ExpressionResultType.Boolean)
        {
            return Run(BooleanFunction(), context);
        }

        return Run(ObjectFunction(), context) switch
        {
            bool b => b,
            string s when bool.TryParse(s.Trim(), out var b) => b,
            var v => throw Failed($"The expression returned {Describe(v)}, not a Boolean."),
        };
    }

    /// <summary>Runs the expression for a string: null stays null, other values use the invariant culture.</summary>
    public string? EvaluateString(IProxyContext context)
    {
        object? value = ResultType == ExpressionResultType.Boolean ? Run(BooleanFunction(), context) : Run(ObjectFunction(), context);
        return value switch
        {
            null => null,
            string s => s,
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
    }

    /// <summary>Runs the expression for an integer: any integral number, or a string of digits.</summary>
    public long EvaluateInteger(IProxyContext context)
    {
        var value = ResultType == ExpressionResultType.Boolean ? Run(BooleanFunction(), context) : Run(ObjectFunction(), context);
        try
        {
            return value switch
            {
                int or long or short or sbyte or byte or ushort or uint => Convert.ToInt64(value, CultureInfo.InvariantCulture),
                ulong u => checked((long)u),
                JValue { Type: JTokenType.Integer } j => j.Value<long>(),
                string s when long.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) => n,
                _ => throw Failed($"The expression returned {Describe(value)}, not an integer."),
            };
        }
        catch (OverflowException e)
        {
            throw Failed($"The expression returned {value}, which is out of range.", e);
        }
    }

    internal void Release()
    {
        _method = null;
        _object = null;
        _boolean = null;
    }

    private Func<IProxyContext, bool>? BooleanFunction() =>
        _boolean ?? (Volatile.Read(ref _method) is { } m ? _boolean = Prepare(m).CreateDelegate<Func<IProxyContext, bool>>() : null);

    private Func<IProxyContext, object?>? ObjectFunction() =>
        _object ?? (Volatile.Read(ref _method) is { } m ? _object = Prepare(m).CreateDelegate<Func<IProxyContext, object?>>() : null);

    /// <summary>Before the first delegate: whether the compiled code can read the deadline (false until known: the clock is read).</summary>
    private MethodInfo Prepare(MethodInfo method)
    {
        _clockFree = method.IsDefined(typeof(ExpressionRuntime.ClockFreeAttribute), inherit: false);
        return method;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private T Run<T>(Func<IProxyContext, T>? function, IProxyContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (function is null)
        {
            throw new ObjectDisposedException(nameof(CompiledPolicyExpressions), "The expressions of a replaced snapshot cannot run any more.");
        }

        var saved = ExpressionRuntime.Enter(_limits, readsClock: !_clockFree);
        T result;
        try
        {
            result = function(context);
        }
        catch (Exception e)
        {
            var why = ExpressionRuntime.Exit(saved) ?? ExpressionRuntime.LimitOf(e);
            throw why is not null ? Exceeded(why) : Failed($"The expression failed: {e.Message}", e);
        }

        // An expression that caught the budget exception and returned has failed all the same.
        var exceeded = ExpressionRuntime.Exit(saved);
        return exceeded is null ? result : throw Exceeded(exceeded);
    }

    private ExpressionBudgetExceededException Exceeded(string what) =>
        new(what) { Path = Path, Line = Line, Column = Column };

    private PolicyExpressionException Failed(string message, Exception? inner = null) =>
        new($"{Path} (line {Line}, column {Column}): {message}", inner) { Path = Path, Line = Line, Column = Column };

    private static string Describe(object? value) => value is null ? "null" : $"a {value.GetType().Name} ('{value}')";
}
