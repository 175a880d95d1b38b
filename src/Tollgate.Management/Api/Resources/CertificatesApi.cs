using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tollgate.Management.Services;
using static Tollgate.Management.Api.ManagementEndpoints;
using static Tollgate.Management.Api.ManagementOpenApi;

namespace Tollgate.Management.Api.Resources;

/// <summary>
/// APIM's <c>certificates</c>: <c>GET certificates</c> (<c>$filter</c> on name, subject, thumbprint, expirationDate;
/// <c>$top</c>, <c>$skip</c>), <c>GET/HEAD/PUT/DELETE certificates/{certificateId}</c> (no PATCH: APIM has none) and
/// <c>POST certificates/{certificateId}/refreshSecret</c>.
/// </summary>
internal static class CertificatesApi
{
    private const string What = "client certificates presented to backends (authentication-certificate, backends' credentials.certificateIds); PUT takes data (base64 PFX) and password, GET shows subject, thumbprint and expirationDate only. keyVault is refused (400 naming it); one a backend or a policy uses is not deleted (409 naming them)";

    public static RouteGroupBuilder MapCertificatesApi(this RouteGroupBuilder group)
    {
        group.MapArm(HttpMethods.Get, "certificates", async (ArmRequest arm) =>
        {
            // No certificate comes from Key Vault, so none failed a Key Vault refresh.
            var failedOnly = string.Equals(arm.Query("isKeyVaultRefreshFailed"), "true", StringComparison.OrdinalIgnoreCase);
            return Page(await arm.Resources.ListAsync(arm.Scope, ResourceKind.Certificate, "", arm.Filter, arm.Top, arm.Skip, arm.Ct, where: failedOnly ? _ => false : null), arm.Http);
        }).Documented("Certificate_ListByService", $"Lists {What}; supports $filter, $top and $skip, with nextLink for the next page.", Collection("CertificateContractProperties"), list: true);
        group.MapArm(HttpMethods.Get, "certificates/{certificateId}", async (ArmRequest arm) =>
        {
            var (body, etag) = await arm.Resources.GetAsync(arm.Scope, ResourceKind.Certificate, "", arm.Route("certificateId"), arm.Ct);
            return Resource(body, etag, 200);
        }).DocumentedGet("Certificate", "CertificateContractProperties", What);
        group.MapArm(HttpMethods.Put, "certificates/{certificateId}", async (ArmRequest arm) =>
        {
            var put = await arm.Resources.PutCertificateAsync(arm.Scope, arm.Route("certificateId"), await arm.BodyAsync(), arm.IfMatch, arm.Ct);
            return Resource(put.Body, put.ETag, put.Created ? 201 : 200);
        }).DocumentedPut("Certificate", "CertificateContractProperties", What);
        group.MapArm(HttpMethods.Delete, "certificates/{certificateId}", async (ArmRequest arm) =>
        {
            var id = arm.Route("certificateId");
            return await arm.Resources.DeleteCertificateAsync(arm.Scope, id, thumbprint => arm.Policies.CertificateReferencesAsync(arm.Scope, id, thumbprint, arm.Ct), arm.IfMatch, arm.Ct)
                ? Results.Ok()
                : Results.NoContent();
        }).DocumentedDelete("Certificate", What);
        group.MapArm(HttpMethods.Post, "certificates/{certificateId}/refreshSecret", async (ArmRequest arm) =>
            Json(await arm.Resources.RefreshCertificateSecretAsync(arm.Scope, arm.Route("certificateId"), arm.Ct)))
            .Documented("Certificate_RefreshSecret", "APIM refreshes a Key Vault certificate here. No certificate here comes from Key Vault: always 400 ValidationError naming 'keyVault' (404 when the certificate does not exist).", Ref("CertificateContractPropertiesContract"));
        return group;
    }
}
