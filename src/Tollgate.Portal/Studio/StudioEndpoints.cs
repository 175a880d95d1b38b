using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Tollgate.Portal.Studio;

/// <summary>
/// The Studio pages' endpoints that are not pages: dataset and ONNX model uploads streamed through to Studio (the
/// pages show their progress), and a trained model's ONNX download.
/// </summary>
public static class StudioEndpoints
{
    public static void Map(WebApplication app)
    {
        MapDatasetUpload(app);
        app.MapPost("/studio/trainedmodels/upload", async (HttpContext http, IAntiforgery antiforgery, StudioClient studio) =>
        {
            http.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodePagesFeature>()?.Enabled = false;
            if (!await antiforgery.IsRequestValidAsync(http))
            {
                return Results.Json(Error("The form has expired: reload the page and try again."), statusCode: StatusCodes.Status400BadRequest);
            }

            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = null; // Studio is the judge of what it takes (Tollgate:Studio:MaxOnnxModelBytes)
            }

            var result = await studio.ImportOnnxModelAsync(http.Request.Query["name"].ToString(), http.Request.Body, http.Request.ContentLength, http.RequestAborted);
            return result.Ok
                ? Results.Json(new { id = (string?)result.Body!["id"], name = (string?)result.Body["name"] }, statusCode: StatusCodes.Status201Created)
                : Results.Json(new { error = new { code = result.Error!.Code, message = result.Error.Details.FirstOrDefault()?.Message ?? result.Error.Message } }, statusCode: result.Error.Status);
        }).RequireAuthorization(StudioSession.Policy);
        app.MapGet("/studio/trainedmodels/{id}/onnx", async (string id, HttpContext http, StudioClient studio) =>
        {
            var (file, name, error) = await studio.DownloadOnnxModelAsync(id, http.RequestAborted);
            return file is not null
                ? Results.File(file, "application/octet-stream", name)
                : Results.Text(error!.Details.FirstOrDefault()?.Message ?? error.Message, "text/plain; charset=utf-8", statusCode: error.Status);
        }).RequireAuthorization(StudioSession.Policy);
    }

    private static void MapDatasetUpload(WebApplication app) =>
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
