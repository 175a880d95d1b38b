using Tollgate.Core.Policies.Definitions.MockResponse;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.MockResponse;

/// <summary>Builds <see cref="MockResponseHandler"/>.</summary>
internal sealed class MockResponseHandlerFactory() : PolicyHandlerFactory<MockResponseConfig>(MockResponsePolicy.Instance)
{
    public override PolicyHandler Build(MockResponseConfig config, PolicyBuildContext context) =>
        new MockResponseHandler(context.Location, config.StatusCode, config.ContentType);
}
