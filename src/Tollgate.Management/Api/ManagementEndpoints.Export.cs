using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Management.Services;

namespace Tollgate.Management.Api;

/// <summary>
/// <c>GET apis/{id}?export=true</c> answering the document itself (the link formats are <see cref="ExportLinks"/>):
/// the format named as APIM names them (<c>openapi</c> YAML, <c>openapi+json</c>, <c>swagger-json</c>), else as
/// APIM's Accept header export asks (<c>application/vnd.oai.openapi</c>, <c>…openapi+json</c>,
/// <c>application/vnd.swagger.doc+json</c>), else OpenAPI 3 JSON.
/// </summary>
public static partial class ManagementEndpoints
{
    private static readonly Dictionary<string, (ExportFormat Format, string ContentType)> DocumentFormats = new(StringComparer.OrdinalIgnoreCase)
    {
        ["openapi"] = (ExportFormat.OpenApiYaml, "application/yaml"),
        ["openapi+json"] = (ExportFormat.OpenApiJson, "application/json"),
        ["swagger"] = (ExportFormat.SwaggerJson, "application/json"),
        ["swagger-json"] = (ExportFormat.SwaggerJson, "application/json"),
        ["application/vnd.oai.openapi"] = (ExportFormat.OpenApiYaml, "application/yaml"),
        ["application/vnd.oai.openapi+json"] = (ExportFormat.OpenApiJson, "application/json"),
        ["application/vnd.swagger.doc+json"] = (ExportFormat.SwaggerJson, "application/json"),
    };

    internal static async Task<IResult> ExportDocumentAsync(HttpContext http, ServiceScope scope, string api, CancellationToken ct)
    {
        var format = http.Request.Query["format"].FirstOrDefault();
        (ExportFormat Format, string ContentType) document;
        if (!string.IsNullOrEmpty(format))
        {
            if (!DocumentFormats.TryGetValue(format, out document) || format.Contains('/', StringComparison.Ordinal))
            {
                throw ArmException.Validation("format", $"'{format}' is not an export format: use openapi (OpenAPI 3 YAML), openapi+json or swagger-json for the document itself, "
                    + $"or {string.Join(", ", ExportLinks.Formats.Keys)} for a link (Tollgate exports no WADL or WSDL).");
            }
        }
        else
        {
            document = (ExportFormat.OpenApiJson, "application/json");
            foreach (var accept in http.Request.GetTypedHeaders().Accept)
            {
                if (DocumentFormats.TryGetValue(accept.MediaType.ToString(), out var asked))
                {
                    document = asked;
                    break;
                }
            }
        }

        return Results.Text(await http.RequestServices.GetRequiredService<OpenApiService>().ExportAsync(scope, api, document.Format, ct), document.ContentType);
    }
}
