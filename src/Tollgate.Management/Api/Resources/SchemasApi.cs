using Microsoft.AspNetCore.Routing;
using Tollgate.Management.Services;

namespace Tollgate.Management.Api.Resources;

/// <summary>APIM's instance-level <c>schemas</c> (an API's own schemas are in <see cref="ApisApi"/>).</summary>
internal static class SchemasApi
{
    public static RouteGroupBuilder MapSchemasApi(this RouteGroupBuilder group)
    {
        group.MapEntity(ResourceKind.GlobalSchema, "schemas", "schemaId", "GlobalSchema", "GlobalSchemaContractProperties", "instance-level schemas that validate-content schema-id names");
        return group;
    }
}
