using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

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
        var location = Directory.CreateTempSubdirectory("tollgate-azurite-").FullName;
        var port = FreePort.Next();
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

        // Poll the observable state (the port accepting) with a deadline.
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                return server;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(30) && !process.HasExited)
            {
                await Task.Delay(50);
            }
            catch (SocketException)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"Azurite did not start on port {port}.");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ChildProcess.StopAsync(_process, _location);
    }
}
