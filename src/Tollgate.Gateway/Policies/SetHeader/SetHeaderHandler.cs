using Microsoft.Extensions.Primitives;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.SetHeader;

/// <summary><c>set-header</c>: override (default), skip, append or delete a request or response header.</summary>
internal sealed class SetHeaderHandler(PolicyLocation location, string name, string action, PolicyValue[] values, MessageTarget target) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var headers = target == MessageTarget.Request ? context.Http.Request.Headers : context.Http.Response.Headers;
        switch (action)
        {
            case "delete":
                headers.Remove(name);
                return Continue;
            case "skip" when headers.ContainsKey(name):
                return Continue;
        }

        var value = Evaluate(values, context);
        if (action == "append" && headers.TryGetValue(name, out var existing))
        {
            headers[name] = StringValues.Concat(existing, value);
        }
        else if (value.Count > 0 || values.Length == 0)
        {
            headers[name] = value;
        }

        return Continue;
    }

    internal static StringValues Evaluate(PolicyValue[] values, PolicyContext context)
    {
        if (values.Length == 1)
        {
            var single = values[0].GetString(context);
            return single is null ? StringValues.Empty : new StringValues(single);
        }

        var list = new List<string>(values.Length);
        foreach (var v in values)
        {
            if (v.GetString(context) is { } s)
            {
                list.Add(s);
            }
        }

        return new StringValues(list.ToArray());
    }
}
