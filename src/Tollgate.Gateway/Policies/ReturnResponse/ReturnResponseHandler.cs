using Tollgate.Core.Policies.Expressions;
using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.ReturnResponse;

/// <summary><c>return-response</c>: a response of the gateway's own (status, headers, body); the rest of the pipeline is skipped.</summary>
internal sealed class ReturnResponseHandler(PolicyLocation location, PolicyHandler[] children, string? responseVariable = null) : PolicyHandler(location)
{
    public override async ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        if (responseVariable is null)
        {
            context.StartResponse(200);
        }
        else
        {
            // The response held in the variable (send-request's) is the starting point; the children may change it.
            if (!context.Variables.TryGetValue(responseVariable, out var value) || value is not IResponse held)
            {
                context.Fail(PolicyFailure.From(Location, "ResponseVariableNotFound",
                    $"Variable '{responseVariable}' does not hold a response (send-request stores one there)."));
                context.SetErrorResponse(500, "Internal server error");
                return PolicyStep.Error;
            }

            context.StartResponse(held.StatusCode, held.StatusReason);
            foreach (var (name, values) in held.Headers)
            {
                if (!HopByHopHeaders.IsHopByHop(name))
                {
                    context.Http.Response.Headers[name] = values;
                }
            }

            context.SetResponseBody(held.Body?.As<byte[]>(preserveContent: true) ?? []);
        }

        var step = await PolicyExecutor.RunSectionAsync(children, context);
        return step == PolicyStep.Error ? step : PolicyStep.Return;
    }
}
