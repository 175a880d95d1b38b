using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Tollgate.Core.Gateway;
using Tollgate.Gateway;
using Tollgate.Gateway.Configuration;
using Tollgate.Gateway.Hosting;

namespace Tollgate.UnitTests.Gateway;

/// <summary>Which instance a request host name is for, and the certificate that covers every instance's own host name.</summary>
public sealed class GatewayInstancesTests
{
    private static readonly GatewayOptions Options = new() { HttpUrl = "http://127.0.0.1:5080", HttpsUrl = "https://gw.internal.example:5443" };

    private static GatewayState State(string name, params GatewayHostName[] hosts) =>
        GatewayState.Build(new GatewaySnapshot { Revision = 1, ServiceName = name, HostNames = hosts }, Options);

    [Theory]
    [InlineData("alpha.localhost", "alpha")]
    [InlineData("BETA.localhost", "beta")]
    [InlineData("api.contoso.com", "beta")]
    [InlineData("127.0.0.1", "alpha")]
    [InlineData("10.1.2.3", "alpha")]
    [InlineData("[::1]", "alpha")]
    [InlineData("localhost", "alpha")]
    [InlineData("gw.internal.example", "alpha")]
    [InlineData("alpha.localhost:5443", "alpha")]
    [InlineData("api.contoso.com:80", "beta")]
    [InlineData("127.0.0.1:5080", "alpha")]
    [InlineData("[::1]:5443", "alpha")]
    [InlineData("", "alpha")]
    public void HostNames_ResolveToTheirInstance_TheBareHostToTheDefault(string host, string expected)
    {
        var alpha = State("alpha");
        var beta = State("beta", new GatewayHostName { Type = "Proxy", HostName = "api.contoso.com" });
        var instances = GatewayInstances.Build([alpha, beta], Options, alpha, new Dictionary<string, X509Certificate2>());

        Assert.True(instances.TryResolve(host, out var state));
        Assert.Equal(expected, state.Snapshot.ServiceName);
    }

    [Theory]
    [InlineData("gamma.localhost")]
    [InlineData("portal.contoso.com")]
    [InlineData("alpha.localhost.evil.example")]
    [InlineData("gamma.localhost:5443")]
    public void UnknownHostNames_ResolveToNoInstance(string host)
    {
        var alpha = State("alpha");
        var beta = State("beta", new GatewayHostName { Type = "Portal", HostName = "portal.contoso.com" });
        var instances = GatewayInstances.Build([alpha, beta], Options, alpha, new Dictionary<string, X509Certificate2>());

        Assert.False(instances.TryResolve(host, out _));
    }

    [Fact]
    public void ACustomHostName_NeverTakesAnotherInstancesOwnName()
    {
        var alpha = State("alpha", new GatewayHostName { Type = "Proxy", HostName = "beta.localhost" });
        var beta = State("beta");
        var instances = GatewayInstances.Build([alpha, beta], Options, alpha, new Dictionary<string, X509Certificate2>());

        Assert.True(instances.TryResolve("beta.localhost", out var state));
        Assert.Equal("beta", state.Snapshot.ServiceName);
        Assert.Contains("beta.localhost", (IReadOnlySet<string>)instances.HttpOnlyHosts);
    }

    [Fact]
    public void GeneratedCertificate_CoversEveryInstanceHostName_AndIsKeptAcrossStarts()
    {
        var data = Directory.CreateTempSubdirectory("tollgate-cert-").FullName;
        try
        {
            var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
            using var first = GatewayCertificate.LoadOrCreate(new GatewayOptions(), data, time);
            Assert.True(first.MatchesHostname("myapim.localhost"));
            Assert.True(first.MatchesHostname("localhost"));
            Assert.True(first.MatchesHostname("127.0.0.1"));

            using var second = GatewayCertificate.LoadOrCreate(new GatewayOptions(), data, time);
            Assert.Equal(first.Thumbprint, second.Thumbprint);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
