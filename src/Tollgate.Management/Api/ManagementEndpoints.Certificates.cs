using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Management.Services;

namespace Tollgate.Management.Api;

/// <summary>
/// APIM's <c>certificates</c>: <c>GET certificates</c> (<c>$filter</c> on name, subject, thumbprint, expirationDate;
/// <c>$top</c>, <c>$skip</c>), <c>GET/HEAD/PUT/DELETE certificates/{id}</c> and <c>POST certificates/{id}/refreshSecret</c>.
/// </summary>
public static partial class ManagementEndpoints
{
    private static async Task<IResult> CertificatesAsync(HttpContext http, string method, ServiceScope scope, string[] path, ResourceService resources,
        string? filter, int? top, int? skip, string? ifMatch, CancellationToken ct)
    {
        switch (path)
        {
            case [] when method == "GET":
                // No certificate comes from Key Vault, so none failed a Key Vault refresh.
                var failedOnly = string.Equals(http.Request.Query["isKeyVaultRefreshFailed"].FirstOrDefault(), "true", StringComparison.OrdinalIgnoreCase);
                return Page(await resources.ListAsync(scope, ResourceKind.Certificate, "", filter, top, skip, ct, where: failedOnly ? _ => false : null), http);
            case [var id, "refreshSecret"] when method == "POST":
                return Json(await resources.RefreshCertificateSecretAsync(scope, id, ct));
            case [var id]:
                switch (method)
                {
                    case "GET":
                    case "HEAD":
                        var (body, etag) = await resources.GetAsync(scope, ResourceKind.Certificate, "", id, ct);
                        return Resource(body, etag, 200);
                    case "PUT":
                        var put = await resources.PutCertificateAsync(scope, id, await ReadBodyAsync(http, ct), ifMatch, ct);
                        return Resource(put.Body, put.ETag, put.Created ? 201 : 200);
                    case "DELETE":
                        var policies = http.RequestServices.GetRequiredService<PolicyService>();
                        return await resources.DeleteCertificateAsync(scope, id, thumbprint => policies.CertificateReferencesAsync(scope, id, thumbprint, ct), ifMatch, ct)
                            ? Results.Ok()
                            : Results.NoContent();
                    default:
                        return MethodNotAllowed();
                }

            case [] or [_, _]:
                return MethodNotAllowed();
            default:
                throw new ArmException(404, "ResourceNotFound", $"The resource path 'certificates/{string.Join('/', path)}' is not part of the management API.");
        }
    }
}
