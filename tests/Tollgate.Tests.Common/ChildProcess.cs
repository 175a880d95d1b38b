using System.Diagnostics;
using System.Globalization;

namespace Tollgate.Tests.Common;

/// <summary>Stopping the real servers tests start (Azurite, smtp4dev): SIGTERM, then a kill if they do not exit in 10 s.</summary>
public static class ChildProcess
{
    /// <summary>Stops <paramref name="process"/> and disposes it; then removes <paramref name="directory"/> (best effort).</summary>
    public static async Task StopAsync(Process process, string directory)
    {
        if (!process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            try
            {
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                process.Kill(entireProcessTree: true);
            }
        }

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
}
