using System.Diagnostics;
using System.Globalization;

namespace Tollgate.Tests.Common;

/// <summary>
/// A real Azurite blob service (npm <c>azurite@3.35.0</c>, installed by <c>scripts/test.sh</c> into <c>.tools/</c>) on a
/// free loopback port with a fresh <c>--location</c>; stopped with SIGTERM and its files removed on dispose.
/// </summary>
public sealed class AzuriteServer : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account key (public, documented by Microsoft).</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly string _location;

    private AzuriteServer(Process process, string location, int port)
    {
        _process = process;
        _location = location;
        Port = port;
    }

    public int Port { get; }

    public string BlobEndpoint => $"http://127.0.0.1:{Port}/devstoreaccount1";

    public string ConnectionString => $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};BlobEndpoint={BlobEndpoint};";

    /// <summary>The <c>azurite-blob</c> script under the repository's <c>.tools</c>, found walking up from the test binaries.</summary>
    public static string Executable()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".tools", "node_modules", ".bin", "azurite-blob");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("azurite-blob not found: run scripts/test.sh (it installs azurite@3.35.0 into .tools/) or `npm install --prefix .tools azurite@3.35.0`.");
    }

    public static async Task<AzuriteServer> StartAsync()
    {
        // A port picked by FreePort can be taken by someone else (another test's server) before Azurite binds it:
        // Azurite then exits, and that other server would answer in its place. Retry on another port.
        for (var attempt = 1; ; attempt++)
        {
            if (await TryStartAsync(FreePort.Next()) is { } server)
            {
                return server;
            }

            if (attempt == 5)
            {
                throw new InvalidOperationException("Azurite did not start: every port tried was taken.");
            }
        }
    }

    /// <summary>Azurite on <paramref name="port"/>, or null when another server holds the port.</summary>
    private static async Task<AzuriteServer?> TryStartAsync(int port)
    {
        var location = Directory.CreateTempSubdirectory("tollgate-azurite-").FullName;
        var info = new ProcessStartInfo(Executable()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--blobHost", "127.0.0.1", "--blobPort", port.ToString(CultureInfo.InvariantCulture), "--location", location,
            "--skipApiVersionCheck", "--disableTelemetry", "--silent", "--loose" })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var server = new AzuriteServer(process, location, port);

        // Poll the observable state (Azurite answering on the port, by its Server header) with a deadline.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            string? answeredBy = null;
            try
            {
                using var response = await http.GetAsync(server.BlobEndpoint + "?comp=list");
                answeredBy = response.Headers.Server.ToString();
            }
            catch (HttpRequestException)
            {
            }

            if (answeredBy is not null && answeredBy.Contains("Azurite", StringComparison.OrdinalIgnoreCase))
            {
                return server;
            }

            if (process.HasExited || answeredBy is not null)
            {
                // Azurite could not bind the port (someone else answers on it, or nothing does).
                await server.DisposeAsync();
                return null;
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"Azurite did not start on port {port}.");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ChildProcess.StopAsync(_process, _location);
    }
}
