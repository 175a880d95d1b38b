namespace Tollgate.Core.Policies.Definitions.AuthenticationCertificate;

/// <summary>
/// <c>authentication-certificate</c> (inbound): the client certificate presented to the backend, by <c>thumbprint</c>
/// or <c>certificate-id</c> (an uploaded certificate), or given in <c>body</c> (a PFX as a byte array, or base64)
/// with its <c>password</c>. Every attribute may be an expression.
/// </summary>
public sealed class AuthenticationCertificatePolicy : PolicyDefinition<AuthenticationCertificateConfig>
{
    private AuthenticationCertificatePolicy()
    {
    }

    public static AuthenticationCertificatePolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "authentication-certificate",
        Sections = ["inbound"],
        Attributes = [new("thumbprint"), new("certificate-id"), new("body"), new("password")],
        Extra = (el, path, report) =>
        {
            var sources = new[] { "thumbprint", "certificate-id", "body" }.Count(a => el.GetAttribute(a) is not null);
            if (sources != 1)
            {
                report(path, "Policy 'authentication-certificate' requires exactly one of the attributes 'thumbprint', 'certificate-id' and 'body'.");
            }

            if (el.GetAttribute("password") is not null && el.GetAttribute("body") is null)
            {
                report(path, "Attribute 'password' of 'authentication-certificate' applies only with 'body' (an uploaded certificate needs none).");
            }
        },
    };

    public override AuthenticationCertificateConfig Parse(PolicyElement element) => new(
        element.OptionalSetting("thumbprint"), element.OptionalSetting("certificate-id"), element.OptionalSetting("body"), element.OptionalSetting("password"));
}
