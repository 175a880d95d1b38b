using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Tollgate.Management.Services;

namespace Tollgate.Management.Api;

/// <summary>
/// Service principals (<c>/tollgate/servicePrincipals/{clientId}</c>, administrator only) and the OAuth 2.0
/// client-credentials token endpoint (<c>POST /oauth2/v2.0/token</c>) that turns a principal's id and secret into a
/// bearer token for the management API.
/// </summary>
public static class ServicePrincipalEndpoints
{
    public const string Path = "/tollgate/servicePrincipals";

    /// <summary>
    /// The service principal resources, documented in the management OpenAPI document from their metadata
    /// (<see cref="ManagementOpenApi"/>), and the token endpoint.
    /// </summary>
    public static IEndpointRouteBuilder MapServicePrincipals(this IEndpointRouteBuilder app)
    {
        app.MapServicePrincipalResources();
        app.MapOAuthToken();
        return app;
    }

    /// <summary><c>/tollgate/servicePrincipals[/{clientId}]</c>: list, get, create or rotate, revoke.</summary>
    public static IEndpointRouteBuilder MapServicePrincipalResources(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, (HttpContext http, [FromServices] ServicePrincipals principals) => ManagementEndpoints.Handle(http, async ct =>
        {
            var list = new JsonArray();
            foreach (var p in await principals.ListAsync(ct))
            {
                list.Add(ToJson(p, null));
            }

            return Results.Json(new JsonObject { ["value"] = list, ["count"] = list.Count, ["nextLink"] = null });
        }))
            .Documented("ServicePrincipal_List", "Lists the service principals (without secrets).", ManagementOpenApi.Collection("ServicePrincipal"));
        app.MapGet(Path + "/{clientId}", (HttpContext http, string clientId, [FromServices] ServicePrincipals principals) => ManagementEndpoints.Handle(http, async ct =>
            await principals.GetAsync(clientId, ct) is { } p ? Results.Json(ToJson(p, null)) : throw ArmException.NotFound("ServicePrincipal")))
            .Documented("ServicePrincipal_Get", "Gets a service principal (without its secret).", ManagementOpenApi.Ref("ServicePrincipalContract"));
        app.MapPut(Path + "/{clientId}", (HttpContext http, string clientId, [FromServices] ServicePrincipals principals) => ManagementEndpoints.Handle(http, async ct =>
        {
            var body = await ManagementEndpoints.ReadBodyAsync(http, ct);
            if (body["properties"] is { } props && props is not JsonObject)
            {
                throw ArmException.Validation("properties", "'properties' must be an object such as {\"displayName\":\"ci pipeline\"}.");
            }

            var displayName = body["properties"]?["displayName"] switch
            {
                null => null,
                JsonValue v when v.TryGetValue<string>(out var text) && text.Length is > 0 and <= 300 => text,
                _ => throw ArmException.Validation("properties.displayName", "'displayName' must be a string of 1 to 300 characters."),
            };
            var (principal, secret, created) = await principals.PutAsync(clientId, displayName, ct);
            return Results.Json(ToJson(principal, secret), statusCode: created ? 201 : 200);
        }))
            .Documented("ServicePrincipal_CreateOrUpdate", "Creates a service principal, or rotates its secret; the answer carries the new client secret, shown once.",
                ManagementOpenApi.Ref("ServicePrincipalContract"), body: "ServicePrincipalContract", created: true);
        app.MapDelete(Path + "/{clientId}", (HttpContext http, string clientId, [FromServices] ServicePrincipals principals) => ManagementEndpoints.Handle(http, async ct =>
            await principals.DeleteAsync(clientId, ct) ? Results.Ok() : Results.NoContent()))
            .Documented("ServicePrincipal_Delete", "Revokes a service principal: its secret and the tokens issued to it stop working at once.", null);
        return app;
    }

    /// <summary>
    /// <c>POST /oauth2/v2.0/token</c>: OAuth 2.0 client credentials (RFC 6749 §4.4), not an ARM resource — no
    /// api-version, no Authorization, a form body; <see cref="ManagementOpenApi"/> documents it on its own.
    /// </summary>
    public static IEndpointRouteBuilder MapOAuthToken(this IEndpointRouteBuilder app)
    {
        app.MapPost("/oauth2/v2.0/token", async (HttpContext http, ServicePrincipals principals) =>
        {
            // RFC 6749 §4.4 and §5.2: a form body; errors as {"error","error_description"}.
            if (!http.Request.HasFormContentType)
            {
                return OAuthError(400, "invalid_request", "The token request must be application/x-www-form-urlencoded.");
            }

            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            if (form["grant_type"] != "client_credentials")
            {
                return OAuthError(400, "unsupported_grant_type", "Only grant_type=client_credentials is supported.");
            }

            var clientId = form["client_id"].ToString();
            var secret = form["client_secret"].ToString();
            if (clientId.Length == 0 || secret.Length == 0)
            {
                return OAuthError(400, "invalid_request", "client_id and client_secret are required.");
            }

            var token = await principals.IssueTokenAsync(clientId, secret, http.RequestAborted);
            return token is null
                ? OAuthError(401, "invalid_client", "Unknown client_id or wrong client_secret.")
                : Results.Json(new JsonObject
                {
                    ["token_type"] = "Bearer",
                    ["expires_in"] = (int)ServicePrincipals.TokenLifetime.TotalSeconds,
                    ["access_token"] = token,
                });
        }).DisableAntiforgery();
        return app;
    }

    private static IResult OAuthError(int status, string error, string description) =>
        Results.Json(new JsonObject { ["error"] = error, ["error_description"] = description }, statusCode: status);

    private static JsonObject ToJson(ServicePrincipals.Principal p, string? secret)
    {
        var properties = new JsonObject { ["displayName"] = p.DisplayName, ["createdDate"] = p.Created.UtcDateTime.ToString("O") };
        if (secret is not null)
        {
            // Shown once, on the PUT that made it; never again.
            properties["clientSecret"] = secret;
        }

        return new JsonObject { ["id"] = $"{Path}/{p.ClientId}", ["name"] = p.ClientId, ["type"] = "Tollgate/servicePrincipals", ["properties"] = properties };
    }
}
