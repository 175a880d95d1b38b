using System.Security.Claims;

namespace Tollgate.Portal.Developer;

/// <summary>
/// The developer's session: a cookie of its own (<c>tollgate-developer</c>), separate from the administrator's, holding
/// the user id and the instance it signed in to.
/// </summary>
public static class DeveloperSession
{
    /// <summary>The authentication scheme (cookie) of developer sessions.</summary>
    public const string Scheme = "Developer";

    /// <summary>The role every signed-in developer has.</summary>
    public const string Role = "Developer";

    /// <summary>The claim naming the instance the developer signed in to.</summary>
    public const string InstanceClaim = "tollgate:instance";

    public const string EmailClaim = ClaimTypes.Email;

    public static ClaimsPrincipal Principal(string instance, string userId, string name, string email) => new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, userId), new Claim(ClaimTypes.Name, name), new Claim(EmailClaim, email),
            new Claim(ClaimTypes.Role, Role), new Claim(InstanceClaim, instance),
        ], Scheme));

    /// <summary>The signed-in developer's user id when the session is for <paramref name="instance"/>, else null (anonymous).</summary>
    public static string? UserId(ClaimsPrincipal? user, string instance) =>
        user?.Identity?.IsAuthenticated == true && user.IsInRole(Role)
        && string.Equals(user.FindFirstValue(InstanceClaim), instance, StringComparison.OrdinalIgnoreCase)
            ? user.FindFirstValue(ClaimTypes.NameIdentifier)
            : null;
}
