using System.Diagnostics;

namespace Tollgate.FunctionalTests.Infrastructure;

/// <summary>
/// The <c>tollgate</c> executable run as a user runs its client commands, with a configuration folder of its own
/// (XDG_CONFIG_HOME) where <c>tollgate login</c> keeps the credential.
/// </summary>
public sealed class CliClient : IDisposable
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "tollgate.dll");

    public string ConfigHome { get; } = Directory.CreateTempSubdirectory("tollgate-cli-config-").FullName;

    public string LoginFile => Path.Combine(ConfigHome, "tollgate", "login.json");

    /// <summary>Extra environment variables of every run.</summary>
    public Dictionary<string, string> Environment { get; } = [];

    public sealed record Result(int Code, string Stdout, string Stderr)
    {
        public string Output => Stdout + Stderr;
    }

    public async Task<Result> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["XDG_CONFIG_HOME"] = ConfigHome;
        info.Environment["NO_COLOR"] = "1";
        info.Environment["COLUMNS"] = "240";
        foreach (var (k, v) in Environment)
        {
            info.Environment[k] = v;
        }

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        return new Result(process.ExitCode, await output, await error);
    }

    /// <summary>Runs and requires exit code 0.</summary>
    public async Task<Result> OkAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.Code == 0, $"tollgate {string.Join(' ', args)} exited {result.Code}:\n{result.Output}");
        return result;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(ConfigHome, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
