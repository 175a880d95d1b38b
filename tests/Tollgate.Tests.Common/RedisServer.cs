using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tollgate.Tests.Common;

/// <summary>
/// A throwaway Redis server for tests: <c>redis-server</c> (Debian's <c>redis-server</c> package; scripts/test.sh
/// installs it, <c>TOLLGATE_REDIS_SERVER</c> may name another binary) on its own free loopback port, no persistence,
/// its working directory under the temp folder. Ready once it answers PING; killed on dispose.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private const int StartTimeoutSeconds = 20;
    private static readonly ConcurrentDictionary<RedisServer, byte> Running = new();

    private readonly string _directory;
    private readonly RecentLines _log = new(200);
    private Process? _process;
    private bool _disposed;

    static RedisServer()
    {
        // Never leave a server behind when the test host exits without disposing it.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var server in Running.Keys)
            {
                server.Kill();
            }
        };
    }

    private RedisServer(string directory) => _directory = directory;

    /// <summary>Loopback TCP port the server listens on.</summary>
    public int Port { get; private set; }

    /// <summary>StackExchange.Redis configuration string for this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>The last lines the server wrote, for failure messages.</summary>
    public string ServerLog => _log.ToString();

    /// <summary>Starts a server; returns once it answers PING.</summary>
    public static async Task<RedisServer> StartAsync(CancellationToken ct = default)
    {
        var binary = FindBinary();
        var directory = Path.Combine(Path.GetTempPath(), "tollgate-redis-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        var server = new RedisServer(directory);
        try
        {
            // A port picked by FreePort can be taken by someone else before redis binds it: retry.
            for (var attempt = 1; ; attempt++)
            {
                server.Port = FreePort.Next();
                try
                {
                    await server.StartProcessAsync(binary, ct);
                    return server;
                }
                catch (InvalidOperationException) when (attempt < 3 && server.ServerLog.Contains("Address already in use", StringComparison.Ordinal))
                {
                    server.Kill();
                }
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the server (as a crash would: no shutdown handshake); <see cref="StartAgainAsync"/> brings it back on the same port.</summary>
    public Task StopAsync()
    {
        Kill();
        return Task.CompletedTask;
    }

    /// <summary>Starts the stopped server again on the same port (empty: no persistence).</summary>
    public Task StartAgainAsync(CancellationToken ct = default)
    {
        Directory.CreateDirectory(_directory);
        return StartProcessAsync(FindBinary(), ct);
    }

    /// <summary>Kills the server and deletes its directory.</summary>
    public ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            Kill();
        }

        return ValueTask.CompletedTask;
    }

    private async Task StartProcessAsync(string binary, CancellationToken ct)
    {
        var info = new ProcessStartInfo
        {
            FileName = binary,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _directory,
        };
        foreach (var arg in (string[])[
            "--port", Port.ToString(CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", _directory,
            "--daemonize", "no",
            "--protected-mode", "yes",
        ])
        {
            info.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => AppendLog(e.Data);
        process.ErrorDataReceived += (_, e) => AppendLog(e.Data);
        AppendLog($"--- starting redis-server on port {Port} ---");
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Running.TryAdd(this, 0);

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                process.WaitForExit();
                throw new InvalidOperationException($"redis-server exited during startup (exit code {process.ExitCode}). Log:\n{ServerLog}");
            }

            if (await AnswersPingAsync(ct))
            {
                return;
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(StartTimeoutSeconds))
            {
                throw new TimeoutException($"redis-server did not answer PING on 127.0.0.1:{Port} within {StartTimeoutSeconds} s. Log:\n{ServerLog}");
            }

            await Task.Delay(25, ct);
        }
    }

    private async Task<bool> AnswersPingAsync(CancellationToken ct)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), timeout.Token);
            await socket.SendAsync("PING\r\n"u8.ToArray(), SocketFlags.None, timeout.Token);
            var buffer = new byte[64];
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private void Kill()
    {
        var process = _process;
        _process = null;
        Running.TryRemove(this, out _);
        if (process is not null)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                process.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            process.Dispose();
        }

        try
        {
            if (Directory.Exists(_directory))
            {
                Directory.Delete(_directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory must not fail a test.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void AppendLog(string? line) => _log.Add(line);

    private static string FindBinary()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("TOLLGATE_REDIS_SERVER");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return File.Exists(fromEnvironment)
                ? fromEnvironment
                : throw new InvalidOperationException($"TOLLGATE_REDIS_SERVER={fromEnvironment} does not exist.");
        }

        foreach (var candidate in (string[])["/usr/bin/redis-server", "/usr/local/bin/redis-server"])
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "redis-server"))
            .FirstOrDefault(File.Exists);
        return onPath ?? throw new InvalidOperationException(
            "redis-server not found. Install the Debian 'redis-server' package (scripts/test.sh does it) or set TOLLGATE_REDIS_SERVER.");
    }
}
