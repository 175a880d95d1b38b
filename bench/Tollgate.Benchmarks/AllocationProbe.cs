using Microsoft.AspNetCore.Http;
using Tollgate.Core.Gateway;
using Tollgate.Gateway;
using Tollgate.Gateway.Configuration;
using Tollgate.Gateway.Policies.Caching;
using Tollgate.Gateway.Policies.Counters;
using Tollgate.Gateway.Policies.Runtime;
using Tollgate.Gateway.Subscriptions;

namespace Tollgate.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release -- --alloc</c>: bytes allocated per request by each policy of the benchmark pipeline on its
/// own and by all five, beyond the request without policies (GC.GetAllocatedBytesForCurrentThread, after warm-up).
/// A quick way to see which policy allocates; the numbers to report come from BenchmarkDotNet's MemoryDiagnoser.
/// </summary>
public static class AllocationProbe
{
    private static readonly string[] Variants =
    [
        """<rate-limit calls="2000000000" renewal-period="1" />""",
        """<quota calls="2000000000" renewal-period="604800" />""",
        """<check-header name="X-Client" failed-check-httpcode="401" failed-check-error-message="no client" ignore-case="true" />""",
        """<set-header name="X-Operation" exists-action="override"><value>@(context.Operation.Id)</value></set-header>""",
        """<set-variable name="caller" value="@(context.Subscription.Id)" />""",
        PipelineBenchmarks.InboundPolicies,
    ];

    private static readonly HashSet<string> BaselineTypes = [];

    public static void Run()
    {
        using var listener = new AllocationListener();
        var baseline = Measure(null);
        Console.WriteLine($"request without policies: {baseline} B");
        foreach (var inbound in Variants)
        {
            var bytes = Measure(inbound);
            Console.WriteLine($"{bytes - baseline,6} B more  {inbound.Split('\n')[0].Trim()}{(inbound.Contains('\n') ? " … (all five)" : "")}");
        }
    }

    private static long Measure(string? inbound)
    {
        var bench = new PipelineBenchmarks { Inbound = inbound ?? PipelineBenchmarks.InboundPolicies };
        bench.Setup();
        Func<Task> run = inbound is null ? bench.NoPolicies : bench.FivePolicies;
        // Warm up for longer than the rate limit's 1 s window, so its log has reached its steady size.
        var warm = System.Diagnostics.Stopwatch.StartNew();
        while (warm.ElapsedMilliseconds < 1500)
        {
            run().GetAwaiter().GetResult();
        }

        const int n = 100_000;
        AllocationListener.Types.Clear();
        AllocationListener.Enabled = true;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < n; i++)
        {
            run().GetAwaiter().GetResult();
        }

        var after = GC.GetAllocatedBytesForCurrentThread();
        AllocationListener.Enabled = false;
        if (inbound is null)
        {
            BaselineTypes.UnionWith(AllocationListener.Types.Keys);
        }
        else
        {
            Console.WriteLine("    sampled types beyond the request's own: " + string.Join(", ", AllocationListener.Types.Where(p => !BaselineTypes.Contains(p.Key)).OrderByDescending(p => p.Value).Take(8).Select(p => $"{p.Key} x{p.Value}")));
        }

        return (after - before) / n;
    }
}

/// <summary>The runtime's allocation samples (one per ~100 KB), by type.</summary>
internal sealed class AllocationListener : System.Diagnostics.Tracing.EventListener
{
    public static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Types = new();

    public static volatile bool Enabled;

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs e)
    {
        if (Enabled && e.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) == true && e.PayloadNames is { } names)
        {
            var type = e.Payload![names.IndexOf("TypeName")] as string ?? "?";
            Types.AddOrUpdate(type, 1, static (_, n) => n + 1);
        }
    }
}
