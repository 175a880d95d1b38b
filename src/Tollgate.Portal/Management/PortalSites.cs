using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Tollgate.Portal.Management;

/// <summary>
/// The instance a request's host name names: <c>{name}.portal.{suffix}</c> (the host of the instance's
/// <c>developerPortalUrl</c>) or one of its custom <c>Portal</c> / <c>DeveloperPortal</c> host names. <see cref="Instance"/>
/// is null on the bare host (an address, <c>localhost</c>, the machine's name, the listener's host), where the publisher
/// portal lists every instance.
/// </summary>
public sealed record PortalSite(string? Instance)
{
    /// <summary>The bare host: no instance named.</summary>
    public static readonly PortalSite Bare = new((string?)null);
}

/// <summary>Resolves <see cref="PortalSite"/> per request, and answers 404 for a host name no instance has.</summary>
public static class PortalSites
{
    /// <summary>The site of the request (<see cref="PortalSite.Bare"/> before resolution or on the bare host).</summary>
    public static PortalSite Site(this HttpContext http) => http.Features.Get<PortalSite>() ?? PortalSite.Bare;

    /// <summary>
    /// Resolves the host name of every page request: an instance's host name sets <see cref="PortalSite"/> (and
    /// <c>/admin</c> there opens that instance), an unknown one is a 404 naming the host. Static assets skip it.
    /// </summary>
    public static WebApplication UsePortalSites(this WebApplication app, PortalOptions options)
    {
        var bare = BareHosts(options);
        app.Use(async (http, next) =>
        {
            var host = http.Request.Host.Host;
            var path = http.Request.Path.Value ?? "/";
            if (host.Length == 0 || bare.Contains(host) || IPAddress.TryParse(host, out _) || path.StartsWith("/_", StringComparison.Ordinal))
            {
                await next(http);
                return;
            }

            var management = http.RequestServices.GetRequiredService<ManagementApi>();
            var (instance, error) = await ResolveAsync(management, host, http.RequestAborted);
            if (instance is null)
            {
                http.Features.Get<IStatusCodePagesFeature>()?.Enabled = false;
                http.Response.StatusCode = error is null ? StatusCodes.Status404NotFound : StatusCodes.Status503ServiceUnavailable;
                http.Response.ContentType = "text/html; charset=utf-8";
                var message = error is null
                    ? $"No API Management instance is served at {WebUtility.HtmlEncode(host)}."
                    : WebUtility.HtmlEncode(error.Message);
                await http.Response.WriteAsync(
                    $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found · Tollgate</title></head><body><main><h1>Not found</h1><p>{message}</p></main></body></html>",
                    http.RequestAborted);
                return;
            }

            http.Features.Set(new PortalSite(instance));
            if (path is "/admin" or "/admin/")
            {
                // The publisher portal of an instance's own host name opens that instance.
                http.Response.Redirect($"/admin/{Uri.EscapeDataString(instance)}/dashboard");
                return;
            }

            await next(http);
        });
        return app;
    }

    /// <summary>
    /// The instance whose portal host name is <paramref name="host"/>: the first label names it when the instance's
    /// <c>developerPortalUrl</c> has this host (one GET), else a custom Portal or DeveloperPortal host name (the list).
    /// </summary>
    internal static async Task<(string? Instance, ManagementError? Error)> ResolveAsync(ManagementApi management, string host, CancellationToken ct)
    {
        var dot = host.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            var named = await management.GetInstanceAsync(host[..dot], ct);
            if (named.Ok && ServesHost(named.Body!, host))
            {
                return ((string?)named.Body!["name"], null);
            }
        }

        var list = await management.ListInstancesAsync(ct);
        if (!list.Ok)
        {
            return (null, list.Error);
        }

        var match = (list.Body!["value"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(i => ServesHost(i, host));
        return ((string?)match?["name"], null);
    }

    private static bool ServesHost(JsonObject instance, string host)
    {
        var properties = instance["properties"];
        if (Uri.TryCreate((string?)properties?["developerPortalUrl"], UriKind.Absolute, out var portal)
            && string.Equals(portal.Host, host, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return (properties?["hostnameConfigurations"] as JsonArray ?? []).OfType<JsonObject>().Any(h =>
            (string?)h["type"] is { } type
            && (type.Equals("Portal", StringComparison.OrdinalIgnoreCase) || type.Equals("DeveloperPortal", StringComparison.OrdinalIgnoreCase))
            && string.Equals((string?)h["hostName"], host, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Host names that mean "this portal" rather than an instance.</summary>
    private static HashSet<string> BareHosts(PortalOptions options)
    {
        var hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "localhost", Environment.MachineName };
        if (Uri.TryCreate(options.Url, UriKind.Absolute, out var url) && url.Host is not ("0.0.0.0" or "*" or "+"))
        {
            hosts.Add(url.Host);
        }

        return hosts;
    }
}
