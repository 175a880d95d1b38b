using Tollgate.Core.Policies.Definitions.AuthenticationCertificate;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.AuthenticationCertificate;

/// <summary>Builds <see cref="AuthenticationCertificateHandler"/>.</summary>
internal sealed class AuthenticationCertificateHandlerFactory() : PolicyHandlerFactory<AuthenticationCertificateConfig>(AuthenticationCertificatePolicy.Instance)
{
    public override PolicyHandler Build(AuthenticationCertificateConfig config, PolicyBuildContext context) => new AuthenticationCertificateHandler(
        context.Location, context.Optional(config.Thumbprint), context.Optional(config.CertificateId), context.Optional(config.Body), context.Optional(config.Password));
}
