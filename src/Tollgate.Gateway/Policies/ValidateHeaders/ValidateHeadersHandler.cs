using Tollgate.Core.Gateway;
using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.ValidateHeaders;

/// <summary>
/// <c>validate-headers</c> (outbound, on-error): checks the response's headers against the <c>headers</c> the operation
/// declares for the response's status code. A declared header gets <c>specified-header-action</c> (several values, a
/// value not of its type or not one of its values), any other header <c>unspecified-header-action</c>; a <c>header</c>
/// child overrides either for its name. The headers that frame every response (Content-Type, Content-Length, Date,
/// Server, Transfer-Encoding, Connection, and the gateway's x-request-id) are not checked. Prevented: 502 with APIM's
/// internal-error message.
/// </summary>
internal sealed class ValidateHeadersHandler(
    PolicyLocation location, PolicyValue specified, PolicyValue unspecified, string? errorsVariable, IReadOnlyDictionary<string, PolicyValue> byName)
    : PolicyHandler(location)
{
    private static readonly HashSet<string> Framing = new(StringComparer.OrdinalIgnoreCase)
    {
        "Content-Type", "Content-Length", "Date", "Server", "Transfer-Encoding", "Connection", "x-request-id",
    };

    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        IReadOnlyList<GatewayParameter> declaredHeaders = [];
        var status = context.Http.Response.StatusCode;
        foreach (var response in context.OperationPolicies.Definition.Responses)
        {
            if (response.StatusCode == status)
            {
                declaredHeaders = response.Headers;
                break;
            }
        }

        List<(ValidationFinding, string)>? findings = null;
        foreach (var (name, values) in context.Http.Response.Headers)
        {
            if (Framing.Contains(name))
            {
                continue;
            }

            GatewayParameter? declared = null;
            foreach (var header in declaredHeaders)
            {
                if (string.Equals(header.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    declared = header;
                    break;
                }
            }

            var action = ValidationErrors.Action(Override(name) ?? (declared is null ? unspecified : specified), context);
            if (action == "ignore")
            {
                continue;
            }

            string? details = null;
            if (declared is null)
            {
                details = $"Unspecified header {name} is not allowed.";
            }
            else if (values.Count > 1 && !ValidationErrors.IsArray(declared))
            {
                details = $"Response cannot contain multiple values for the header {name}.";
            }
            else
            {
                foreach (var value in values)
                {
                    if (ValidationErrors.CheckValue(declared, value ?? "", "header") is { } problem)
                    {
                        details = problem.Details;
                        break;
                    }
                }
            }

            if (details is not null)
            {
                (findings ??= []).Add((new ValidationFinding(name, "ResponseHeader", declared is null ? "Unspecified" : "IncorrectMessage", details, ValidationErrors.InternalError), action));
            }
        }

        return ValidationErrors.Report(context, Location, errorsVariable, findings);
    }

    private PolicyValue? Override(string name)
    {
        foreach (var (key, value) in byName)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }
}
