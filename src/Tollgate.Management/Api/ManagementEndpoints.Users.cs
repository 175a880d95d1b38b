using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Tollgate.Management.Services;

namespace Tollgate.Management.Api;

/// <summary>Users' sub-resources that are not links: <c>users/{id}/identities</c>.</summary>
public static partial class ManagementEndpoints
{
    /// <summary>
    /// APIM's <c>GET users/{id}/identities</c> (UserIdentities_List): how the user signs in, <c>{value:[{provider, id}],
    /// count, nextLink}</c>. The identities the user was written with, else <c>Basic</c> with the user's e-mail (the
    /// developer portal's e-mail and password, every account here has one); 404 when there is no such user.
    /// </summary>
    private static async Task<IResult> UserIdentitiesAsync(ServiceScope scope, string userId, ResourceService resources, CancellationToken ct)
    {
        var (user, _) = await resources.GetAsync(scope, ResourceKind.User, "", userId, ct);
        var properties = user["properties"] as JsonObject;
        var identities = new JsonArray();
        foreach (var identity in (properties?["identities"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            identities.Add(new JsonObject { ["provider"] = identity["provider"]?.DeepClone(), ["id"] = identity["id"]?.DeepClone() });
        }

        if (identities.Count == 0)
        {
            identities.Add(new JsonObject { ["provider"] = "Basic", ["id"] = properties?["email"]?.DeepClone() });
        }

        return Json(new JsonObject { ["value"] = identities, ["count"] = identities.Count, ["nextLink"] = null });
    }
}
