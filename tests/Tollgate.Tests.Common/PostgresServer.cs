using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Tollgate.Tests.Common;

/// <summary>
/// A throwaway PostgreSQL server for tests: a fresh data directory under the temp folder, its own
/// free loopback port, trust authentication for user <c>postgres</c>, durability off for speed.
/// Uses the newest <c>/usr/lib/postgresql/*/bin</c> (Debian's <c>postgresql</c> package; scripts/test.sh
/// installs it) or the directory named by <c>TOLLGATE_PG_BIN</c>. PostgreSQL refuses to run as root,
/// so under root the server runs as the <c>postgres</c> user through <c>runuser</c>.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const int StartTimeoutSeconds = 30;
    private const int StopTimeoutSeconds = 30;
    private static readonly ConcurrentDictionary<PostgresServer, byte> Running = new();

    private readonly string _rootDirectory;
    private readonly string _socketDirectory;
    private readonly bool _asRoot;
    private readonly RecentLines _log = new(400);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Process? _process;
    private bool _disposed;

    static PostgresServer()
    {
        // Never leave a server behind when the test host exits without disposing it.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var server in Running.Keys)
            {
                server.KillForExit();
            }
        };
    }

    private PostgresServer(string binDirectory, string rootDirectory, bool asRoot)
    {
        BinDirectory = binDirectory;
        _rootDirectory = rootDirectory;
        _socketDirectory = Path.Combine(rootDirectory, "sock");
        DataDirectory = Path.Combine(rootDirectory, "data");
        _asRoot = asRoot;
    }

    /// <summary>Loopback TCP port the server listens on (kept across <see cref="StartAgainAsync"/>).</summary>
    public int Port { get; private set; }

    /// <summary>Npgsql connection string for the <c>postgres</c> database as user <c>postgres</c>.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=true";

    /// <summary>The PostgreSQL <c>bin</c> directory in use (psql, pg_dump... are there too).</summary>
    public string BinDirectory { get; }

    /// <summary>The cluster's data directory.</summary>
    public string DataDirectory { get; }

    /// <summary>True while the server process is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The last lines the server (and initdb) wrote, for failure messages.</summary>
    public string ServerLog => _log.ToString();

    /// <summary>Creates a fresh cluster and starts it; returns once it accepts connections.</summary>
    public static async Task<PostgresServer> StartAsync(CancellationToken ct = default)
    {
        var binDirectory = FindBinDirectory();
        var asRoot = IsRoot();
        // Under root the postgres user must reach the directory: use /tmp, not a private TMPDIR.
        // Short names keep the Unix socket path well under its 107-byte limit.
        var tempBase = asRoot ? "/tmp" : Path.GetTempPath();
        var root = Path.Combine(tempBase, "tollgate-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(root, "sock"));

        var server = new PostgresServer(binDirectory, root, asRoot);
        try
        {
            if (asRoot)
            {
                await server.RunToEndAsync("chown", ["-R", "postgres:postgres", root], asPostgres: false, ct);
            }

            await server.RunToEndAsync(
                Path.Combine(binDirectory, "initdb"),
                ["-D", server.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
                asPostgres: true,
                ct);

            // A port picked by FreePort can be taken by someone else before postgres binds it: retry.
            for (var attempt = 1; ; attempt++)
            {
                server.Port = FreePort.Next();
                try
                {
                    await server.StartProcessAsync(ct);
                    return server;
                }
                catch (InvalidOperationException) when (attempt < 3 && server.ServerLog.Contains("could not bind", StringComparison.Ordinal))
                {
                    await server.StopAsync();
                }
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the stopped server again on the same port and data directory.</summary>
    public async Task StartAgainAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _gate.WaitAsync(ct);
        try
        {
            if (IsRunning)
            {
                throw new InvalidOperationException("PostgreSQL is already running.");
            }
        }
        finally
        {
            _gate.Release();
        }

        await StartProcessAsync(ct);
    }

    /// <summary>Fast shutdown (SIGINT to the postmaster); returns once the server has exited.</summary>
    public async Task StopAsync()
    {
        if (_disposed)
        {
            return;
        }

        await _gate.WaitAsync();
        try
        {
            var process = _process;
            if (process is null)
            {
                return;
            }

            if (!process.HasExited)
            {
                var pid = ReadPostmasterPid();
                if (pid is not null)
                {
                    await SignalAsync(pid.Value, "INT");
                }
                else
                {
                    process.Kill(entireProcessTree: true);
                }

                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(StopTimeoutSeconds));
                try
                {
                    await process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }
            }

            // Let the async log readers drain before the process object goes away.
            process.WaitForExit();
            process.Dispose();
            _process = null;
            Running.TryRemove(this, out _);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops the server and deletes its temp directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            await StopAsync();
        }
        finally
        {
            _disposed = true;
            DeleteRoot();
            _gate.Dispose();
        }
    }

    private async Task StartProcessAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var process = CreateProcess(
                Path.Combine(BinDirectory, "postgres"),
                [
                    "-D", DataDirectory,
                    "-p", Port.ToString(CultureInfo.InvariantCulture),
                    "-k", _socketDirectory,
                    "-c", "listen_addresses=127.0.0.1",
                    "-c", "fsync=off",
                    "-c", "synchronous_commit=off",
                    "-c", "full_page_writes=off",
                ],
                asPostgres: true);
            AppendLog($"--- starting postgres on port {Port} ---");
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _process = process;
            Running.TryAdd(this, 0);
        }
        finally
        {
            _gate.Release();
        }

        await WaitUntilReadyAsync(ct);
    }

    private async Task WaitUntilReadyAsync(CancellationToken ct)
    {
        var isReady = Path.Combine(BinDirectory, "pg_isready");
        var hasIsReady = File.Exists(isReady);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var process = _process;
            if (process is null || process.HasExited)
            {
                process?.WaitForExit();
                throw new InvalidOperationException(
                    $"PostgreSQL exited during startup (exit code {process?.ExitCode}). Server log:\n{ServerLog}");
            }

            if (await CanConnectAsync(ct))
            {
                if (!hasIsReady)
                {
                    if (PidFileSaysReady())
                    {
                        return;
                    }
                }
                else if (await RunQuietAsync(isReady, ["-q", "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", "postgres", "-t", "2"], ct) == 0)
                {
                    return;
                }
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(StartTimeoutSeconds))
            {
                throw new TimeoutException(
                    $"PostgreSQL did not accept connections on 127.0.0.1:{Port} within {StartTimeoutSeconds} s. Server log:\n{ServerLog}");
            }

            await Task.Delay(50, ct);
        }
    }

    private async Task<bool> CanConnectAsync(CancellationToken ct)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), timeout.Token);
            return true;
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

    private bool PidFileSaysReady()
    {
        // Line 8 of postmaster.pid is the postmaster status (PostgreSQL 10+): "ready" once it accepts connections.
        var lines = ReadPidFileLines();
        return lines is { Length: >= 8 } && lines[7].Trim() == "ready";
    }

    private int? ReadPostmasterPid()
    {
        var lines = ReadPidFileLines();
        return lines is { Length: > 0 } && int.TryParse(lines[0].Trim(), out var pid) ? pid : null;
    }

    private string[]? ReadPidFileLines()
    {
        try
        {
            return File.ReadAllLines(Path.Combine(DataDirectory, "postmaster.pid"));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private async Task SignalAsync(int pid, string signal)
    {
        // The postmaster runs as postgres; root (or the same user) may signal it directly.
        await RunQuietAsync("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)], CancellationToken.None);
    }

    private void KillForExit()
    {
        try
        {
            var process = _process;
            if (process is { HasExited: false })
            {
                var pid = ReadPostmasterPid();
                if (pid is not null)
                {
                    using var kill = Process.Start(new ProcessStartInfo("kill", ["-QUIT", pid.Value.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false });
                    kill?.WaitForExit(5000);
                }

                if (!process.WaitForExit(5000))
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }
        catch (Exception)
        {
            // Best effort while the test host exits.
        }

        DeleteRoot();
    }

    private void DeleteRoot()
    {
        try
        {
            if (Directory.Exists(_rootDirectory))
            {
                Directory.Delete(_rootDirectory, recursive: true);
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

    private Process CreateProcess(string fileName, IReadOnlyList<string> arguments, bool asPostgres)
    {
        var info = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _rootDirectory,
        };
        if (asPostgres && _asRoot)
        {
            info.FileName = "runuser";
            foreach (var arg in (string[])["-u", "postgres", "--", fileName])
            {
                info.ArgumentList.Add(arg);
            }
        }
        else
        {
            info.FileName = fileName;
        }

        foreach (var arg in arguments)
        {
            info.ArgumentList.Add(arg);
        }

        // Keep the user's libpq/locale settings out of the throwaway cluster.
        foreach (var name in (string[])["PGDATA", "PGPORT", "PGHOST", "PGUSER", "PGDATABASE", "PGOPTIONS", "PGPASSWORD", "PGSERVICE"])
        {
            info.Environment.Remove(name);
        }

        info.Environment["LC_ALL"] = "C";
        info.Environment["LANG"] = "C";

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => AppendLog(e.Data);
        process.ErrorDataReceived += (_, e) => AppendLog(e.Data);
        return process;
    }

    private async Task RunToEndAsync(string fileName, IReadOnlyList<string> arguments, bool asPostgres, CancellationToken ct)
    {
        AppendLog($"--- {fileName} {string.Join(' ', arguments)} ---");
        using var process = CreateProcess(fileName, arguments, asPostgres);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{Path.GetFileName(fileName)}' failed with exit code {process.ExitCode}. Log:\n{ServerLog}");
        }
    }

    private static async Task<int> RunQuietAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var info = new ProcessStartInfo(fileName, arguments)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        process.StandardInput.Close();
        var drainOut = process.StandardOutput.ReadToEndAsync(ct);
        var drainErr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        await Task.WhenAll(drainOut, drainErr);
        return process.ExitCode;
    }

    private void AppendLog(string? line) => _log.Add(line);

    private static string FindBinDirectory()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("TOLLGATE_PG_BIN");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return File.Exists(Path.Combine(fromEnvironment, "postgres"))
                ? fromEnvironment
                : throw new InvalidOperationException($"TOLLGATE_PG_BIN={fromEnvironment} has no 'postgres' binary.");
        }

        const string debianRoot = "/usr/lib/postgresql";
        var newest = Directory.Exists(debianRoot)
            ? Directory.GetDirectories(debianRoot)
                .Select(dir => (Dir: dir, Version: double.TryParse(Path.GetFileName(dir), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : -1))
                .Where(x => x.Version >= 0 && File.Exists(Path.Combine(x.Dir, "bin", "postgres")))
                .OrderByDescending(x => x.Version)
                .Select(x => Path.Combine(x.Dir, "bin"))
                .FirstOrDefault()
            : null;
        return newest ?? throw new InvalidOperationException(
            "No PostgreSQL server found under /usr/lib/postgresql/*/bin. Install the Debian 'postgresql' package " +
            "(scripts/test.sh does it) or set TOLLGATE_PG_BIN to a directory holding initdb, postgres and pg_isready.");
    }

    private static bool IsRoot()
    {
        if (Environment.UserName == "root")
        {
            return true;
        }

        try
        {
            // /proc/self/status "Uid:" line: real, effective, saved, filesystem.
            var uidLine = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            var fields = uidLine?.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return fields is { Length: >= 3 } && fields[2] == "0";
        }
        catch (IOException)
        {
            return false;
        }
    }
}
