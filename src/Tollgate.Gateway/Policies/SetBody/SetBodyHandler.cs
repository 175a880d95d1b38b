using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.SetBody;

/// <summary><c>set-body</c>: replaces the request or response body with a literal or an expression's value.</summary>
internal sealed class SetBodyHandler(PolicyLocation location, PolicyValue value, MessageTarget target) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        Bodies.Replace(context, target, Bodies.ToBytes(value.GetObject(context)));
        return Continue;
    }
}
