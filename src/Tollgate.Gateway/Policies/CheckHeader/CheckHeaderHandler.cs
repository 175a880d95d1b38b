using Tollgate.Gateway.Analytics;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.CheckHeader;

/// <summary><c>check-header</c>: the header must be present (and hold one of the listed values), else the given status and message.</summary>
internal sealed class CheckHeaderHandler(PolicyLocation location, string name, int statusCode, PolicyValue message, bool ignoreCase, PolicyValue[] values) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        if (!context.Http.Request.Headers.TryGetValue(name, out var actual))
        {
            return ValueTask.FromResult(Reject(context, "HeaderNotFound"));
        }

        if (values.Length == 0)
        {
            return Continue;
        }

        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        foreach (var allowed in values)
        {
            var a = allowed.GetString(context);
            foreach (var v in actual)
            {
                if (string.Equals(v, a, comparison))
                {
                    return Continue;
                }
            }
        }

        return ValueTask.FromResult(Reject(context, "HeaderValueNotAllowed"));
    }

    private PolicyStep Reject(PolicyContext context, string reason)
    {
        var text = message.GetString(context) ?? "";
        context.SetErrorResponse(statusCode, text);
        GatewayMetrics.RecordRejection(Location.Name, context.Gateway);
        context.Fail(PolicyFailure.From(Location, reason, text));
        return PolicyStep.Error;
    }
}
