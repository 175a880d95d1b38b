using System.Diagnostics;
using System.Net.Sockets;

namespace Tollgate.Demo;

/// <summary>
/// Azurite (the Azure Blob emulator, npm <c>azurite@3.35.0</c>) for the demo's BES: found as <c>azurite-blob</c> in
/// <c>.tools/node_modules/.bin</c> of the checkout (what <c>scripts/test.sh</c> installs), in <c>{data}/tools</c>, or on
/// the PATH; when none is there and npm is, <see cref="InstallAsync"/> installs it with npm into the checkout's
/// <c>.tools</c> (or <c>{data}/tools</c> outside a checkout). Its blobs live in <c>{data}/azurite</c>.
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

    /// <summary>The version the demo installs: 3.36 and later need node 22.</summary>
    public const string Package = "azurite@3.35.0";

    /// <summary>Where <c>azurite-blob</c> is, or null.</summary>
    /// <param name="dataDirectory">The data directory (<c>{data}/tools</c> is searched).</param>
    /// <param name="toolsDirectory"><c>Tollgate:Demo:ToolsDirectory</c>: when set, the only place searched besides the PATH.</param>
    public static string? Find(string dataDirectory, string? toolsDirectory)
    {
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(toolsDirectory))
        {
            candidates.Add(Path.Combine(toolsDirectory, "node_modules", ".bin", "azurite-blob"));
            AddPath(candidates);
            return candidates.FirstOrDefault(File.Exists);
        }

        candidates.Add(Path.Combine(dataDirectory, "tools", "node_modules", ".bin", "azurite-blob"));
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            candidates.Add(Path.Combine(dir.FullName, ".tools", "node_modules", ".bin", "azurite-blob"));
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            candidates.Add(Path.Combine(dir.FullName, ".tools", "node_modules", ".bin", "azurite-blob"));
        }

        AddPath(candidates);
        return candidates.FirstOrDefault(File.Exists);
    }

    private static void AddPath(List<string> candidates) =>
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(p => Path.Combine(p, "azurite-blob")));

    /// <summary>Where the demo installs Azurite: the checkout's <c>.tools</c> (the folder holding Tollgate.slnx), else <c>{data}/tools</c>.</summary>
    public static string InstallDirectory(string dataDirectory, string? toolsDirectory)
    {
        if (!string.IsNullOrEmpty(toolsDirectory))
        {
            return Path.GetFullPath(toolsDirectory);
        }

        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Tollgate.slnx")))
                {
                    return Path.Combine(dir.FullName, ".tools");
                }
            }
        }

        return Path.Combine(dataDirectory, "tools");
    }

    /// <summary>npm on the PATH, or null.</summary>
    public static string? FindNpm() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(p => Path.Combine(p, "npm"))
            .FirstOrDefault(File.Exists);

    /// <summary>
    /// Installs <see cref="Package"/> into <paramref name="directory"/> with npm (at most 5 minutes) and returns its
    /// <c>azurite-blob</c>; on failure an <see cref="InvalidOperationException"/> with npm's last words.
    /// </summary>
    public static async Task<string> InstallAsync(string npm, string directory, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        var info = new ProcessStartInfo(npm)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "install", "--prefix", directory, "--no-audit", "--no-fund", "--loglevel=error", Package })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("npm did not start.");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"npm install {Package} did not finish within 5 minutes");
        }

        var executable = Path.Combine(directory, "node_modules", ".bin", "azurite-blob");
        if (process.ExitCode != 0 || !File.Exists(executable))
        {
            var said = (await error + await output).Trim().Split('\n').TakeLast(3);
            throw new InvalidOperationException($"npm install {Package} failed (exit {process.ExitCode}): {string.Join(" ", said)}");
        }

        return executable;
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
        var started = TimeProvider.System.GetTimestamp();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port, ct);
                return azurite;
            }
            catch (SocketException) when (TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(30) && !process.HasExited)
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

            if (!await Task.Run(() => _process.WaitForExit(3000)))
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }
}
