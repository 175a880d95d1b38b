using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Tollgate.Core.Policies.Expressions;

/// <summary>
/// How much one evaluation of one expression may do before it is stopped with <see cref="ExpressionBudgetExceededException"/>.
/// </summary>
/// <remarks>
/// <para>The compiler puts a budget check at the top of every loop body (<c>while</c>, <c>do</c>, <c>for</c>, <c>foreach</c>),
/// before every <c>goto</c>, at the start of every lambda and anonymous method body and around every query clause, and
/// makes every element pulled from a lazy <c>System.Linq.Enumerable</c> result (<c>Range</c>, <c>Repeat</c>,
/// <c>SelectMany</c>, <c>Concat</c>, ...) pass one. Each check counts one step; the clock is read every 1,024 steps.
/// Local functions (the only way an expression can recurse: a lambda can only be passed straight to a method, never
/// stored or called by the expression itself) pass a check on every call and may not be nested deeper than
/// <see cref="MaxCallDepth"/> calls.</para>
/// <para>Sizes: every string an expression computes (concatenation, interpolation, a library call's result) is checked
/// against <see cref="MaxStringLength"/>, every <c>StringBuilder</c> it creates cannot grow past it, and sizes passed to
/// <c>new string(c, n)</c>, <c>PadLeft</c>/<c>PadRight</c>, array creation and collection capacities are checked before
/// anything is allocated. A collection that already holds <see cref="MaxElements"/> refuses more (<c>Add</c>,
/// <c>AddRange</c>, <c>Insert</c>, an indexer setting a new key...). JSON and XML trees, tuples, anonymous objects and
/// exceptions handed to a library call are walked (without recursion; one step per node) and refused deeper than
/// <see cref="MaxDepth"/> or larger than <see cref="MaxElements"/> nodes, so the recursive writers, cloners and
/// comparers of Newtonsoft.Json and System.Xml.Linq never see a tree deep enough to overflow the stack. Regular
/// expressions run with a match timeout no longer than the time left in the budget.</para>
/// <para>What the budget does not see: time spent inside one library call on bounded input (sorting a million
/// elements, hashing 4 MB), and memory that one library call allocates from bounded inputs before its result is checked
/// (<c>string.Join</c> of a long separator over many elements, <c>Replace</c> with a longer value, a format alignment):
/// such a call can still allocate up to the runtime's own limits (about 2 GB) once before it fails.</para>
/// </remarks>
public sealed record ExpressionLimits
{
    /// <summary>Defaults: one million steps and one second.</summary>
    public static ExpressionLimits Default { get; } = new();

    /// <summary>Budget checks (loop iterations, jumps, lambda calls) one evaluation may pass. Default 1,000,000.</summary>
    public long MaxSteps { get; init; } = 1_000_000;

    /// <summary>Wall time one evaluation may take, read at budget checks. Default one second.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The clock for <see cref="MaxDuration"/>. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Characters in any one string or <c>StringBuilder</c> an expression builds. Default 4,194,304 (4 Mi characters).</summary>
    public int MaxStringLength { get; init; } = 4 * 1024 * 1024;

    /// <summary>Elements of a collection, array or JSON/XML tree an expression builds or hands to a library call. Default 1,000,000.</summary>
    public int MaxElements { get; init; } = 1_000_000;

    /// <summary>Nesting of JSON/XML trees, tuples, anonymous objects and inner exceptions handed to a library call, and of XML parsed by the expression. Default 64.</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Calls of the expression's local functions in progress at once (recursion depth). Default 100.</summary>
    public int MaxCallDepth { get; init; } = 100;

    /// <summary>
    /// Characters of an XPath expression handed to <c>XmlNode.SelectNodes</c>/<c>SelectSingleNode</c>, checked before .NET's
    /// parser (recursive over the text) sees it. Default 1,024.
    /// </summary>
    public int MaxXPathLength { get; init; } = 1024;

    /// <summary>Brackets, <c>(</c> and <c>[</c>, open at once in such an XPath expression (outside its string literals). Default 32.</summary>
    public int MaxXPathNesting { get; init; } = 32;
}

