using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http;
using Tollgate.Portal.Management;

namespace Tollgate.Portal.Components.Admin;

/// <summary>What every publisher page has: the management client, navigation, and the request it renders for.</summary>
public abstract class AdminPage : ComponentBase
{
    [Inject] protected ManagementApi Management { get; set; } = null!;

    [Inject] protected NavigationManager Navigation { get; set; } = null!;

    [CascadingParameter] protected HttpContext? HttpContext { get; set; }

    protected CancellationToken Aborted => HttpContext?.RequestAborted ?? CancellationToken.None;

    /// <summary>A form field posted with the request (checkbox lists and other fields outside the form model).</summary>
    protected IReadOnlyList<string> Posted(string name) =>
        HttpContext?.Request.HasFormContentType == true ? HttpContext.Request.Form[name].Where(v => v is not null).Select(v => v!).ToList() : [];

    protected static string Escape(string segment) => Uri.EscapeDataString(segment);
}
