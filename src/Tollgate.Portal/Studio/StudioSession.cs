using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;

namespace Tollgate.Portal.Studio;

/// <summary>Who may open Studio's pages: whoever signed in with a workspace token, and the administrator.</summary>
public static class StudioSession
{
    /// <summary>The authorization policy of every page under <c>/studio</c>.</summary>
    public const string Policy = "Studio";

    /// <summary>The claim holding the workspace token (the session cookie is encrypted and HttpOnly).</summary>
    public const string TokenClaim = "tollgate:studio-token";

    /// <summary>The claim holding the workspace id.</summary>
    public const string WorkspaceClaim = "tollgate:studio-workspace";

    public static void AddPolicy(AuthorizationOptions options) => options.AddPolicy(Policy, p => p.RequireAssertion(c =>
        c.User.HasClaim(x => x.Type == TokenClaim) || c.User.IsInRole(PortalHosting.AdministratorRole)));

    /// <summary>The session of someone who signed in with a workspace token; an administrator's session keeps its claims.</summary>
    public static ClaimsPrincipal WithToken(ClaimsPrincipal current, string token, string workspaceId)
    {
        var claims = current.Identity?.IsAuthenticated == true
            ? current.Claims.Where(c => c.Type is not (TokenClaim or WorkspaceClaim)).ToList()
            : [new Claim(ClaimTypes.NameIdentifier, "workspace:" + workspaceId), new Claim(ClaimTypes.Name, "Workspace " + workspaceId[..Math.Min(8, workspaceId.Length)])];
        claims.Add(new Claim(TokenClaim, token));
        claims.Add(new Claim(WorkspaceClaim, workspaceId));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme));
    }
}
