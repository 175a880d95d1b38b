using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Tollgate.BrowserTests.Infrastructure;
using Tollgate.Demo;
using Tollgate.Studio.Api;
using Tollgate.Tests.Common;
using Xunit.Abstractions;

namespace Tollgate.BrowserTests;

/// <summary>The portal's world plus a real Azurite that Studio's BES may read and write (the BES samples' blob storage).</summary>
public sealed class StudioSamplesFixture : PortalFixture
{
    public AzuriteServer Azurite { get; private set; } = null!;

    protected override async Task<IReadOnlyDictionary<string, string?>> ExtraSettingsAsync()
    {
        Azurite = await AzuriteServer.StartAsync();
        return new Dictionary<string, string?> { ["Tollgate:Studio:AllowedStorageHosts"] = $"127.0.0.1:{Azurite.Port}" };
    }

    protected override async Task DisposeExtrasAsync()
    {
        if (Azurite is not null)
        {
            await Azurite.DisposeAsync();
        }
    }
}

/// <summary>
/// The web service dashboard's sample code, copied from the page exactly as printed (URL and key filled in) and run
/// against the real Studio: RRS and BES in Python and C# (<c>dotnet run</c> of a file-based app); R with Rscript when
/// it is installed. The BES jobs the samples ran show on the dashboard with their states.
/// </summary>
public sealed class StudioSampleCodeTests(StudioSamplesFixture portal, ITestOutputHelper output) : IClassFixture<StudioSamplesFixture>
{
    private static readonly string[] Expected = ["This is a good day", "1", "1", "2", "2", "0", "2", "0", "1"];

    private async Task<(PortalPage Page, StudioTutorialSetup.Published Service)> OpenSamplesAsync(string test)
    {
        var token = portal.Host.Server.StudioServices!.GetRequiredService<StudioWorkspace>().Current.AuthorizationToken;
        using var http = new HttpClient();
        var service = await StudioTutorialSetup.RunAsync(http, portal.Host.Server.Settings.Studio.Url, token, CancellationToken.None);
        var p = await portal.NewPageAsync(test);
        await p.Page.GotoAsync($"/studio/services/{service.ServiceId}/samples");
        await p.Page.GetByLabel("Workspace authorization token").FillAsync(token);
        await p.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await p.Page.WaitForURLAsync($"**/studio/services/{service.ServiceId}/samples");
        return (p, service);
    }

    /// <summary>Opens the sample's tab and returns its code as the page prints it.</summary>
    private static async Task<string> SampleAsync(PortalPage p, string tab)
    {
        await p.Page.GetByRole(AriaRole.Navigation, new() { Name = "Sample" }).GetByRole(AriaRole.Link, new() { Name = tab, Exact = true }).ClickAsync();
        await Assertions.Expect(p.Page.GetByRole(AriaRole.Heading, new() { Name = tab })).ToBeVisibleAsync();
        await p.CheckAsync(tab.Replace(" · ", "-", StringComparison.Ordinal).ToLowerInvariant());
        return await p.Page.Locator("#sample-code").TextContentAsync() ?? "";
    }

    private static async Task<(int Code, string Output)> RunAsync(string program, IEnumerable<string> arguments, string directory, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory };
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[k] = v;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string? OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    private static IEnumerable<string> Values(string output)
    {
        var json = output[output.IndexOf('{', StringComparison.Ordinal)..];
        return JsonNode.Parse(json)!["Results"]!["output1"]!["value"]!["Values"]![0]!.AsArray().Select(v => (string)v!);
    }

