using System.Diagnostics;
using System.Globalization;

namespace Tollgate.Tests.Common;

/// <summary>Stopping the real servers tests start (Azurite, smtp4dev, nginx, tollgate processes): a signal, then a kill if they do not exit in time.</summary>
public static class ChildProcess
{
    /// <summary>Stops <paramref name="process"/> and disposes it; then removes <paramref name="directory"/> (best effort).</summary>
    public static async Task StopAsync(Process process, string directory)
    {
        await SignalAsync(process, "TERM", TimeSpan.FromSeconds(10));
        process.Dispose();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    /// <summary>
    /// Sends <paramref name="signal"/> (TERM, QUIT, INT…) to a running <paramref name="process"/> and waits for it to
    /// exit; kills it (and its children) when it has not within <paramref name="timeout"/>. Does not dispose it.
    /// </summary>
    public static async Task SignalAsync(Process process, string signal, TimeSpan timeout)
    {
        if (process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
