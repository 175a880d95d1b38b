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

    /// <summary>
    /// Runs the command with SIGINT's default action restored (perl, which Debian always has, resets it and execs, so
    /// the pid is the command's). A process started in the background by a shell without job control (a CI script's
    /// <c>cmd &amp;</c>) ignores SIGINT, and so would every process it starts, this test's demo included: Ctrl+C is then
    /// never delivered, which says nothing about the demo.
    /// </summary>
    private static ProcessStartInfo WithDefaultInterrupt(ProcessStartInfo info)
    {
        var wrapped = new ProcessStartInfo("perl") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        wrapped.ArgumentList.Add("-e");
        wrapped.ArgumentList.Add("$SIG{INT} = 'DEFAULT'; exec { $ARGV[0] } @ARGV or die \"exec: $!\"");
        wrapped.ArgumentList.Add(info.FileName);
        foreach (var a in info.ArgumentList)
        {
            wrapped.ArgumentList.Add(a);
        }

        foreach (var (name, value) in info.Environment)
        {
            wrapped.Environment[name] = value;
        }

        return wrapped;
    }

    private static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync(Start(args));
        return (code, stdout + stderr);
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(ProcessStartInfo info)
    {
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await output, await error);
    }

    [Theory]
    [InlineData(new string[] { "--help" }, new[] { "run", "demo", "token", "openapi", "certificate", "Studio" })]
    [InlineData(new[] { "run", "--help" }, new[] { "--roles", "--data-dir", "studio" })]
    [InlineData(new[] { "demo", "--help" }, new[] { "tutorial", "--data-dir", "two-class" })]
    [InlineData(new[] { "token", "--help" }, new[] { "--lifetime" })]
    public async Task Help_DescribesEveryCommand(string[] args, string[] expected)
    {
        var (code, output) = await RunAsync(args);

        Assert.Equal(0, code);
        Assert.All(expected, e => Assert.Contains(e, output));
    }

    /// <summary>
    /// A running <c>tollgate demo</c>: standard output is read to the end in the background (a pipe nobody reads
    /// would block the process once full, and stopping would hang), its lines are kept.
    /// </summary>
    private sealed class Demo : IAsyncDisposable
    {
        private readonly List<string> _lines = [];
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Task _stdout;

        public Demo(ProcessStartInfo info)
        {
            Process = Process.Start(info)!;
            Stderr = Process.StandardError.ReadToEndAsync();
            _stdout = Task.Run(async () =>
            {
                while (await Process.StandardOutput.ReadLineAsync() is { } line)
                {
                    lock (_lines)
                    {
                        _lines.Add(line);
                    }

                    if (line.Contains("Press Ctrl+C", StringComparison.Ordinal))
                    {
                        _ready.TrySetResult();
                    }
                }

                _ready.TrySetException(new InvalidOperationException("the demo ended before it was ready:\n" + Output));
            });
        }

        public Process Process { get; }

        public Task<string> Stderr { get; }

        public string Output
        {
            get
            {
                lock (_lines)
                {
                    return string.Join('\n', _lines);
                }
            }
        }

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        /// <summary>Waits for the "Press Ctrl+C" line (the demo is set up) and returns what it printed.</summary>
        public async Task<string> ReadyAsync()
        {
            await _ready.Task.WaitAsync(TimeSpan.FromSeconds(180));
            return Output;
        }

        /// <summary>Ctrl+C (SIGINT), then the exit code.</summary>
        public async Task<int> InterruptAsync()
        {
            using (var kill = Process.Start("kill", ["-INT", Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await _stdout;
            return Process.ExitCode;
        }

        public async ValueTask DisposeAsync()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                await Process.WaitForExitAsync();
            }

            Process.Dispose();
        }
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

    private static (ProcessStartInfo Info, int Http, int Https, int Management, int Studio, int Azurite) DemoStart(string data) => DemoStart(data, out _);

    private static (ProcessStartInfo Info, int Http, int Https, int Management, int Studio, int Azurite) DemoStart(string data, out int managementHttps)
    {
        var (http, https, management, studio, azurite) = (FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next());
        managementHttps = FreePort.Next();
        var info = WithDefaultInterrupt(Start("demo", "--data-dir", data));
        info.Environment["Tollgate__Gateway__HttpUrl"] = $"http://127.0.0.1:{http}";
        info.Environment["Tollgate__Gateway__HttpsUrl"] = $"https://127.0.0.1:{https}";
        info.Environment["Tollgate__Management__Url"] = $"http://127.0.0.1:{management}";
        info.Environment["Tollgate__Management__HttpsUrl"] = $"https://127.0.0.1:{managementHttps}";
        info.Environment["Tollgate__Studio__Url"] = $"http://127.0.0.1:{studio}";
        info.Environment["Tollgate__Portal__Url"] = $"http://127.0.0.1:{FreePort.Next()}";
        info.Environment["Tollgate__Demo__AzuritePort"] = azurite.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return (info, http, https, management, studio, azurite);
    }

    [Fact]
    public async Task Demo_PrintsAWorkingCurlLine_TokenWorks_AndCtrlCStopsCleanly()
    {
        var data = Directory.CreateTempSubdirectory("tollgate-demo-").FullName;
        var (info, _, https, management, _, _) = DemoStart(data, out var managementHttps);
        await using var demo = new Demo(info);
        try
        {
            var output = await demo.ReadyAsync();
            var lines = demo.Lines;
            Assert.Contains($"https://127.0.0.1:{https}", output);
            Assert.Contains($"http://127.0.0.1:{management}", output);
            Assert.Contains("Admin primary key", output);
            Assert.Matches("Starter subscription key[^0-9a-f]+[0-9a-f]{32}", output);
            var curls = lines.Where(l => l.StartsWith("curl ", StringComparison.Ordinal)).ToArray();
            Assert.Equal(2, curls.Length);
            var curl = curls[0];
            var token = lines.Single(l => l.StartsWith("SharedAccessSignature ", StringComparison.Ordinal));

            // The curl line, pasted into a shell as printed.
            using var shell = Process.Start(new ProcessStartInfo("bash", ["-c", curl + " --silent --show-error"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var body = await shell.StandardOutput.ReadToEndAsync();
            await shell.WaitForExitAsync();
            Assert.True(shell.ExitCode == 0, await shell.StandardError.ReadToEndAsync());
            // Through the gateway to the Studio web service of the walkthrough's Part 1: the hashed features.
            var values = JsonNode.Parse(body)!["Results"]!["output1"]!["value"]!["Values"]![0]!.AsArray().Select(v => (string?)v);
            Assert.Equal(["This is a good day", "1", "1", "2", "2", "0", "2", "0", "1"], values);

            // The second curl line: the book review classifier through the same API, with its own ML API key.
            using var classify = Process.Start(new ProcessStartInfo("bash", ["-c", curls[1] + " --silent --show-error"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var classified = await classify.StandardOutput.ReadToEndAsync();
            await classify.WaitForExitAsync();
            Assert.True(classify.ExitCode == 0, await classify.StandardError.ReadToEndAsync());
            var scored = JsonNode.Parse(classified)!["Results"]!["output1"]!["value"]!;
            Assert.Equal(["Col2", "Scored Labels", "Scored Probabilities"], scored["ColumnNames"]!.AsArray().Select(c => (string?)c));
            Assert.Equal("positive", (string?)scored["Values"]![0]![1]);
            Assert.Contains("/azureml-demo/workspaces/", curls[1]);
            Assert.Matches("Classifier service id[^0-9a-f]+[0-9a-f]{32}", output);
            Assert.Matches("Workspace id[^0-9a-f]+[0-9a-f]{32}", output);
            Assert.Matches("Service id[^0-9a-f]+[0-9a-f]{32}", output);
            Assert.Contains("ML API key", output);
            Assert.Contains("BES default storage: Azurite", output);

            // The publisher portal's address and the administrator's first password, which signs in.
            var portalUrl = System.Text.RegularExpressions.Regex.Match(output, @"Publisher portal\W+(http://127\.0\.0\.1:\d+)/admin").Groups[1].Value;
            var password = System.Text.RegularExpressions.Regex.Match(output, "Portal password\\W+([A-Za-z0-9]{20})").Groups[1].Value;
            Assert.NotEqual("", portalUrl);
            Assert.NotEqual("", password);
            Assert.Matches("Portal user\\W+1\\W", output);
            using (var portal = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(portalUrl) })
            {
                using var signInPage = await portal.GetAsync("/admin/signin");
                Assert.Equal(System.Net.HttpStatusCode.OK, signInPage.StatusCode);
                using var admin = new HttpClient();
                admin.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", token);
                using var signIn = await admin.PostAsync($"http://127.0.0.1:{management}/internal/administrator/signin?api-version=2022-08-01",
                    new StringContent($$"""{"userName":"1","password":"{{password}}"}""", System.Text.Encoding.UTF8, "application/json"));
                Assert.Equal(System.Net.HttpStatusCode.OK, signIn.StatusCode);
            }

            // The printed token and one from `tollgate token` both open the management API.
            var (tokenCode, tokenOutput) = await RunAsync("token", "--data-dir", data, "--lifetime", "01:00:00");
            Assert.Equal(0, tokenCode);
            foreach (var t in new[] { token, tokenOutput.Trim() })
            {
                using var client = new HttpClient();
                client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", t);
                using var response = await client.GetAsync($"http://127.0.0.1:{management}/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/tollgate/providers/Microsoft.ApiManagement/service/demoazureml/apis/azureml-demo/operations?api-version=2022-08-01");
                Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(5, (int)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["count"]!);
            }

            // Over HTTPS as an Azure SDK calls it: the token as a bearer token, the certificate the one in the data directory.
            Assert.Contains($"https://127.0.0.1:{managementHttps}", output);
            // `tollgate certificate` prints what a client must trust.
            var (pemCode, pem) = await RunAsync("certificate", "--data-dir", data);
            Assert.Equal(0, pemCode);
            Assert.StartsWith("-----BEGIN CERTIFICATE-----", pem);
            Assert.DoesNotContain("PRIVATE KEY", pem);
            using (var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(pem))
            using (var client = new HttpClient(new SocketsHttpHandler
            {
                SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == certificate.GetCertHashString() },
            }))
            {
                client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + token);
                using var response = await client.GetAsync($"https://127.0.0.1:{managementHttps}/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.ApiManagement/service?api-version=2022-08-01");
                Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("demoazureml", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["value"]![0]!["name"]);
            }

            // Ctrl+C (SIGINT) stops it cleanly.
            Assert.Equal(0, await demo.InterruptAsync());
            Assert.DoesNotContain("Unhandled exception", await demo.Stderr);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>
    /// The README's first command on a machine where Azurite was never installed: the demo installs it with npm
    /// (saying so), starts it, and a BES job of the published web service runs to the end on it.
    /// </summary>
    [Fact]
    public async Task Demo_WithoutAzurite_InstallsIt_AndBesJobsRun()
    {
        var data = Directory.CreateTempSubdirectory("tollgate-demo-").FullName;
        var tools = Directory.CreateTempSubdirectory("tollgate-tools-").FullName;
        var (info, _, _, _, studio, azuritePort) = DemoStart(data);
        info.Environment["Tollgate__Demo__ToolsDirectory"] = tools;
        info.WorkingDirectory = data;
        await using var demo = new Demo(info);
        try
        {
            var output = await demo.ReadyAsync();
            Assert.Contains("Installing Azurite (azurite@3.35.0", output);
            Assert.True(File.Exists(Path.Combine(tools, "node_modules", ".bin", "azurite-blob")), output);
            Assert.Contains("BES default storage: Azurite", output);
            // The printed curl line names the workspace, the service and the ML API key.
            var curl = System.Text.RegularExpressions.Regex.Match(output, "/workspaces/([0-9a-f]{32})/services/([0-9a-f]{32})/execute.*Authorization: Bearer ([^\"]+)\"");
            Assert.True(curl.Success, output);
            var (workspace, service, key) = (curl.Groups[1].Value, curl.Groups[2].Value, curl.Groups[3].Value);

            var connection = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Tollgate.Demo.DemoAzurite.DevAccountKey};BlobEndpoint=http://127.0.0.1:{azuritePort}/devstoreaccount1;";
            var container = new Azure.Storage.Blobs.BlobContainerClient(connection, "input");
            await container.CreateIfNotExistsAsync();
            await container.GetBlobClient("reviews.csv").UploadAsync(new BinaryData("Col1,Col2\n5,This is a good day\n"u8.ToArray()), overwrite: true);

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{studio}/workspaces/{workspace}/services/{service}/") };
            http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + key);
            var submit = new JsonObject
            {
                ["Inputs"] = new JsonObject { ["input1"] = new JsonObject { ["ConnectionString"] = connection, ["RelativeLocation"] = "input/reviews.csv" } },
                ["GlobalParameters"] = new JsonObject(),
            };
            using var submitted = await http.PostAsync("jobs?api-version=2.0", new StringContent(submit.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
            var job = (await submitted.Content.ReadAsStringAsync()).Trim('"');
            Assert.True(submitted.IsSuccessStatusCode, job);
            using (var started = await http.PostAsync($"jobs/{job}/start?api-version=2.0", null))
            {
                Assert.Equal(System.Net.HttpStatusCode.NoContent, started.StatusCode);
            }

            JsonNode status;
            var polls = 0;
            do
            {
                await Task.Delay(100);
                status = JsonNode.Parse(await http.GetStringAsync($"jobs/{job}?api-version=2.0"))!;
            }
            while ((string?)status["StatusCode"] is "NotStarted" or "Running" && ++polls < 600);

            Assert.Equal("Finished", (string?)status["StatusCode"]);
            var result = status["Results"]!["output1"]!;
            var csv = await http.GetStringAsync((string)result["BaseLocation"]! + (string)result["RelativeLocation"]! + (string)result["SasBlobToken"]!);
            Assert.Equal("This is a good day,1,1,2,2,0,2,0,1", csv.Split('\n')[1]);

            Assert.Equal(0, await demo.InterruptAsync());
        }
        finally
        {
            Directory.Delete(data, recursive: true);
            Directory.Delete(tools, recursive: true);
        }
    }

    /// <summary>A busy port is one line on standard error naming the address and the setting to change; no stack trace.</summary>
    [Fact]
    public async Task Run_OnABusyPort_SaysSoInOneLine()
    {
        using var busy = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        busy.Start();
        var port = ((System.Net.IPEndPoint)busy.LocalEndpoint).Port;
        var data = Directory.CreateTempSubdirectory("tollgate-busy-").FullName;
        try
        {
            var info = Start("run", "--roles", "management", "--data-dir", data);
            info.Environment["Tollgate__Management__Url"] = $"http://127.0.0.1:{port}";
            info.Environment["Tollgate__Management__HttpsUrl"] = "";
            var (code, stdout, stderr) = await RunAsync(info);

            Assert.Equal(1, code);
            var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains($"http://127.0.0.1:{port}", line);
            Assert.Contains("already in use", line);
            Assert.Contains("Tollgate:Management:Url", line);
            Assert.DoesNotContain("   at ", stdout + stderr);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Theory]
    [InlineData("Tollgate__Gateway__BackendTimeout", "soon", "Tollgate:Gateway:BackendTimeout")]
    [InlineData("Tollgate__Roles", "gateway,portal-x", "Tollgate:Roles")]
    [InlineData("Tollgate__Management__Url", "not a url", "Tollgate:Management:Url")]
    [InlineData("Tollgate__Gateway__HttpUrl", "http://example.invalid:80", "Tollgate:Gateway:HttpUrl")]
    [InlineData("Tollgate__Gateway__HttpsUrl", "https://[nope", "Tollgate:Gateway:HttpsUrl")]
    [InlineData("Tollgate__Gateway__HostSuffix", "*.bad suffix", "Tollgate:Gateway:HostSuffix")]
    [InlineData("Tollgate__Gateway__Services", "alpha,be ta", "Tollgate:Gateway:Services")]
    [InlineData("Tollgate__Mail__Smtp__Security", "ssl", "Tollgate:Mail:Smtp:Security")]
    [InlineData("Tollgate__Mail__Smtp__From", "not an address", "Tollgate:Mail:Smtp:From")]
    [InlineData("Tollgate__Mail__Smtp__Port", "smtp", "Tollgate:Mail:Smtp:Port")]
    public async Task Run_WithABadSetting_NamesItInOneLine(string variable, string value, string setting)
    {
        var data = Directory.CreateTempSubdirectory("tollgate-bad-").FullName;
        try
        {
            var info = Start("run", "--data-dir", data);
            info.Environment[variable] = value;
            var (code, stdout, stderr) = await RunAsync(info);

            Assert.Equal(1, code);
            var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(setting, line);
            Assert.DoesNotContain("   at ", stdout + stderr);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
