using Microsoft.AspNetCore.Http;
using Tollgate.Management.Services;

namespace Tollgate.Management.Api;

/// <summary>APIM's revisions and releases of APIs (version sets are plain entities: <c>apiVersionSets/{id}</c>).</summary>
public static partial class ManagementEndpoints
{
    /// <summary>
    /// Resolves <c>apis/{apiId};rev={n}</c> to where the revision is stored: the API itself when n is its current
    /// revision, else <c>{apiId};rev={n}</c>. An API's revisions and releases (<c>apis/{apiId};rev={n}/revisions</c>) are
    /// the API's. True when the path addressed a revision.
    /// </summary>
    private static async Task<bool> ResolveApiRevisionAsync(string[] segments, ServiceScope scope, ResourceService resources, CancellationToken ct)
    {
        if (segments is not ["apis", var raw, ..] || raw.IndexOf(";rev=", StringComparison.OrdinalIgnoreCase) is var at && at <= 0)
        {
            return false;
        }

        if (segments is [_, _, "revisions" or "releases", ..])
        {
            segments[1] = raw[..at];
            return false;
        }

        segments[1] = await resources.ResolveApiIdAsync(scope, raw, ct);
        return true;
    }

    /// <summary>Revisions (<c>GET apis/{id}/revisions</c>), releases (<c>apis/{id}/releases[/{releaseId}]</c>) and the delete of a current revision; null for any other path.</summary>
    private static async Task<IResult?> VersionsAsync(HttpContext http, string method, ServiceScope scope, string[] segments, bool revisionAddressed,
        ResourceService resources, string? filter, int? top, int? skip, string? ifMatch, CancellationToken ct)
    {
        switch (segments)
        {
            case ["apis", var current] when method == "DELETE" && revisionAddressed && current.IndexOf(";rev=", StringComparison.OrdinalIgnoreCase) < 0:
                return await resources.DeleteCurrentRevisionAsync(scope, current, ifMatch, ct) ? Results.Ok() : Results.NoContent();
            case ["apis", var api, "revisions"] when method == "GET":
                return Page(await resources.ListRevisionsAsync(scope, api, filter, top, skip, ct), http);
            case ["apis", var api, "releases"] when method == "GET":
                return Page(await resources.ListReleasesAsync(scope, api, filter, top, skip, ct), http);
            case ["apis", var api, "releases", var release]:
                switch (method)
                {
                    case "GET":
                    case "HEAD":
                        var (body, etag) = await resources.GetReleaseAsync(scope, api, release, ct);
                        return Resource(body, etag, 200);
                    case "PUT":
                    case "PATCH":
                        var put = await resources.PutReleaseAsync(scope, api, release, await ReadBodyAsync(http, ct), ifMatch, merge: method == "PATCH", ct);
                        return Resource(put.Body, put.ETag, put.Created && method == "PUT" ? 201 : 200);
                    case "DELETE":
                        return await resources.DeleteReleaseAsync(scope, api, release, ifMatch, ct) ? Results.Ok() : Results.NoContent();
                    default:
                        return MethodNotAllowed();
                }

            default:
                return null;
        }
    }
}
