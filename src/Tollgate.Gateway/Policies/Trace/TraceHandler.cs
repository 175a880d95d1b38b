using System.Text;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.Trace;

/// <summary><c>trace</c>: a message (and metadata) to the gateway's log at the given severity.</summary>
internal sealed class TraceHandler(PolicyLocation location, string source, PolicyValue message, (string Name, PolicyValue Value)[] metadata) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var text = message.GetString(context) ?? "";
        if (metadata.Length > 0)
        {
            var sb = new StringBuilder(text);
            foreach (var (name, value) in metadata)
            {
                sb.Append(' ').Append(name).Append('=').Append(value.GetString(context));
            }

            text = sb.ToString();
        }

        context.Runtime.Trace(context, source, text);
        return Continue;
    }
}
