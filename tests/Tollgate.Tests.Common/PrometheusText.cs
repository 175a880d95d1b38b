using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Tollgate.Tests.Common;

/// <summary>One sample of a Prometheus exposition: metric name, labels and value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public bool Has(string label, string value) => Labels.TryGetValue(label, out var v) && v == value;
}

/// <summary>
/// Parses Prometheus text format with the reference parser of the Prometheus project's Python client
/// (Debian's python3-prometheus-client, installed by scripts/test.sh): a document it rejects fails the test.
/// </summary>
public static class PrometheusText
{
    private const string Script = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        out = []
        for family in text_string_to_metric_families(sys.stdin.read()):
            for s in family.samples:
                out.append({"name": s.name, "labels": s.labels, "value": repr(float(s.value))})
        json.dump(out, sys.stdout)
        """;

    public static async Task<IReadOnlyList<PrometheusSample>> ParseAsync(string text)
    {
        // Debian's interpreter, which has the Debian package's module (a pyenv or venv python3 on PATH may not).
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var info = new ProcessStartInfo(python, ["-c", Script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException("python3 did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(text);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new FormatException($"The Prometheus text parser rejected the document (exit {process.ExitCode}): {await stderr}");
        }

        using var json = JsonDocument.Parse(await stdout);
        return json.RootElement.EnumerateArray().Select(e => new PrometheusSample(
            e.GetProperty("name").GetString()!,
            e.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
            double.Parse(e.GetProperty("value").GetString()!, CultureInfo.InvariantCulture))).ToList();
    }
}
