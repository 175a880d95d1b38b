using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http;
using Tollgate.Portal.Developer;
using Tollgate.Portal.Management;

namespace Tollgate.Portal.Components.Developer;

/// <summary>
/// What every developer portal page has: the management client, the instance it shows (<see cref="PortalInstance"/>),
/// and the signed-in developer, if any (<see cref="UserId"/>, only for a session of this instance).
/// </summary>
public abstract class DeveloperPage : ComponentBase
{
    [Inject] protected ManagementApi Management { get; set; } = null!;

    [Inject] protected NavigationManager Navigation { get; set; } = null!;

    [Inject] protected PortalInstance Portal { get; set; } = null!;

    [CascadingParameter] protected HttpContext? HttpContext { get; set; }

    protected CancellationToken Aborted => HttpContext?.RequestAborted ?? CancellationToken.None;

    /// <summary>The instance shown (null until loaded, or when there is none: <see cref="InstanceError"/> says why).</summary>
    protected DeveloperInstance? Current { get; private set; }

    protected ManagementError? InstanceError { get; private set; }

    protected string Instance => Current?.Name ?? "";

    /// <summary>The signed-in developer of this instance, or null (anonymous).</summary>
    protected string? UserId => Current is null ? null : DeveloperSession.UserId(HttpContext?.User, Current.Name);

    /// <summary>Loads the instance; false when there is none (the page shows <see cref="InstanceError"/>).</summary>
    protected async Task<bool> LoadInstanceAsync()
    {
        (Current, InstanceError) = await Portal.GetAsync(Aborted);
        return Current is not null;
    }

    /// <summary>A form field posted with the request.</summary>
    protected IReadOnlyList<string> Posted(string name) =>
        HttpContext?.Request.HasFormContentType == true ? HttpContext.Request.Form[name].Where(v => v is not null).Select(v => v!).ToList() : [];

    protected static string Escape(string segment) => Uri.EscapeDataString(segment);
}
