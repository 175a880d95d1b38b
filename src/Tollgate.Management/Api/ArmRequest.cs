using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Management.Services;

namespace Tollgate.Management.Api;

/// <summary>
/// One call of the management API on an instance
/// (<c>/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ApiManagement/service/{serviceName}/…</c>):
/// the instance, the route values as APIM means them and the query options every list and write shares. Endpoints
/// take it as their one parameter so that nothing is bound (or fails) before the group's filters run: reading
/// <see cref="Top"/> or the body throws <see cref="ArmException"/> inside them, where it becomes the ARM error shape.
/// </summary>
public sealed class ArmRequest
{
    private string? api;

    private ArmRequest(HttpContext http)
    {
        Http = http;
        Scope = new ServiceScope(RawRoute(http, "subscriptionId"), RawRoute(http, "resourceGroupName"), RawRoute(http, "serviceName"));
    }

    public HttpContext Http { get; }

    public ServiceScope Scope { get; }

    public CancellationToken Ct => Http.RequestAborted;

    public ResourceService Resources => Service<ResourceService>();

    public PolicyService Policies => Service<PolicyService>();

    public Mail.MailResources Mail => Service<Mail.MailResources>();

    public string? Filter => Http.Request.Query["$filter"].FirstOrDefault();

    public int? Top => IntQuery("$top");

    public int? Skip => IntQuery("$skip");

    public string? IfMatch => Http.Request.Headers.IfMatch.FirstOrDefault();

    /// <summary>
    /// APIM's <c>includeNotTaggedApis</c> (and the like) of the lists by tag: <c>true</c> or <c>false</c> (the default);
    /// anything else is a 400 naming the parameter rather than read as false.
    /// </summary>
    public bool IncludeNotTagged(string name) => Query(name) switch
    {
        null => false,
        var text when bool.TryParse(text, out var value) => value,
        _ => throw ArmException.Validation(name, $"'{name}' must be true or false."),
    };

    public bool DeleteSubscriptions => string.Equals(Query("deleteSubscriptions"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The API the call is about: under <c>apis/{apiId}</c> the stored id of the revision <c>{apiId};rev={n}</c>
    /// addresses (<see cref="ManagementRoutes.ResolveApiRevisionAsync"/>), elsewhere <c>{apiId}</c> without <c>;rev=</c>.
    /// </summary>
    public string Api => api ?? Route("apiId");

    /// <summary>True when the path named a revision (<c>apis/{apiId};rev={n}</c>) that was resolved to <see cref="Api"/>.</summary>
    public bool RevisionAddressed { get; private set; }

    /// <summary>
    /// The path below the instance, as the client sent it (<c>apis/echo/operations</c>): what the 404 of an unknown
    /// path names and what link imports look at.
    /// </summary>
    public string Rest
    {
        get
        {
            var segments = (Http.Request.Path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
            return string.Join('/', segments.Skip(8));
        }
    }

    /// <summary>Minimal APIs bind the parameter through this; it never fails (see the class summary).</summary>
    public static ValueTask<ArmRequest?> BindAsync(HttpContext http) => ValueTask.FromResult<ArmRequest?>(Of(http));

    /// <summary>The call's request, the same object for the filters and the endpoint.</summary>
    public static ArmRequest Of(HttpContext http)
    {
        if (http.Items[typeof(ArmRequest)] is not ArmRequest request)
        {
            request = new ArmRequest(http);
            http.Items[typeof(ArmRequest)] = request;
        }

        return request;
    }

    /// <summary>
    /// A route value, unescaped, without the <c>;rev={n}</c> APIM may add to an API id (an API's revisions,
    /// releases, links and children are the API's).
    /// </summary>
    public string Route(string name)
    {
        var value = RawRoute(Http, name);
        var rev = value.IndexOf(";rev=", StringComparison.OrdinalIgnoreCase);
        return rev > 0 ? value[..rev] : value;
    }

    public string? Query(string name) => Http.Request.Query[name].FirstOrDefault();

    public T Service<T>()
        where T : notnull => Http.RequestServices.GetRequiredService<T>();

    /// <summary>The JSON body (a 400 naming where it broke when it is not a JSON object).</summary>
    public Task<JsonObject> BodyAsync() => ManagementEndpoints.ReadBodyAsync(Http, Ct);

    /// <summary>Sets what <c>apis/{apiId}</c> addressed: the stored id and whether a revision was named.</summary>
    internal void AddressApi(string id, bool revisionAddressed)
    {
        api = id;
        RevisionAddressed = revisionAddressed;
    }

    internal static string RawRoute(HttpContext http, string name) =>
        http.Request.RouteValues[name] is { } value ? Uri.UnescapeDataString(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "") : "";

    private int? IntQuery(string name)
    {
        var text = Query(name);
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw ArmException.Validation(name, $"'{name}' must be an integer.");
    }
}
