using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.SetVariable;

/// <summary><c>set-variable</c>: a value (literal string or expression value as is) into <c>context.Variables</c>.</summary>
internal sealed class SetVariableHandler(PolicyLocation location, string name, PolicyValue value) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        context.SetVariable(name, value.GetObject(context)!);
        return Continue;
    }
}
