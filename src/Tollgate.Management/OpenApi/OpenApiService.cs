using System.Text.Json.Nodes;
using Tollgate.Management.Services;

namespace Tollgate.Management.Api;

/// <summary>OpenAPI 3 / Swagger 2 import into an API with its operations, and export of an API as OpenAPI 3.</summary>
public sealed class OpenApiService(ResourceService resources, ManagementOptions options)
{
    /// <summary>
    /// Import: <c>{"properties":{"format":"openapi+json","value":"...","path":"..."}}</c> creates or replaces the API and
    /// all its operations at once. Formats <c>openapi</c> (YAML), <c>openapi+json</c> and <c>swagger-json</c> are read;
    /// the link formats were downloaded by <see cref="LinkedDocuments"/> before this is called.
    /// </summary>
    public async Task<(JsonObject Body, string ETag, bool Created)> ImportAsync(ServiceScope scope, string apiId, JsonObject body, CancellationToken ct)
    {
        var (api, operations, schema) = OpenApiConverter.FromImportBody(body);
        return await resources.ImportApiAsync(scope, apiId, api, operations, ct, schema);
    }

    /// <summary>
    /// The problems an import of <paramref name="text"/> (OpenAPI 3.x or Swagger 2.0, JSON or YAML) would answer, as
    /// one message, or null when it would import: for clients that check a document before any change (<c>tollgate apply</c>).
    /// </summary>
    public static string? Validate(string text)
    {
        try
        {
            OpenApiConverter.Import(text);
            return null;
        }
        catch (ArmException ex)
        {
            return ex.Details is { Count: > 0 } details ? string.Join(" ", details.Select(d => d.Message)) : ex.Message;
        }
    }

    /// <summary>Export as an OpenAPI 3.0 JSON document whose server is the gateway URL plus the API path.</summary>
    public Task<string> ExportAsync(ServiceScope scope, string apiId, CancellationToken ct) => ExportAsync(scope, apiId, ExportFormat.OpenApiJson, ct);

    public async Task<string> ExportAsync(ServiceScope scope, string apiId, ExportFormat format, CancellationToken ct)
    {
        var (api, operations) = await resources.GetApiWithOperationsAsync(scope, apiId, ct);
        return OpenApiConverter.Export(api.Properties, [.. operations.Select(o => (o.Key.Name, o.Properties))], options.GatewayUrlOf(scope.Name), format);
    }
}
