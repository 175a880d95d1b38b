using System.Text;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.AuthenticationBasic;

/// <summary>
/// <c>authentication-basic</c>: sends <c>Authorization: Basic base64(username:password)</c> (UTF-8) to the backend,
/// replacing whatever Authorization header the client sent.
/// </summary>
internal sealed class AuthenticationBasicHandler(PolicyLocation location, PolicyValue username, PolicyValue password) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var credentials = $"{username.GetString(context)}:{password.GetString(context)}";
        context.Http.Request.Headers.Authorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials));
        return Continue;
    }
}
