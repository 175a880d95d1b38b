using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.SetMethod;

/// <summary><c>set-method</c>: the HTTP method sent to the backend.</summary>
internal sealed class SetMethodHandler(PolicyLocation location, PolicyValue method) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        if (method.GetString(context) is { Length: > 0 } m)
        {
            context.Http.Request.Method = m.Trim().ToUpperInvariant();
        }

        return Continue;
    }
}
