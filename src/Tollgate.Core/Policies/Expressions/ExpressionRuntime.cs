using System.ComponentModel;

namespace Tollgate.Core.Policies.Expressions;

/// <summary>
/// How much one evaluation of one expression may do before it is stopped with <see cref="ExpressionBudgetExceededException"/>.
/// </summary>
/// <remarks>
/// The compiler puts a budget check at the top of every loop body (<c>while</c>, <c>do</c>, <c>for</c>, <c>foreach</c>),
/// before every <c>goto</c>, at the start of every lambda and anonymous method body and around every query clause. Each
/// check counts one step; the clock is read every 1,024 steps. Recursion cannot happen: local functions are refused and a
/// lambda can only be passed straight to a method, never stored or called by the expression itself. What the budget
/// does not see: time spent inside a single library call (a huge <c>Enumerable.Repeat(...).ToList()</c>, a regular
/// expression that backtracks) and memory.
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
}

/// <summary>
/// Budget checks called by compiled expressions. Public only because the generated assembly calls it; policy expressions
/// cannot name it (it is not on the allow-list).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ExpressionRuntime
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

    internal static Scope Enter(ExpressionLimits limits)
    {
        var saved = new Scope(_remaining, _deadline, _clock, _exceeded);
        _remaining = limits.MaxSteps;
        var clock = limits.TimeProvider;
        var now = clock.GetTimestamp();
        var ticks = limits.MaxDuration.TotalSeconds * clock.TimestampFrequency;
        _deadline = ticks >= long.MaxValue - now ? long.MaxValue : now + (long)ticks;
        _clock = clock;
        _exceeded = null;
        return saved;
    }

    /// <summary>Restores the state saved by <see cref="Enter"/>; returns why the budget was exceeded, or null.</summary>
    internal static string? Exit(in Scope saved)
    {
        var exceeded = _exceeded;
        (_remaining, _deadline, _clock, _exceeded) = (saved.Remaining, saved.Deadline, saved.Clock, saved.Exceeded);
        return exceeded;
    }

    private static void Exceed(string what)
    {
        _exceeded = what;
        throw new ExpressionBudgetExceededException(what);
    }

    internal readonly record struct Scope(long Remaining, long Deadline, TimeProvider? Clock, string? Exceeded);
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
        : base(what == "time"
            ? "The expression ran longer than its time budget and was stopped."
            : "The expression ran more loop iterations than its budget allows and was stopped.")
    {
        Budget = what;
    }

    /// <summary><c>steps</c> or <c>time</c>.</summary>
    public string Budget { get; }
}
