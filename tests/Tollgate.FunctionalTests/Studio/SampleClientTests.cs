using System.Diagnostics;
using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Studio;

/// <summary>The tutorial's two sample clients (<c>samples/rrs.py</c>, <c>samples/bes.py</c>) run as printed, with only the URL and keys set.</summary>
public sealed class SampleClientTests
{
    private static string Samples()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "samples", "rrs.py")))
            {
                return Path.Combine(dir.FullName, "samples");
            }
        }

        throw new InvalidOperationException("samples/ not found above the test binaries.");
    }

    /// <summary>The first python3 that has <c>requests</c> (scripts/test.sh installs python3-requests when none has).</summary>
    private static string Python()
    {
        foreach (var candidate in new[] { "python3", "/usr/bin/python3" })
        {
            try
            {
                using var probe = Process.Start(new ProcessStartInfo(candidate, ["-c", "import requests"]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
                probe.WaitForExit(30_000);
                if (probe.ExitCode == 0)
                {
                    return candidate;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed; try the next.
            }
        }

        throw new InvalidOperationException("No python3 with the requests package: run scripts/test.sh (it installs python3-requests).");
    }

    internal static async Task<(int Code, string Output)> RunAsync(string script, Dictionary<string, string> environment, string workingDirectory)
    {
        var info = new ProcessStartInfo(Python(), [Path.Combine(Samples(), script)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var (k, v) in environment)
        {
            info.Environment[k] = v;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task RrsSample_PrintsTheHashedFeatures()
    {
        await using var host = await StudioHost.StartAsync();
        var service = await host.PublishTutorialAsync();

        var (code, output) = await RunAsync("rrs.py", new()
        {
            ["RRS_URL"] = service.ApiLocation + "/execute?api-version=2.0&details=true",
            ["API_KEY"] = service.PrimaryKey,
        }, host.DataDirectory);

        Assert.True(code == 0, output);
        var values = JsonNode.Parse(output)!["Results"]!["output1"]!["value"]!["Values"]![0]!.AsArray().Select(v => (string)v!);
        Assert.Equal(["This is a good day", "1", "1", "2", "2", "0", "2", "0", "1"], values);
    }

    [Fact]
    public async Task BesSample_UploadsSubmitsStartsPollsAndDownloads()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        await using var host = await StudioHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Studio:AllowedStorageHosts"] = $"127.0.0.1:{azurite.Port}" });
        var service = await host.PublishTutorialAsync();
        var work = Directory.CreateTempSubdirectory("tollgate-bes-sample-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(work, "input.csv"), "Col1,Col2\n5,This is a good day\n4,I loved this book\n");

            var (code, output) = await RunAsync("bes.py", new()
            {
                ["BES_URL"] = service.ApiLocation,
                ["API_KEY"] = service.PrimaryKey,
                ["STORAGE_CONNECTION_STRING"] = azurite.ConnectionString,
                ["STORAGE_CONTAINER"] = "samples",
                ["INPUT_FILE"] = "input.csv",
                ["OUTPUT_FILE"] = "myresults.csv",
            }, work);

            Assert.True(code == 0, output);
            Assert.Contains("finished!", output);
            var lines = (await File.ReadAllTextAsync(Path.Combine(work, "myresults.csv"))).TrimEnd('\n').Split('\n');
            Assert.Equal(3, lines.Length);
            Assert.Equal("This is a good day,1,1,2,2,0,2,0,1", lines[1]);
            Assert.Equal("I loved this book,0,1,1,2,1,0,2,0", lines[2]);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
