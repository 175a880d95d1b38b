using Tollgate.Core.Gateway;
using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.ValidateParameters;

/// <summary>The actions of one child of <c>validate-parameters</c> (<c>headers</c>, <c>query</c>, <c>path</c>): null where it names none.</summary>
internal sealed record ParameterActions(PolicyValue? Specified, PolicyValue? Unspecified, IReadOnlyDictionary<string, PolicyValue> ByName);

/// <summary>
/// <c>validate-parameters</c> (inbound): checks the request's headers, query parameters and path parameters against the
/// operation's <c>request.headers</c>, <c>request.queryParameters</c> and <c>templateParameters</c>. A declared
/// parameter gets <c>specified-parameter-action</c> (a missing required one, several values where one is declared, a
/// value that is not of its type or not one of its values); a parameter the operation does not declare gets
/// <c>unspecified-parameter-action</c>; a <c>parameter</c> child overrides either for its name, a <c>headers</c>,
/// <c>query</c> or <c>path</c> child for its kind. Prevented: 400 with APIM's public message.
/// </summary>
internal sealed class ValidateParametersHandler(
    PolicyLocation location, PolicyValue specified, PolicyValue unspecified, string? errorsVariable,
    ParameterActions? headers, ParameterActions? query, ParameterActions? path)
    : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var operation = context.OperationPolicies.Definition;
        var request = context.Http.Request;
        List<(ValidationFinding, string)>? findings = null;

        // Headers: names ignore case. The API's subscription key header is the gateway's, not the operation's.
        var keyHeader = context.Gateway.Api.KeyHeaderName;
        foreach (var declared in operation.Headers)
        {
            var values = request.Headers[declared.Name];
            Check(context, declared, values.Count == 0 ? null : values.ToArray(), "RequestHeader", "header", headers, ref findings);
        }

        foreach (var (name, _) in request.Headers)
        {
            if (!string.Equals(name, keyHeader, StringComparison.OrdinalIgnoreCase) && !Declares(operation.Headers, name, StringComparison.OrdinalIgnoreCase))
            {
                Unspecified(context, name, "RequestHeader", "header", headers, StringComparer.OrdinalIgnoreCase, ref findings);
            }
        }

        // Query parameters: declared in request.queryParameters or bound by the URL template's query (?date={date}).
        var templateQuery = TemplateQuery(operation.UrlTemplate);
        var keyQuery = context.Gateway.Api.KeyQueryName;
        foreach (var declared in operation.QueryParameters)
        {
            var values = request.Query[declared.Name];
            Check(context, declared, values.Count == 0 ? null : values.ToArray(), "QueryParameter", "query parameter", query, ref findings);
        }

        foreach (var (name, _) in request.Query)
        {
            if (name != keyQuery && !Declares(operation.QueryParameters, name, StringComparison.Ordinal) && !templateQuery.ContainsKey(name))
            {
                Unspecified(context, name, "QueryParameter", "query parameter", query, StringComparer.Ordinal, ref findings);
            }
        }

        // Path parameters (and template parameters bound in the query): the values the URL template matched.
        foreach (var declared in operation.TemplateParameters)
        {
            if (context.MatchedParameters.TryGetValue(declared.Name, out var value))
            {
                var inQuery = templateQuery.ContainsValue(declared.Name);
                Check(context, declared, [value], inQuery ? "QueryParameter" : "PathParameter", inQuery ? "query parameter" : "path parameter", inQuery ? query : path, ref findings);
            }
        }

        return ValidationErrors.Report(context, Location, errorsVariable, findings);
    }

    private void Check(PolicyContext context, GatewayParameter declared, string?[]? values, string type, string what, ParameterActions? group, ref List<(ValidationFinding, string)>? findings)
    {
        var action = ValidationErrors.Action(Override(group, declared.Name, StringComparer.OrdinalIgnoreCase) ?? group?.Specified ?? specified, context);
        if (action == "ignore")
        {
            return;
        }

        string? details = null, publicMessage = null;
        if (values is null)
        {
            if (declared.Required)
            {
                details = publicMessage = $"Request must contain the {what} {declared.Name}.";
            }
        }
        else if (values.Length > 1 && !ValidationErrors.IsArray(declared))
        {
            details = publicMessage = $"Request cannot contain multiple values for the {what} {declared.Name}.";
        }
        else
        {
            foreach (var value in values)
            {
                if (ValidationErrors.CheckValue(declared, value ?? "", what) is { } problem)
                {
                    (details, publicMessage) = problem;
                    break;
                }
            }
        }

        if (details is not null)
        {
            (findings ??= []).Add((new ValidationFinding(declared.Name, type, "IncorrectMessage", details, publicMessage!), action));
        }
    }

    private void Unspecified(PolicyContext context, string name, string type, string what, ParameterActions? group, StringComparer comparer, ref List<(ValidationFinding, string)>? findings)
    {
        var action = ValidationErrors.Action(Override(group, name, comparer) ?? group?.Unspecified ?? unspecified, context);
        if (action != "ignore")
        {
            var message = $"Unspecified {what} {name} is not allowed.";
            (findings ??= []).Add((new ValidationFinding(name, type, "Unspecified", message, message), action));
        }
    }

    private static PolicyValue? Override(ParameterActions? group, string name, StringComparer comparer)
    {
        if (group is null)
        {
            return null;
        }

        if (group.ByName.TryGetValue(name, out var exact))
        {
            return exact;
        }

        foreach (var (key, value) in group.ByName)
        {
            if (comparer.Equals(key, name))
            {
                return value;
            }
        }

        return null;
    }

    private static bool Declares(IReadOnlyList<GatewayParameter> declared, string name, StringComparison comparison)
    {
        foreach (var parameter in declared)
        {
            if (string.Equals(parameter.Name, name, comparison))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The query names of a URL template's query part and the template parameters they bind (<c>?date={d}</c>: date → d).</summary>
    private static Dictionary<string, string> TemplateQuery(string urlTemplate)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var q = urlTemplate.IndexOf('?');
        if (q < 0)
        {
            return result;
        }

        foreach (var part in urlTemplate.AsSpan(q + 1).ToString().Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var name = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? "" : part[(eq + 1)..];
            result[name] = value.StartsWith('{') && value.EndsWith('}') ? value[1..^1].TrimEnd('*') : value;
        }

        return result;
    }
}
