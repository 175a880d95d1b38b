using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tollgate.Tests.Common;

/// <summary>
/// A real nginx (Debian's <c>nginx</c> package; scripts/test.sh installs it, <c>TOLLGATE_NGINX</c> may name another
/// binary) in the foreground, with its prefix, pid file and temp folders under the temp folder, rendered from
/// <c>deploy/nginx/loopback.conf.template</c> as scripts/cluster.sh renders it. Ready once every listener accepts;
/// stopped with SIGQUIT (graceful) on dispose.
/// </summary>
public sealed class NginxServer : IAsyncDisposable
{
    private const int StartTimeoutSeconds = 20;
    private static readonly ConcurrentDictionary<NginxServer, byte> Running = new();

    private readonly RecentLines _log = new(200);
    private Process? _process;

    static NginxServer()
    {
        // Never leave a server behind when the test host exits without disposing it.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var server in Running.Keys)
            {
                server._process?.Kill(entireProcessTree: true);
            }
        };
    }

    private NginxServer(string directory, int gatewayPort, int managementPort, int studioPort)
    {
        Directory = directory;
        GatewayPort = gatewayPort;
        ManagementPort = managementPort;
        StudioPort = studioPort;
    }

    /// <summary>nginx's prefix: config, pid file, error log and temp folders.</summary>
    public string Directory { get; }

    public int GatewayPort { get; }

    public int ManagementPort { get; }

    public int StudioPort { get; }

    public string GatewayUrl => $"http://127.0.0.1:{GatewayPort}";

    public string ManagementUrl => $"http://127.0.0.1:{ManagementPort}";

    public string StudioUrl => $"http://127.0.0.1:{StudioPort}";

    /// <summary>The last lines nginx wrote (stderr and its error log), for failure messages.</summary>
    public string ServerLog
    {
        get
        {
            var errorLog = Path.Combine(Directory, "nginx-error.log");
            return _log + (File.Exists(errorLog) ? File.ReadAllText(errorLog) : "");
        }
    }

    /// <summary>
    /// Renders the template at <paramref name="templatePath"/> with the nodes' loopback ports (an empty list gives an
    /// upstream whose only server is marked down) and starts nginx on three free loopback ports.
    /// </summary>
    public static async Task<NginxServer> StartAsync(string templatePath, IReadOnlyList<int> gateways, IReadOnlyList<int> management, IReadOnlyList<int> studio, int workers = 1)
    {
        var directory = Path.Combine(Path.GetTempPath(), "tollgate-nginx-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        var server = new NginxServer(directory, FreePort.Next(), FreePort.Next(), FreePort.Next());
        var config = Render(File.ReadAllText(templatePath), directory, workers, gateways, management, studio, server.GatewayPort, server.ManagementPort, server.StudioPort);
        var configPath = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(configPath, config);
        try
        {
            await server.StartProcessAsync(configPath);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The template with every <c>@NAME@</c> replaced, as scripts/cluster.sh does it.</summary>
    public static string Render(string template, string stateDirectory, int workers, IReadOnlyList<int> gateways, IReadOnlyList<int> management,
        IReadOnlyList<int> studio, int gatewayPort, int managementPort, int studioPort) =>
        template
            // nginx's workers run as nobody under root, and could not write the temp folders made here.
            .Replace("@USER@", Environment.UserName == "root" ? "user root;" : "", StringComparison.Ordinal)
            .Replace("@WORKERS@", workers.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("@STATE@", stateDirectory, StringComparison.Ordinal)
            .Replace("@GATEWAY_SERVERS@", Servers(gateways), StringComparison.Ordinal)
            .Replace("@MANAGEMENT_SERVERS@", Servers(management), StringComparison.Ordinal)
            .Replace("@STUDIO_SERVERS@", Servers(studio), StringComparison.Ordinal)
            .Replace("@GATEWAY_PORT@", gatewayPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("@MANAGEMENT_PORT@", managementPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("@STUDIO_PORT@", studioPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>One <c>server</c> line per node: one failure takes a node out for 2 s, then nginx tries it again.</summary>
    public static string Servers(IReadOnlyList<int> ports)
    {
        if (ports.Count == 0)
        {
            return "        server 127.0.0.1:1 down;";
        }

        var lines = new StringBuilder();
        foreach (var port in ports)
        {
            lines.Append(CultureInfo.InvariantCulture, $"        server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;\n");
        }

        return lines.ToString().TrimEnd('\n');
    }

    public async ValueTask DisposeAsync()
    {
        var process = _process;
        if (process is not null)
        {
            // QUIT: nginx's graceful stop.
            await ChildProcess.SignalAsync(process, "QUIT", TimeSpan.FromSeconds(10));
            process.Dispose();
            Running.TryRemove(this, out _);
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    private async Task StartProcessAsync(string configPath)
    {
        var info = new ProcessStartInfo(FindBinary())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-p", Directory, "-c", configPath, "-e", Path.Combine(Directory, "nginx-error.log"), "-g", "daemon off;" })
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => _log.Add(e.Data);
        process.ErrorDataReceived += (_, e) => _log.Add(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Running.TryAdd(this, 0);

        var deadline = Stopwatch.StartNew();
        foreach (var port in new[] { GatewayPort, ManagementPort, StudioPort })
        {
            while (!await AcceptsAsync(port))
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"nginx exited during start-up (exit code {process.ExitCode}):\n{ServerLog}");
                }

                if (deadline.Elapsed > TimeSpan.FromSeconds(StartTimeoutSeconds))
                {
                    throw new TimeoutException($"nginx did not listen on 127.0.0.1:{port} within {StartTimeoutSeconds} s:\n{ServerLog}");
                }

                await Task.Delay(20);
            }
        }
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string FindBinary()
    {
        if (Environment.GetEnvironmentVariable("TOLLGATE_NGINX") is { Length: > 0 } configured)
        {
            return configured;
        }

        foreach (var candidate in new[] { "/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx" })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("nginx is not installed (apt-get install nginx; scripts/test.sh installs it), or set TOLLGATE_NGINX.");
    }
}
