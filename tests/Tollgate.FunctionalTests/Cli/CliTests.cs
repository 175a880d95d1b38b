using System.Diagnostics;
using System.Text.Json.Nodes;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Cli;

/// <summary>The <c>tollgate</c> executable as a user runs it: help, demo, the printed curl line, token, Ctrl+C.</summary>
public sealed class CliTests
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "tollgate.dll");

    private static ProcessStartInfo Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["NO_COLOR"] = "1";
        info.Environment["COLUMNS"] = "200";
        return info;
    }

    private static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        using var process = Process.Start(Start(args))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await output + await error);
    }

    [Theory]
    [InlineData(new string[] { "--help" }, new[] { "run", "demo", "token", "openapi", "Studio" })]
    [InlineData(new[] { "run", "--help" }, new[] { "--roles", "--data-dir", "studio" })]
    [InlineData(new[] { "demo", "--help" }, new[] { "tutorial", "--data-dir" })]
    [InlineData(new[] { "token", "--help" }, new[] { "--lifetime" })]
    public async Task Help_DescribesEveryCommand(string[] args, string[] expected)
    {
        var (code, output) = await RunAsync(args);

        Assert.Equal(0, code);
        Assert.All(expected, e => Assert.Contains(e, output));
    }

    [Fact]
    public async Task Token_LifetimeLongerThan30Days_IsRefused_30DaysWorks()
    {
        var data = Directory.CreateTempSubdirectory("tollgate-token-").FullName;
        try
        {
            var (code, output) = await RunAsync("token", "--data-dir", data, "--lifetime", "3650.00:00:00");
            Assert.Equal(1, code);
            Assert.Contains("at most 30 days", output, StringComparison.Ordinal);
            var (ok, token) = await RunAsync("token", "--data-dir", data, "--lifetime", "30.00:00:00");
            Assert.Equal(0, ok);
            Assert.StartsWith("SharedAccessSignature uid=", token.Trim(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Demo_PrintsAWorkingCurlLine_TokenWorks_AndCtrlCStopsCleanly()
    {
        var data = Directory.CreateTempSubdirectory("tollgate-demo-").FullName;
        var (http, https, management, studio, azurite) = (FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next());
        var info = Start("demo", "--data-dir", data);
        info.Environment["Tollgate__Gateway__HttpUrl"] = $"http://127.0.0.1:{http}";
        info.Environment["Tollgate__Gateway__HttpsUrl"] = $"https://127.0.0.1:{https}";
        info.Environment["Tollgate__Management__Url"] = $"http://127.0.0.1:{management}";
        info.Environment["Tollgate__Studio__Url"] = $"http://127.0.0.1:{studio}";
        info.Environment["Tollgate__Demo__AzuritePort"] = azurite.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            var lines = new List<string>();
            while (await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line)
            {
                lines.Add(line);
                if (line.Contains("Press Ctrl+C", StringComparison.Ordinal))
                {
                    break;
                }
            }

            var output = string.Join('\n', lines);
            Assert.True(lines.Any(l => l.Contains("Press Ctrl+C")), output);
            Assert.Contains($"https://127.0.0.1:{https}", output);
            Assert.Contains($"http://127.0.0.1:{management}", output);
            Assert.Contains("Admin primary key", output);
            Assert.Matches("Starter subscription key[^0-9a-f]+[0-9a-f]{32}", output);
            var curl = lines.Single(l => l.StartsWith("curl ", StringComparison.Ordinal));
            var token = lines.Single(l => l.StartsWith("SharedAccessSignature ", StringComparison.Ordinal));

            // The curl line, pasted into a shell as printed.
            using var shell = Process.Start(new ProcessStartInfo("bash", ["-c", curl + " --silent --show-error"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var body = await shell.StandardOutput.ReadToEndAsync();
            await shell.WaitForExitAsync();
            Assert.True(shell.ExitCode == 0, await shell.StandardError.ReadToEndAsync());
            // Through the gateway to the Studio web service of TUTORIAL Part 1: the hashed features of the tutorial.
            var values = JsonNode.Parse(body)!["Results"]!["output1"]!["value"]!["Values"]![0]!.AsArray().Select(v => (string?)v);
            Assert.Equal(["This is a good day", "1", "1", "2", "2", "0", "2", "0", "1"], values);
            Assert.Matches("Workspace id[^0-9a-f]+[0-9a-f]{32}", output);
            Assert.Matches("Service id[^0-9a-f]+[0-9a-f]{32}", output);
            Assert.Contains("ML API key", output);
            Assert.Contains("Azurite", output);

            // The printed token and one from `tollgate token` both open the management API.
            var (tokenCode, tokenOutput) = await RunAsync("token", "--data-dir", data, "--lifetime", "01:00:00");
            Assert.Equal(0, tokenCode);
            foreach (var t in new[] { token, tokenOutput.Trim() })
            {
                using var client = new HttpClient();
                client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", t);
                using var response = await client.GetAsync($"http://127.0.0.1:{management}/subscriptions/demo/resourceGroups/tollgate/providers/Microsoft.ApiManagement/service/demoazureml/apis/azureml-demo/operations?api-version=2022-08-01");
                Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(5, (int)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["count"]!);
            }

            // Ctrl+C (SIGINT) stops it cleanly.
            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, process.ExitCode);
            Assert.DoesNotContain("Unhandled exception", await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            Directory.Delete(data, recursive: true);
        }
    }
}
