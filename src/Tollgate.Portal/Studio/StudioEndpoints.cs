using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Tollgate.Portal.Studio;

/// <summary>The Studio pages' one endpoint that is not a page: a dataset upload streamed through to Studio (the page shows its progress).</summary>
public static class StudioEndpoints
{
    public static void Map(WebApplication app) =>
        app.MapPost("/studio/datasets/upload", async (HttpContext http, IAntiforgery antiforgery, StudioClient studio) =>
        {
            http.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodePagesFeature>()?.Enabled = false;
            if (!await antiforgery.IsRequestValidAsync(http))
            {
                return Results.Json(Error("The form has expired: reload the page and try again."), statusCode: StatusCodes.Status400BadRequest);
            }

            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = null; // Studio streams datasets to disk; it is the judge of what it takes
            }

            var name = http.Request.Query["name"].ToString();
            var format = http.Request.Query["format"].ToString();
            var result = await studio.UploadDatasetAsync(name, format, http.Request.Body, http.Request.ContentLength, http.RequestAborted);
            return result.Ok
                ? Results.Json(new { id = (string?)result.Body!["id"], name = (string?)result.Body["name"], rowCount = (long?)result.Body["rowCount"] }, statusCode: StatusCodes.Status201Created)
                : Results.Json(new { error = new { code = result.Error!.Code, message = result.Error.Details.FirstOrDefault()?.Message ?? result.Error.Message } }, statusCode: result.Error.Status);
        }).RequireAuthorization(StudioSession.Policy);

    private static object Error(string message) => new { error = new { code = "BadRequest", message } };
}
