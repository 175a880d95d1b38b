using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Hosting;
using Tollgate.Management.Services;

namespace Tollgate.FunctionalTests.Management;

/// <summary>
/// The portal on its own (<c>--roles portal</c>): it reaches management only over HTTP, signing with the tenant key
/// it is given, so the administrator signs in and sees management's instances; without that key it does not start.
/// </summary>
public sealed partial class PortalRoleTests
{
    [Fact]
    public async Task PortalAlone_SignsInThroughManagement_AndShowsItsInstances()
    {
        var portalData = Directory.CreateTempSubdirectory("tollgate-portal-").FullName;
        try
        {
            await using var management = await TollgateHost.StartAsync(new Dictionary<string, string?> { ["Tollgate:Roles"] = "management" });
            await management.CreateServiceAsync("far-away");
            var keys = await management.Server.TenantAccess!.GetAsync();
            var password = management.Server.Services!.GetRequiredService<PortalAdministrator>().ReadInitialPassword()!;
            var settings = new Dictionary<string, string?>
            {
                ["Tollgate:Roles"] = "portal",
                ["Tollgate:DataDirectory"] = portalData,
                ["Tollgate:Portal:Url"] = "http://127.0.0.1:0",
                ["Tollgate:Portal:ManagementUrl"] = management.Server.Settings.Management.Url,
                ["Tollgate:Portal:ManagementKey"] = keys.SecondaryKey,
                ["Tollgate:Portal:SubscriptionId"] = "sub1",
                ["Tollgate:Portal:ResourceGroup"] = "rg1",
                ["Logging:LogLevel:Default"] = "Warning",
            };
            await using var portal = await TollgateServer.StartAsync(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
            Assert.Null(portal.Store);
            Assert.False(File.Exists(Path.Combine(portalData, "tollgate.db")));

            using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = new Uri(portal.Settings.Portal.Url) };
            var form = await browser.GetStringAsync("/admin/signin");
            var token = AntiforgeryField().Match(form).Groups[1].Value;
            Assert.NotEqual("", token);
            using var signedIn = await browser.PostAsync("/admin/signin", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "signin",
                ["__RequestVerificationToken"] = token,
                ["Input.UserName"] = "1",
                ["Input.Password"] = password,
            }));
            var page = await signedIn.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
            Assert.Equal("/admin", signedIn.RequestMessage!.RequestUri!.AbsolutePath);
            Assert.Contains("API management instances", page, StringComparison.Ordinal);
            Assert.Contains("/admin/far-away/apis", page, StringComparison.Ordinal);

            // The portal serves the instance its host name names: {name}.portal.{suffix} and the instance's custom
            // Portal host names open that instance; a host name no instance has is a 404 naming it.
            await management.OkAsync(HttpMethod.Patch, TollgateHost.ServicePath("far-away"), new
            {
                properties = new { hostnameConfigurations = new[] { new { type = "Portal", hostName = "portal.contoso.example" } } },
            });
            using var byHost = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(portal.Settings.Portal.Url) };
            foreach (var host in new[] { "far-away.portal.localhost", "portal.contoso.example" })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/admin") { Headers = { Host = host } };
                using var response = await byHost.SendAsync(request);
                Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
                Assert.Equal("/admin/far-away/dashboard", response.Headers.Location?.OriginalString);
            }

            using var unknown = new HttpRequestMessage(HttpMethod.Get, "/admin") { Headers = { Host = "nowhere.portal.localhost" } };
            using var notFound = await byHost.SendAsync(unknown);
            Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
            Assert.Contains("No API Management instance is served at nowhere.portal.localhost.", await notFound.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(portalData, recursive: true);
        }
    }

    [Fact]
    public async Task PortalAlone_WithoutTheManagementKey_DoesNotStart_AndSaysWhatIsMissing()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tollgate:Roles"] = "portal",
            ["Tollgate:DataDirectory"] = Path.Combine(Path.GetTempPath(), "tollgate-portal-none"),
            ["Tollgate:Portal:Url"] = "http://127.0.0.1:0",
            ["Tollgate:Portal:ManagementUrl"] = "http://127.0.0.1:5081",
        }).Build();

        var ex = await Assert.ThrowsAsync<StartupException>(() => TollgateServer.StartAsync(configuration));
        Assert.Contains("Tollgate:Portal:ManagementKey", ex.Message, StringComparison.Ordinal);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
