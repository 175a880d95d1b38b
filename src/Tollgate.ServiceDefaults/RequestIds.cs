using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tollgate.ServiceDefaults;

/// <summary>
/// Gives every request of a role a request id (a version-7 GUID) that becomes <see cref="HttpContext.TraceIdentifier"/>
/// — so ASP.NET Core's logging scope puts it on every log line of the request — and is returned in a response header.
/// </summary>
public static class RequestIds
{
    /// <summary>The header of the management API (and Studio's RRS/BES): <c>x-ms-request-id</c>, as Azure's REST APIs send.</summary>
    public const string AzureHeader = "x-ms-request-id";

    public static IApplicationBuilder UseRequestIds(this IApplicationBuilder app, string header, TimeProvider time)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Tollgate.Requests");
        return app.Use(async (context, next) =>
        {
            context.TraceIdentifier = Guid.CreateVersion7(time.GetUtcNow()).ToString();
            context.Response.Headers[header] = context.TraceIdentifier;
            using (logger.BeginScope(new RequestIdScope(context.TraceIdentifier)))
            {
                await next(context);
            }
        });
    }
}
