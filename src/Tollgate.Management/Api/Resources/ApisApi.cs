using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Management.Services;
using static Tollgate.Management.Api.ManagementEndpoints;
using static Tollgate.Management.Api.ManagementOpenApi;

namespace Tollgate.Management.Api.Resources;

/// <summary>
/// APIM's <c>apis</c>: the APIs with their operations, schemas and tags, the products that contain one, and what
/// <c>PUT apis/{apiId}</c> and <c>GET apis/{apiId}</c> do besides the plain entity: import an OpenAPI or Swagger
/// document (or the link to one), clone another API or revision, export the API's document or a link to it.
/// Everything below <c>apis/{apiId}</c> is mapped in <see cref="ManagementRoutes.MapApiGroup"/>, where
/// <c>{apiId};rev={n}</c> names a revision.
/// </summary>
internal static class ApisApi
{
    private const string What = "APIs";

    private const string PutDescription = "Creates or replaces an API. With properties.format and properties.value it imports an OpenAPI 3 or Swagger 2 document with its operations (all or nothing); with format openapi-link, openapi+json-link or swagger-link-json, value is the http(s) URL the document is downloaded from (a 400 naming value when it cannot be). With properties.sourceApiId (/apis/{id}, /apis/{id};rev={n} or the ARM id) it clones that API: its operations, API and operation policies, schemas and tags are copied (a 400 naming sourceApiId when it does not exist). apiId {id};rev={n} addresses revision n of the API: PUT with sourceApiId creates it as a copy of that revision (it keeps the API's path, version and version set); PUT or PATCH with isCurrent true makes that existing revision current (the previous one becomes {id};rev={m}; no release is recorded), isCurrent false on the current revision is a 400 naming isCurrent; DELETE of the current revision is refused while other revisions exist (DELETE apis/{id} deletes the API with all its revisions). GET with export=true returns the API's document itself with format=openapi (OpenAPI 3 YAML), openapi+json or swagger-json (or, without format, the one the Accept header asks for: application/vnd.oai.openapi, application/vnd.oai.openapi+json, application/vnd.swagger.doc+json; else OpenAPI 3 JSON); with format=openapi-link, openapi+json-link or swagger-link it returns {id, format, value:{link}}, a signed link valid for five minutes. Another format is a 400 naming format (no WADL or WSDL).";

    /// <summary>The document formats of an export, by APIM's <c>format</c> name or Accept media type.</summary>
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

    public static RouteGroupBuilder MapApisApi(this RouteGroupBuilder group)
    {
        group.MapEntityList(ResourceKind.Api, "apis", "Api", "ApiContractProperties", What);
        var api = group.MapApiGroup();
        api.MapArm(HttpMethods.Get, "", GetAsync).DocumentedGet("Api", "ApiContractProperties", What);
        api.MapArm(HttpMethods.Put, "", PutAsync).DocumentedPut("Api", "ApiContractProperties", What, PutDescription);
        api.MapArm(HttpMethods.Patch, "", async (ArmRequest arm) =>
        {
            var patch = await arm.Resources.PatchAsync(arm.Scope, ResourceKind.Api, "", arm.Api, await arm.BodyAsync(), arm.IfMatch, arm.Ct);
            return Resource(patch.Body, patch.ETag, 200);
        }).DocumentedPatch("Api", "ApiContractProperties", What);
        api.MapArm(HttpMethods.Delete, "", async (ArmRequest arm) =>
            // apis/{apiId};rev={n} naming the current revision: refused while other revisions exist.
            arm.RevisionAddressed && arm.Api.IndexOf(";rev=", StringComparison.OrdinalIgnoreCase) < 0
                ? await arm.Resources.DeleteCurrentRevisionAsync(arm.Scope, arm.Api, arm.IfMatch, arm.Ct) ? Results.Ok() : Results.NoContent()
                : await ResourceEndpoints.DeleteEntityAsync(arm, ResourceKind.Api, "", arm.Api))
            .DocumentedDelete("Api", What);

        api.MapEntity(ResourceKind.Operation, "operations", "operationId", "Operation", "OperationContractProperties", "operations of an API", child: true);
        api.MapEntity(ResourceKind.ApiSchema, "schemas", "schemaId", "Schema", "SchemaContractProperties", "schemas of an API (the definitions validate-content checks bodies against)", child: true);
        api.MapArm(HttpMethods.Get, "products", (ArmRequest arm) => ResourceEndpoints.ListLinkedAsync(arm, ResourceKind.ProductApi, arm.Api, reverse: true))
            .Documented("ApiProduct_ListByApis", "Lists the products that contain the API.", Collection("ProductContractProperties"));
        api.MapLink(ResourceKind.ApiTag, "tags", "apiId", "tagId", "ApiTag", "TagContractProperties", "tags of an API");
        api.MapLink(ResourceKind.OperationTag, "operations/{operationId}/tags", "operationId", "tagId", "OperationTag", "TagContractProperties", "tags of an operation");
        api.MapArm(HttpMethods.Get, "operationsByTags", async (ArmRequest arm) =>
            Page(await arm.Resources.ListOperationsByTagsAsync(arm.Scope, arm.Api, arm.Filter, arm.Top, arm.Skip, arm.IncludeNotTagged("includeNotTaggedOperations"), arm.Ct), arm.Http))
            .DocumentedByTags("Operation_ListByTags", "operations of an API", "operation", "includeNotTaggedOperations",
                "name, displayName, apiName, description, method, urlTemplate");
        group.MapArm(HttpMethods.Get, "apisByTags", async (ArmRequest arm) =>
            Page(await arm.Resources.ListApisByTagsAsync(arm.Scope, arm.Filter, arm.Top, arm.Skip, arm.IncludeNotTagged("includeNotTaggedApis"), arm.Ct), arm.Http))
            .DocumentedByTags("Api_ListByTags", "APIs (revisions as {id};rev={n})", "api", "includeNotTaggedApis",
                "name, displayName, apiRevision, path, description, serviceUrl, isCurrent");
        return group;
    }

