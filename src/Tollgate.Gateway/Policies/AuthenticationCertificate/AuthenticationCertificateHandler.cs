using Tollgate.Core.Gateway;
using Tollgate.Gateway.Hosting;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.AuthenticationCertificate;

/// <summary>
/// <c>authentication-certificate</c>: the client certificate the gateway presents to the backend in the TLS handshake,
/// an uploaded one (<c>certificates/{id}</c>) by <c>thumbprint</c> or <c>certificate-id</c>, or a PFX given in
/// <c>body</c> (a byte array, or base64 text) with its <c>password</c>. It wins over a backend's credentials. A
/// certificate that does not exist or cannot be read fails the call (500, LastError Reason <c>InvalidPolicyValue</c>).
/// </summary>
internal sealed class AuthenticationCertificateHandler(PolicyLocation location, PolicyValue? thumbprint, PolicyValue? certificateId, PolicyValue? body, PolicyValue? password)
    : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        context.Gateway.ClientCertificate = body is not null ? FromBody(context) : Uploaded(context);
        return Continue;
    }

    private BackendClientCertificate Uploaded(PolicyContext context)
    {
        var certificates = context.Gateway.State.Snapshot.Certificates;
        if (thumbprint is not null)
        {
            var wanted = thumbprint.GetString(context)?.Trim() ?? "";
            return Find(certificates, c => string.Equals(c.Thumbprint, wanted, StringComparison.OrdinalIgnoreCase))
                ?? throw new ArgumentException($"authentication-certificate: no certificate has the thumbprint '{wanted}'.");
        }

        var id = certificateId?.GetString(context)?.Trim() ?? "";
        return Find(certificates, c => string.Equals(c.Id, id, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"authentication-certificate: certificate '{id}' does not exist.");
    }

    private static BackendClientCertificate? Find(IReadOnlyList<GatewayClientCertificate> certificates, Func<GatewayClientCertificate, bool> match)
    {
        foreach (var certificate in certificates)
        {
            if (match(certificate))
            {
                return BackendClientCertificate.Of(certificate);
            }
        }

        return null;
    }

    private BackendClientCertificate FromBody(PolicyContext context)
    {
        var pfx = body!.GetObject(context) switch
        {
            byte[] bytes => bytes,
            string text when TryBase64(text, out var decoded) => decoded,
            null => throw new ArgumentException("authentication-certificate: 'body' gave no certificate."),
            var other => throw new ArgumentException($"authentication-certificate: 'body' must give the PFX as a byte array (or base64 text), not {other.GetType().Name}."),
        };
        return BackendClientCertificate.FromBody(pfx, password?.GetString(context));
    }

    private static bool TryBase64(string text, out byte[] bytes)
    {
        try
        {
            bytes = Convert.FromBase64String(text.Trim());
            return bytes.Length > 0;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }
}