/// <summary>
/// Budget checks called by compiled expressions. Public only because the generated assembly calls it; policy expressions
/// cannot name it (it is not on the allow-list).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class ExpressionRuntime
{
    private const int ClockEvery = 1024;

    // One evaluation runs on one thread from start to end (expressions cannot await), so the budget is thread-static.
    [ThreadStatic]
    private static long _remaining;

    [ThreadStatic]
    private static long _deadline;

    [ThreadStatic]
    private static TimeProvider? _clock;

    [ThreadStatic]
    private static string? _exceeded;

    [ThreadStatic]
    private static ExpressionLimits? _limits;

    [ThreadStatic]
    private static int _callDepth;

    /// <summary>Counts one step; throws when the budget of the running evaluation is spent.</summary>
    public static void Tick()
    {
        // Once spent, every later check throws again, so an expression that catches the exception cannot keep looping.
        if (--_remaining < 0 || _exceeded is not null)
        {
            Exceed(_exceeded ?? "steps");
        }

        if (_remaining % ClockEvery == 0 && _clock is { } clock && clock.GetTimestamp() > _deadline)
        {
            Exceed("time");
        }
    }

    /// <summary>Counts one step and passes <paramref name="value"/> through (query clauses).</summary>
    public static T Tick<T>(T value)
    {
        Tick();
        return value;
    }

    /// <summary>A local function of the expression starts: one step, and one more call in progress (see <see cref="ExpressionLimits.MaxCallDepth"/>).</summary>
    public static void EnterCall()
    {
        Tick();
        if (++_callDepth > (_limits ?? ExpressionLimits.Default).MaxCallDepth)
        {
            _callDepth--;
            Exceed("calls");
        }
    }

    /// <summary>A local function of the expression returns (or throws).</summary>
    public static void ExitCall() => _callDepth--;

    /// <param name="limits">The evaluation's budget.</param>
    /// <param name="readsClock">
    /// False for an expression compiled without any guard that can read the deadline (<see cref="ClockFreeAttribute"/>):
    /// the clock is then not read to set one.
    /// </param>
    internal static Scope Enter(ExpressionLimits limits, bool readsClock = true)
    {
        var saved = new Scope(_remaining, _deadline, _clock, _exceeded, _limits, _callDepth);
        _callDepth = 0;
        _remaining = limits.MaxSteps;
        _limits = limits;
        var clock = limits.TimeProvider;
        if (readsClock)
        {
            var now = clock.GetTimestamp();
            var ticks = limits.MaxDuration.TotalSeconds * clock.TimestampFrequency;
            _deadline = ticks >= long.MaxValue - now ? long.MaxValue : now + (long)ticks;
        }
        else
        {
            _deadline = long.MaxValue;
        }

        _clock = clock;
        _exceeded = null;
        return saved;
    }

    /// <summary>Restores the state saved by <see cref="Enter"/>; returns why the budget was exceeded, or null.</summary>
    internal static string? Exit(in Scope saved)
    {
        var exceeded = _exceeded;
        (_remaining, _deadline, _clock, _exceeded, _limits, _callDepth) = (saved.Remaining, saved.Deadline, saved.Clock, saved.Exceeded, saved.Limits, saved.CallDepth);
        return exceeded;
    }

    /// <summary>
    /// Put by the compiler on an expression's method when its instrumented code calls no guard but
    /// <see cref="ClockFreeGuards"/> (no loop, jump, lambda, local function, query, lazy sequence, regular expression
    /// or tree walk): nothing in it can read the time budget's deadline, so evaluating it does not read the clock.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class ClockFreeAttribute : Attribute;

    /// <summary>The guards that never read the deadline (sizes and nesting only).</summary>
    internal static readonly IReadOnlySet<string> ClockFreeGuards = new HashSet<string>(StringComparer.Ordinal)
    {
        nameof(Str), nameof(Size), nameof(Items), nameof(Built), nameof(Parented), nameof(NewStringBuilder), nameof(NewStringWriter),
    };

    [DoesNotReturn]
    private static void Exceed(string what)
    {
        _exceeded = what;
        throw new ExpressionBudgetExceededException(what);
    }

    /// <summary>
    /// The limit behind an exception a library call threw because of a guard: a regular expression's match timeout (the
    /// time budget), a <c>StringBuilder</c> refusing to grow past its maximum capacity (the string budget); else null.
    /// </summary>
    internal static string? LimitOf(Exception e) => e switch
    {
        RegexMatchTimeoutException => "time",
        ArgumentOutOfRangeException or OutOfMemoryException when IsBoundedBuilderFull(e) => "string",
        _ => null,
    };

    /// <summary>
    /// True when a bounded <c>StringBuilder</c> refused to grow past its capacity. Its frames may be inlined into the
    /// caller once the JIT has optimized it (a <c>StringWriter.Write</c> then shows no <c>StringBuilder</c> frame), so a
    /// <c>StringWriter</c> frame with the capacity message counts too.
    /// </summary>
    private static bool IsBoundedBuilderFull(Exception e)
    {
        var frames = new System.Diagnostics.StackTrace(e).GetFrames();
        return frames.Any(f => f.GetMethod()?.DeclaringType == typeof(System.Text.StringBuilder))
            || (frames.Any(f => f.GetMethod()?.DeclaringType == typeof(StringWriter)) && e.Message.Contains("capacity", StringComparison.OrdinalIgnoreCase));
    }

    internal readonly record struct Scope(long Remaining, long Deadline, TimeProvider? Clock, string? Exceeded, ExpressionLimits? Limits, int CallDepth);
}

/// <summary>A policy expression failed while it ran (APIM's <c>ExpressionValueEvaluationFailure</c>).</summary>
public class PolicyExpressionException : Exception
{
    public PolicyExpressionException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    /// <summary>Where the expression is, e.g. <c>policies/inbound/set-header[1]/@name</c>; null when not known.</summary>
    public string? Path { get; init; }

    /// <summary>Line of the expression in its policy document (0 when unknown).</summary>
    public int Line { get; init; }

    /// <summary>Column of the expression in its policy document (0 when unknown).</summary>
    public int Column { get; init; }
}

/// <summary>A policy expression ran out of its <see cref="ExpressionLimits"/> (a loop that does not end).</summary>
public sealed class ExpressionBudgetExceededException : PolicyExpressionException
{
    public ExpressionBudgetExceededException(string what)
        : base(what switch
        {
            "time" => "The expression ran longer than its time budget and was stopped.",
            "string" => "The expression built a string longer than its budget allows and was stopped.",
            "elements" => "The expression built a collection, array or JSON/XML tree with more elements than its budget allows and was stopped.",
            "depth" => "The expression built values nested deeper than its budget allows and was stopped.",
            "calls" => "The expression's local functions called each other deeper than its budget allows and were stopped.",
            _ => "The expression ran more loop iterations than its budget allows and was stopped.",
        })
    {
        Budget = what;
    }

    /// <summary><c>steps</c>, <c>time</c>, <c>string</c> (length), <c>elements</c> (count), <c>depth</c> (nesting) or <c>calls</c> (local function recursion).</summary>
    public string Budget { get; }
}
