using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Demo;
using Tollgate.Studio.WebServices;

namespace Tollgate.FunctionalTests.Infrastructure;

/// <summary>A test class over a running Studio with the tutorial's web service published (Feature Hashing of <c>Col2</c>).</summary>
public abstract class PublishedTutorialTests : IAsyncLifetime
{
    /// <summary>The tutorial's RRS request: one review.</summary>
    protected const string TutorialBody = """{"Inputs":{"input1":{"ColumnNames":["Col2"],"Values":[["This is a good day"]]}},"GlobalParameters":{}}""";

    /// <summary>Hooks into RRS calls (to hold a call in flight).</summary>
    protected RequestResponseHooks Hooks { get; } = new();

    protected StudioHost Host { get; private set; } = null!;

    protected StudioTutorialSetup.Published Service { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await StudioHost.StartAsync(configure: services => services.AddSingleton(Hooks));
        try
        {
            Service = await Host.PublishTutorialAsync();
        }
        catch
        {
            await Host.DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();

    protected string Execute(string query = "?api-version=2.0&details=true") => Host.ServicePath(Service.EndpointId) + "/execute" + query;

    /// <summary>The tutorial's call still answers 200: whatever the test did did not take the service down.</summary>
    protected async Task AssertStillServesAsync()
    {
        using var response = await Host.CallAsync(HttpMethod.Post, Execute(), Service.PrimaryKey, TutorialBody);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
