using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http;
using Tollgate.Portal.Studio;

namespace Tollgate.Portal.Components.Studio;

/// <summary>What every Studio page has: Studio's client, navigation, and the request it renders for.</summary>
public abstract class StudioPage : ComponentBase
{
    [Inject] protected StudioClient Studio { get; set; } = null!;

    [Inject] protected NavigationManager Navigation { get; set; } = null!;

    [CascadingParameter] protected HttpContext? HttpContext { get; set; }

    protected CancellationToken Aborted => HttpContext?.RequestAborted ?? CancellationToken.None;

    /// <summary>A form field posted with the request.</summary>
    protected string Posted(string name) =>
        HttpContext?.Request.HasFormContentType == true ? HttpContext.Request.Form[name].ToString() : "";

    protected static string Escape(string segment) => Uri.EscapeDataString(segment);

    /// <summary>The <c>value</c> array of a Studio list.</summary>
    protected static IReadOnlyList<JsonObject> Items(JsonObject? body) => (body?["value"] as JsonArray ?? []).OfType<JsonObject>().ToList();

    protected static string Date(JsonNode? value) =>
        DateTimeOffset.TryParse((string?)value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "";

    /// <summary>The CSS class of a run or module state (queued, running, finished, failed, notrun).</summary>
    protected static string StateClass(string? state) => "state " + (state ?? "none").ToLowerInvariant();
}
