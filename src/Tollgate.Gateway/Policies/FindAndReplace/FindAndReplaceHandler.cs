using System.Text;
using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.FindAndReplace;

/// <summary><c>find-and-replace</c>: replaces every occurrence of a string in the request or response body.</summary>
internal sealed class FindAndReplaceHandler(PolicyLocation location, PolicyValue from, PolicyValue to, MessageTarget target) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var body = Bodies.Current(context, target);
        var find = from.GetString(context);
        if (body is null || string.IsNullOrEmpty(find))
        {
            return Continue;
        }

        var text = body.As<string>(preserveContent: true);
        Bodies.Replace(context, target, Encoding.UTF8.GetBytes(text.Replace(find, to.GetString(context) ?? "", StringComparison.Ordinal)));
        return Continue;
    }
}
