using System.Globalization;
using Newtonsoft.Json.Linq;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.Handlers;

/// <summary>
/// <c>validate-status-code</c> (outbound, on-error): a response status the operation does not declare in its
/// <c>responses</c> is handled by the <c>status-code</c> child for that code, else by
/// <c>unspecified-status-code-action</c>: <c>ignore</c>; <c>detect</c> records the error; <c>prevent</c> records it and
/// answers 502 <c>{"statusCode":502,"message":"The request could not be processed due to an internal error. Contact the API owner."}</c>
/// through on-error (LastError Reason <c>Response not allowed</c>, Message the details), as APIM. Errors are appended to
/// <c>errors-variable-name</c> as a <c>JArray</c> of APIM's <c>{Name, Type, ValidationRule, Details, Action}</c>.
/// </summary>
internal sealed class ValidateStatusCodeHandler(PolicyLocation location, PolicyValue unspecifiedAction, string? errorsVariable, (int Code, PolicyValue Action)[] overrides)
    : PolicyHandler(location)
{
    internal const string PublicMessage = "The request could not be processed due to an internal error. Contact the API owner.";

    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var status = context.Http.Response.StatusCode;
        foreach (var declared in context.OperationPolicies.Definition.Responses)
        {
            if (declared.StatusCode == status)
            {
                return Continue;
            }
        }

        var action = unspecifiedAction;
        foreach (var (overriddenCode, overridden) in overrides)
        {
            if (overriddenCode == status)
            {
                action = overridden;
                break;
            }
        }

        var what = action.GetString(context)?.Trim();
        if (what is not ("detect" or "prevent"))
        {
            return Continue;
        }

        var code = status.ToString(CultureInfo.InvariantCulture);
        var details = $"Response status code {code} is not allowed.";
        if (errorsVariable is not null)
        {
            var errors = context.Variables.TryGetValue(errorsVariable, out var existing) && existing is JArray list ? list : new JArray();
            errors.Add(new JObject
            {
                ["Name"] = code,
                ["Type"] = "StatusCode",
                ["ValidationRule"] = "Unspecified",
                ["Details"] = details,
                ["Action"] = what,
            });
            context.SetVariable(errorsVariable, errors);
        }

        context.Runtime.Trace(context, Location.Name, details);
        if (what == "detect")
        {
            return Continue;
        }

        context.SetErrorResponse(502, PublicMessage);
        context.Fail(PolicyFailure.From(Location, "Response not allowed", details));
        return ValueTask.FromResult(PolicyStep.Error);
    }
}
