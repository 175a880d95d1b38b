using System.Text.Json.Nodes;
using Tollgate.Management.Services;

namespace Tollgate.Management.Api;

/// <summary>OpenAPI 3 / Swagger 2 import into an API with its operations, and export of an API as OpenAPI 3.</summary>
public sealed class OpenApiService(ResourceService resources)
{
    /// <summary>Import: <c>{"properties":{"format":"openapi+json","value":"...","path":"..."}}</c>.</summary>
    public Task<(JsonObject Body, string ETag, bool Created)> ImportAsync(ServiceScope scope, string apiId, JsonObject body, CancellationToken ct)
    {
        _ = resources;
        throw new ArmException(400, "ValidationError", "OpenAPI import is being implemented.");
    }

    /// <summary>Export as an OpenAPI 3 JSON document.</summary>
    public Task<string> ExportAsync(ServiceScope scope, string apiId, CancellationToken ct) =>
        throw new ArmException(400, "ValidationError", "OpenAPI export is being implemented.");
}
