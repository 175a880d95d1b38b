using System.Globalization;
using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.ValidateStatusCode;

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

        var what = ValidationErrors.Action(action, context);
        if (what == "ignore")
        {
            return Continue;
        }

        var code = status.ToString(CultureInfo.InvariantCulture);
        var finding = new ValidationFinding(code, "StatusCode", "Unspecified", $"Response status code {code} is not allowed.", ValidationErrors.InternalError);
        return ValidationErrors.Report(context, Location, errorsVariable, [(finding, what)]);
    }
}