    /// <summary><c>GET apis/{apiId}</c>: the API, or with <c>export=true</c> its document or a link to it (<see cref="ExportDocumentAsync"/>).</summary>
    private static async Task<IResult> GetAsync(ArmRequest arm)
    {
        if (!string.Equals(arm.Query("export"), "true", StringComparison.OrdinalIgnoreCase))
        {
            var (body, etag) = await arm.Resources.GetAsync(arm.Scope, ResourceKind.Api, "", arm.Api, arm.Ct);
            return Resource(body, etag, 200);
        }

        if (arm.Query("format") is not { } linkFormat || !linkFormat.EndsWith("-link", StringComparison.OrdinalIgnoreCase))
        {
            return await ExportDocumentAsync(arm.Http, arm.Scope, arm.Api, arm.Ct);
        }

        if (!ExportLinks.Formats.ContainsKey(linkFormat))
        {
            throw ArmException.Validation("format", $"'{linkFormat}' is not an export format: use {string.Join(", ", ExportLinks.Formats.Keys)} (or openapi+json for the document itself).");
        }

        await arm.Resources.GetAsync(arm.Scope, ResourceKind.Api, "", arm.Api, arm.Ct);
        var link = await arm.Service<ExportLinks>().CreateAsync(arm.Http.Request, arm.Scope, arm.Api, linkFormat, arm.Ct);
        // The answer names the result as APIM does: openapi-link for either OpenAPI form, swagger-link-json for Swagger.
        var resultFormat = linkFormat.StartsWith("swagger", StringComparison.OrdinalIgnoreCase) ? "swagger-link-json" : "openapi-link";
        return Json(new JsonObject { ["id"] = $"{arm.Scope.BaseId}/apis/{arm.Api}", ["format"] = resultFormat, ["value"] = new JsonObject { ["link"] = link } });
    }

    /// <summary>
    /// <c>PUT apis/{apiId}</c>: a clone when the body names <c>sourceApiId</c>, an import when it has <c>format</c> and
    /// <c>value</c> (a link was downloaded by the group's filter already), else the API as written.
    /// </summary>
    private static async Task<IResult> PutAsync(ArmRequest arm)
    {
        var body = await arm.BodyAsync();
        if (body["properties"] is JsonObject p && p["sourceApiId"] is not null)
        {
            var clone = await arm.Resources.CloneApiAsync(arm.Scope, arm.Api, body, arm.IfMatch, arm.Ct);
            return Resource(clone.Body, clone.ETag, clone.Created ? 201 : 200);
        }

        if (body["properties"] is JsonObject i && i["format"] is not null && i["value"] is not null)
        {
            var imported = await arm.Service<OpenApiService>().ImportAsync(arm.Scope, arm.Api, body, arm.Ct);
            return Resource(imported.Body, imported.ETag, imported.Created ? 201 : 200);
        }

        var put = await arm.Resources.PutAsync(arm.Scope, ResourceKind.Api, "", arm.Api, body, arm.IfMatch, arm.Ct);
        return Resource(put.Body, put.ETag, put.Created ? 201 : 200);
    }

    /// <summary>
    /// <c>GET apis/{apiId}?export=true</c> answering the document itself (the link formats are <see cref="ExportLinks"/>):
    /// the format named as APIM names them (<c>openapi</c> YAML, <c>openapi+json</c>, <c>swagger-json</c>), else as
    /// APIM's Accept header export asks (<c>application/vnd.oai.openapi</c>, <c>…openapi+json</c>,
    /// <c>application/vnd.swagger.doc+json</c>), else OpenAPI 3 JSON.
    /// </summary>
    private static async Task<IResult> ExportDocumentAsync(HttpContext http, ServiceScope scope, string api, CancellationToken ct)
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
