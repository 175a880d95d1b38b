using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Cluster;

/// <summary>
/// One <c>tollgate run --roles …</c> process, started as scripts/cluster.sh starts it (the built <c>tollgate.dll</c>,
/// settings in <c>Tollgate__…</c> environment variables, a data directory of its own), so a test can kill it with
/// SIGKILL as a crash would.
/// </summary>
public sealed class TollgateProcess : IAsyncDisposable
{
    public static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "tollgate.dll");

    private static readonly ConcurrentDictionary<TollgateProcess, byte> Running = new();

    private readonly RecentLines _log = new(300);
    private readonly IReadOnlyDictionary<string, string> _environment;
    private Process _process;

    static TollgateProcess()
    {
        // Never leave a process behind when the test host exits without disposing it.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var process in Running.Keys)
            {
                try
                {
                    process._process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // Already gone.
                }
            }
        };
    }

    private TollgateProcess(string name, string roles, string url, string dataDirectory, IReadOnlyDictionary<string, string> environment)
    {
        Name = name;
        Roles = roles;
        Url = url;
        DataDirectory = dataDirectory;
        _environment = environment;
        _process = Launch();
        Running.TryAdd(this, 0);
    }

    public string Name { get; }

    public string Roles { get; }

    /// <summary>The role's own listener (the gateway's HTTP, management's HTTP or Studio's), which serves /health/*.</summary>
    public string Url { get; }

    public int Port => new Uri(Url).Port;

    public string DataDirectory { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the process wrote.</summary>
    public string Log => _log.ToString();

    /// <summary>Starts the process; <see cref="WaitReadyAsync"/> waits for it.</summary>
    public static TollgateProcess Start(string name, string roles, string url, IReadOnlyDictionary<string, string> environment, string? dataDirectory = null) =>
        new(name, roles, url, dataDirectory ?? Directory.CreateTempSubdirectory("tollgate-" + name + "-").FullName, environment);

    /// <summary>Polls <c>/health/ready</c> (startup only; 60 s at most) until it answers 200.</summary>
    public async Task WaitReadyAsync()
    {
        using var client = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited during start-up (exit code {_process.ExitCode}):\n{Log}");
            }

            try
            {
                using var response = await client.GetAsync("/health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"{Name} was not ready within 60 s:\n{Log}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>SIGKILL, as a crash or an OOM kill: no shutdown, nothing flushed.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>Starts the process again with the same settings and data directory (as systemd or Kubernetes would).</summary>
    public async Task RestartAsync()
    {
        await KillAsync();
        _process.Dispose();
        _process = Launch();
        await WaitReadyAsync();
    }

    /// <summary>Runs another <c>tollgate</c> command with this process's settings (e.g. <c>token</c>) and returns its standard output.</summary>
    public static async Task<string> RunCommandAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"tollgate {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}");
        return (await output).Trim();
    }

    public async ValueTask DisposeAsync()
    {
        // TERM: the tollgate command stops its roles as on Ctrl+C (the gateway posts its last records).
        await ChildProcess.SignalAsync(_process, "TERM", TimeSpan.FromSeconds(20));
        _process.Dispose();
        Running.TryRemove(this, out _);
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    private Process Launch()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Dll, "run", "--roles", Roles, "--data-dir", DataDirectory })
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in _environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => _log.Add(e.Data);
        process.ErrorDataReceived += (_, e) => _log.Add(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
