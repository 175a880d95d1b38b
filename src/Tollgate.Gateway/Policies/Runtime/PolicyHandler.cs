using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Expressions;

namespace Tollgate.Gateway.Policies.Runtime;

/// <summary>What a policy tells the pipeline to do next.</summary>
public enum PolicyStep
{
    /// <summary>Run the next policy.</summary>
    Continue,

    /// <summary>The response is final (return-response, mock-response): skip everything left, on-error included.</summary>
    Return,

    /// <summary>The policy failed (<see cref="PolicyContext.LastError"/> is set): skip the rest of the section and run on-error.</summary>
    Error,
}

/// <summary>Where a policy sits: APIM's <c>context.LastError</c> Scope, Section, Path and PolicyId.</summary>
/// <param name="Name">Element name, e.g. <c>rate-limit</c> (LastError.Source of the policy's own errors).</param>
/// <param name="Scope">global, product, api or operation.</param>
/// <param name="Section">inbound, backend, outbound or on-error.</param>
/// <param name="Path">Path inside the section, e.g. <c>choose[1]/when[1]/set-header[2]</c>.</param>
/// <param name="PolicyId">The policy's <c>id</c> attribute, or empty.</param>
public sealed record PolicyLocation(string Name, string Scope, string Section, string Path, string PolicyId);

/// <summary>
/// One policy of a built pipeline, immutable and shared by every request of its snapshot. Handlers hold their parsed
/// attributes and compiled expressions; nothing is parsed per request.
/// </summary>
public abstract class PolicyHandler
{
    protected PolicyHandler(PolicyLocation location) => Location = location;

    public PolicyLocation Location { get; }

    /// <summary>Runs the policy. Synchronous policies return a completed <see cref="ValueTask{TResult}"/> (no allocation).</summary>
    public abstract ValueTask<PolicyStep> ExecuteAsync(PolicyContext context);

    /// <summary>Work left for after the response (increment-condition refunds, bandwidth), queued with <see cref="PolicyContext.Defer"/>.</summary>
    public virtual ValueTask CompleteAsync(PolicyContext context, object? state) => ValueTask.CompletedTask;

    /// <summary>True when the policy (or one nested in it) forwards the request (forward-request).</summary>
    public virtual bool Forwards => false;

    protected static ValueTask<PolicyStep> Continue => ValueTask.FromResult(PolicyStep.Continue);
}

/// <summary>An attribute or element value: a literal, or a compiled expression evaluated per request.</summary>
public sealed class PolicyValue
{
    private readonly CompiledExpression? _expression;
    private readonly string? _literal;
    private readonly long _integer;
    private readonly bool _isInteger;

    private PolicyValue(string? literal, CompiledExpression? expression)
    {
        _literal = literal;
        _expression = expression;
        _isInteger = literal is not null && long.TryParse(literal.Trim(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out _integer);
    }

    public static PolicyValue Literal(string? value) => new(value, null);

    public static PolicyValue Of(string? value, CompiledExpression? expression) => new(value, expression);

    public bool IsExpression => _expression is not null;

    /// <summary>The literal text (the expression's code when it is an expression).</summary>
    public string? Text => _literal;

    public string? GetString(IProxyContext context) => _expression is null ? _literal : _expression.EvaluateString(context);

    public object? GetObject(IProxyContext context) => _expression is null ? _literal : _expression.Evaluate(context);

    public long GetInteger(IProxyContext context, long defaultValue)
    {
        if (_expression is not null)
        {
            return _expression.EvaluateInteger(context);
        }

        return _isInteger ? _integer : defaultValue;
    }

    public bool GetBoolean(IProxyContext context, bool defaultValue)
    {
        if (_expression is not null)
        {
            return _expression.EvaluateBoolean(context);
        }

        return _literal is null ? defaultValue : bool.TryParse(_literal.Trim(), out var b) ? b : defaultValue;
    }
}

/// <summary>The error handled by on-error (<c>context.LastError</c>).</summary>
public sealed record PolicyFailure(string Source, string Reason, string Message, string Scope, string Section, string Path, string PolicyId) : ILastError
{
    public static PolicyFailure From(PolicyLocation location, string reason, string message, string? source = null) =>
        new(source ?? location.Name, reason, message, location.Scope, location.Section, location.Path, location.PolicyId);
}

/// <summary>A policy document that cannot become a pipeline (the snapshot is refused and the last good one kept).</summary>
public sealed class PolicyBuildException(string message, Exception? inner = null) : Exception(message, inner);

internal static class PolicyScopeNames
{
    public static string Of(PolicyScopeLevel level) => level switch
    {
        PolicyScopeLevel.Global => "global",
        PolicyScopeLevel.Product => "product",
        PolicyScopeLevel.Api => "api",
        _ => "operation",
    };
}
