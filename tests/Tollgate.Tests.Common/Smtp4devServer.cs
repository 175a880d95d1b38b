using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Tollgate.Tests.Common;

/// <summary>A message as smtp4dev's REST API lists it.</summary>
public sealed record ReceivedMail(string Id, string From, IReadOnlyList<string> To, string Subject);

/// <summary>
/// A real SMTP server for the tests: smtp4dev (the dotnet tool <c>Rnwood.Smtp4dev</c> 3.15.0, installed by
/// <c>scripts/test.sh</c> into <c>.tools/smtp4dev</c>) on free loopback ports, plain SMTP (no TLS), an in-memory
/// database; what it received is read from its REST API (<c>/api/messages</c>). Stopped with SIGTERM on dispose.
/// </summary>
public sealed class Smtp4devServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _appData;
    private readonly HttpClient _api;

    private Smtp4devServer(Process process, string appData, int smtpPort, int webPort)
    {
        _process = process;
        _appData = appData;
        SmtpPort = smtpPort;
        WebPort = webPort;
        _api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{webPort}") };
    }

    public int SmtpPort { get; }

    public int WebPort { get; }

    /// <summary>The <c>smtp4dev</c> tool under the repository's <c>.tools/smtp4dev</c>, found walking up from the test binaries.</summary>
    public static string Executable()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".tools", "smtp4dev", "smtp4dev");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("smtp4dev not found: run scripts/test.sh (it installs it) or `dotnet tool install --tool-path .tools/smtp4dev Rnwood.Smtp4dev --version 3.15.0`.");
    }

    /// <summary>Starts smtp4dev; <paramref name="smtpPort"/> when given (a port chosen before, e.g. one Tollgate already sends to), else a free one.</summary>
    public static async Task<Smtp4devServer> StartAsync(int? smtpPort = null)
    {
        var appData = Directory.CreateTempSubdirectory("tollgate-smtp4dev-").FullName;
        var smtp = smtpPort ?? FreePort.Next();
        var web = FreePort.Next();
        var info = new ProcessStartInfo(Executable()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = appData };
        foreach (var arg in new[]
        {
            $"--urls=http://127.0.0.1:{web.ToString(CultureInfo.InvariantCulture)}", $"--smtpport={smtp.ToString(CultureInfo.InvariantCulture)}",
            "--bindaddress=127.0.0.1", "--hostname=127.0.0.1", "--tlsmode=None", "--db=", "--nousersettings", $"--baseappdatapath={appData}",
            "--imapport=0", "--pop3port=0", "--messagestokeep=1000",
        })
        {
            info.ArgumentList.Add(arg);
        }

        // smtp4dev's web host reads ASPNETCORE_* like any ASP.NET Core app: keep the test host's out of it.
        info.Environment.Remove("ASPNETCORE_URLS");
        info.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        var process = Process.Start(info)!;
        var output = new RecentLines(40);
        _ = Pump(process.StandardOutput, output);
        _ = Pump(process.StandardError, output);
        var server = new Smtp4devServer(process, appData, smtp, web);

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"smtp4dev did not start (SMTP {smtp}, web {web}): {output}");
            }

            try
            {
                using (var client = new TcpClient())
                {
                    await client.ConnectAsync("127.0.0.1", smtp);
                }

                using var response = await server._api.GetAsync("/api/messages");
                if (response.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (Exception e) when (e is SocketException or HttpRequestException)
            {
                // Not up yet.
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Every message received so far, newest first.</summary>
    public async Task<IReadOnlyList<ReceivedMail>> MessagesAsync()
    {
        var page = await _api.GetFromJsonAsync<JsonObject>("/api/messages?pageSize=1000");
        return page!["results"]!.AsArray().Select(m => new ReceivedMail(
            (string)m!["id"]!, (string?)m["from"] ?? "", m["to"]!.AsArray().Select(t => (string)t!).ToList(), (string?)m["subject"] ?? "")).ToList();
    }

    /// <summary>Waits (polling, up to <paramref name="timeout"/>, default 30 s) for a message sent to <paramref name="to"/> that matches.</summary>
    public async Task<ReceivedMail> WaitForAsync(string to, Func<ReceivedMail, bool>? match = null, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var found = (await MessagesAsync()).FirstOrDefault(m => m.To.Any(t => string.Equals(t, to, StringComparison.OrdinalIgnoreCase)) && (match is null || match(m)));
            if (found is not null)
            {
                return found;
            }

            if (deadline.Elapsed > (timeout ?? TimeSpan.FromSeconds(30)))
            {
                var all = string.Join("; ", (await MessagesAsync()).Select(m => $"{string.Join(",", m.To)}: {m.Subject}"));
                throw new TimeoutException($"No e-mail to {to} arrived at smtp4dev; it has: [{all}]");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The message's HTML body.</summary>
    public Task<string> HtmlAsync(ReceivedMail mail) => _api.GetStringAsync($"/api/messages/{mail.Id}/html");

    /// <summary>The message as received (headers and MIME parts).</summary>
    public Task<string> RawAsync(ReceivedMail mail) => _api.GetStringAsync($"/api/messages/{mail.Id}/raw");

    /// <summary>The message's headers, as smtp4dev parsed them.</summary>
    public async Task<IReadOnlyList<(string Name, string Value)>> HeadersAsync(ReceivedMail mail)
    {
        var message = await _api.GetFromJsonAsync<JsonObject>($"/api/messages/{mail.Id}");
        return message!["headers"]!.AsArray().Select(h => ((string)h!["name"]!, (string?)h["value"] ?? "")).ToList();
    }

    private static async Task Pump(StreamReader reader, RecentLines lines)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lines.Add(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _api.Dispose();
        await ChildProcess.StopAsync(_process, _appData);
    }
}
