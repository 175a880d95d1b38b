using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.SetBackendService;

/// <summary><c>set-backend-service base-url</c>: forwards to another backend for this request.</summary>
internal sealed class SetBackendServiceHandler(PolicyLocation location, PolicyValue baseUrl) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var url = baseUrl.GetString(context);
        if (string.IsNullOrEmpty(url) || !Uri.TryCreate(url, UriKind.Absolute, out _))
        {
            throw new ArgumentException($"set-backend-service: '{url}' is not an absolute URL.");
        }

        context.Gateway.BackendUrl = url;
        context.BackendOverridden = true;
        return Continue;
    }
}