    [Fact]
    public async Task RrsSamples_InPythonCSharpAndR_RunAsPrinted_AndPrintTheHashedFeatures()
    {
        var (p, service) = await OpenSamplesAsync(nameof(RrsSamples_InPythonCSharpAndR_RunAsPrinted_AndPrintTheHashedFeatures));
        await using var _ = p;
        var work = Directory.CreateTempSubdirectory("tollgate-rrs-samples-").FullName;
        try
        {
            var python = await SampleAsync(p, "RRS · Python");
            Assert.Contains(service.ApiLocation + "/execute?api-version=2.0&details=true", python);
            Assert.Contains(service.PrimaryKey, python);
            await File.WriteAllTextAsync(Path.Combine(work, "rrs.py"), python);
            var (code, printed) = await RunAsync("python3", ["rrs.py"], work);
            Assert.True(code == 0, printed);
            Assert.Equal(Expected, Values(printed));

            var csharp = await SampleAsync(p, "RRS · C#");
            await File.WriteAllTextAsync(Path.Combine(work, "rrs.cs"), csharp);
            (code, printed) = await RunAsync("dotnet", ["run", "rrs.cs"], work);
            Assert.True(code == 0, printed);
            Assert.Equal(Expected, Values(printed));

            var r = await SampleAsync(p, "RRS · R");
            Assert.Contains(service.PrimaryKey, r);
            await File.WriteAllTextAsync(Path.Combine(work, "rrs.R"), r);
            if (OnPath("Rscript") is null)
            {
                output.WriteLine("The R sample did not run: Rscript is not installed (apt-get install r-base-core r-cran-httr r-cran-jsonlite).");
                return;
            }

            (code, printed) = await RunAsync("Rscript", ["rrs.R"], work);
            Assert.True(code == 0, printed);
            Assert.Equal(Expected, Values(printed));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task BesSamples_InPythonAndCSharp_RunAsPrinted_AndTheirJobsShowOnTheDashboard()
    {
        var (p, service) = await OpenSamplesAsync(nameof(BesSamples_InPythonAndCSharp_RunAsPrinted_AndTheirJobsShowOnTheDashboard));
        await using var _ = p;
        var work = Directory.CreateTempSubdirectory("tollgate-bes-samples-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(work, "input.csv"), "Col2\nThis is a good day\nI loved this book\n");
            var storage = new Dictionary<string, string>
            {
                ["STORAGE_CONNECTION_STRING"] = portal.Azurite.ConnectionString,
                ["STORAGE_CONTAINER"] = "samples",
            };

            var python = await SampleAsync(p, "BES · Python");
            Assert.Contains(service.PrimaryKey, python);
            await File.WriteAllTextAsync(Path.Combine(work, "bes.py"), python);
            var (code, printed) = await RunAsync("python3", ["bes.py"], work, storage);
            Assert.True(code == 0, printed);
            Assert.Contains("finished!", printed);
            var lines = (await File.ReadAllTextAsync(Path.Combine(work, "myresults.csv"))).TrimEnd('\n').Split('\n');
            Assert.Equal("This is a good day,1,1,2,2,0,2,0,1", lines[1]);
            Assert.Equal("I loved this book,0,1,1,2,1,0,2,0", lines[2]);

            var csharp = await SampleAsync(p, "BES · C#");
            await File.WriteAllTextAsync(Path.Combine(work, "bes.cs"), csharp);
            File.Delete(Path.Combine(work, "myresults.csv"));
            (code, printed) = await RunAsync("dotnet", ["run", "bes.cs"], work, storage);
            Assert.True(code == 0, printed);
            Assert.Contains("finished!", printed);
            lines = (await File.ReadAllTextAsync(Path.Combine(work, "myresults.csv"))).TrimEnd('\n').Split('\n');
            Assert.Equal("This is a good day,1,1,2,2,0,2,0,1", lines[1]);

            // Both jobs are on the dashboard, finished.
            await p.Page.GetByRole(AriaRole.Navigation, new() { Name = "Web service" }).GetByRole(AriaRole.Link, new() { Name = "Dashboard" }).ClickAsync();
            await Assertions.Expect(p.Page.Locator("#jobs tbody tr")).ToHaveCountAsync(2);
            await Assertions.Expect(p.Page.Locator("#jobs tbody tr").Nth(0)).ToContainTextAsync("Finished");
            await Assertions.Expect(p.Page.Locator("#jobs tbody tr").Nth(1)).ToContainTextAsync("Finished");
            await p.CheckAsync("dashboard-jobs");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
