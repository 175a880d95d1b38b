using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Infrastructure;

/// <summary>
/// A test class over one running Tollgate with one API Management instance, a recording backend, and a subscription
/// key to all of the instance's APIs; with <paramref name="https"/>, the gateway also listens over HTTPS (its
/// self-signed certificate, <see cref="TollgateHost.GatewayHttps"/>).
/// </summary>
public abstract class GatewayServiceTests(string service, bool https = false) : IAsyncLifetime
{
    protected string Service { get; } = service;

    /// <summary>The instance's ARM path, <c>/subscriptions/…/service/{name}</c>.</summary>
    protected string Svc { get; } = TollgateHost.ServicePath(service);

    protected TollgateHost Host { get; private set; } = null!;

    protected RecordingBackend Backend { get; private set; } = null!;

    /// <summary>The primary key of a subscription to all APIs.</summary>
    protected string Key { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Backend = await RecordingBackend.StartAsync();
        try
        {
            Host = await TollgateHost.StartAsync(https: https);
            await Host.CreateServiceAsync(Service);
            Key = await Host.CreateSubscriptionAsync(Service, "all", "/apis");
        }
        catch
        {
            // xUnit does not call DisposeAsync when InitializeAsync fails.
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        await Backend.DisposeAsync();
    }
}
