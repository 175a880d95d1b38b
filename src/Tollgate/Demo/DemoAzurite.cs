using System.Diagnostics;
using System.Net.Sockets;

namespace Tollgate.Demo;

/// <summary>
/// Azurite (the Azure Blob emulator, npm <c>azurite@3.35.0</c>) for the demo's BES: found as <c>azurite-blob</c> in
/// <c>./.tools/node_modules/.bin</c> (what <c>scripts/test.sh</c> installs), beside the repository, or on the PATH; never
/// downloaded. Its blobs live in <c>{data}/azurite</c>.
/// </summary>
public sealed class DemoAzurite : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account key (public, documented by Microsoft).</summary>
    public const string DevAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;

    private DemoAzurite(Process process, int port)
    {
        _process = process;
        ConnectionString = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DevAccountKey};BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;";
    }

    public string ConnectionString { get; }

    /// <summary>Where <c>azurite-blob</c> is, or null.</summary>
    public static string? Find()
    {
        var candidates = new List<string>();
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            candidates.Add(Path.Combine(dir.FullName, ".tools", "node_modules", ".bin", "azurite-blob"));
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            candidates.Add(Path.Combine(dir.FullName, ".tools", "node_modules", ".bin", "azurite-blob"));
        }

        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(p => Path.Combine(p, "azurite-blob")));
        return candidates.FirstOrDefault(File.Exists);
    }

    /// <summary>Starts Azurite on <paramref name="port"/> and waits until it accepts connections.</summary>
    public static async Task<DemoAzurite> StartAsync(string executable, int port, string location, CancellationToken ct)
    {
        Directory.CreateDirectory(location);
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--blobHost", "127.0.0.1", "--blobPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--location", location,
            "--skipApiVersionCheck", "--disableTelemetry", "--silent" })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("Azurite did not start.");
        _ = process.StandardOutput.ReadToEndAsync(ct);
        _ = process.StandardError.ReadToEndAsync(ct);
        var azurite = new DemoAzurite(process, port);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port, ct);
                return azurite;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(100, ct);
            }
            catch (SocketException)
            {
                await azurite.DisposeAsync();
                throw new InvalidOperationException($"Azurite did not listen on 127.0.0.1:{port} (is the port taken?).");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill!.WaitForExitAsync();
            }

            if (!await Task.Run(() => _process.WaitForExit(5000)))
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }
}
