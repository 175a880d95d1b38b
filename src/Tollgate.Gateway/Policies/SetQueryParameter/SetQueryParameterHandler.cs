using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Tollgate.Gateway.Policies.Runtime;
using Tollgate.Gateway.Policies.SetHeader;

namespace Tollgate.Gateway.Policies.SetQueryParameter;

/// <summary><c>set-query-parameter</c>: override (default), skip, append or delete a query parameter of the request.</summary>
internal sealed class SetQueryParameterHandler(PolicyLocation location, string name, string action, PolicyValue[] values) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var request = context.Http.Request;
        var query = new Dictionary<string, StringValues>(request.Query.Count + 1, StringComparer.Ordinal);
        foreach (var (k, v) in request.Query)
        {
            query[k] = v;
        }

        switch (action)
        {
            case "delete":
                query.Remove(name);
                break;
            case "skip" when query.ContainsKey(name):
                return Continue;
            case "append" when query.TryGetValue(name, out var existing):
                query[name] = StringValues.Concat(existing, SetHeaderHandler.Evaluate(values, context));
                break;
            default:
                query[name] = SetHeaderHandler.Evaluate(values, context);
                break;
        }

        request.QueryString = QueryString.Create(query);
        return Continue;
    }
}
