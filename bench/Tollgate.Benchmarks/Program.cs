using BenchmarkDotNet.Running;

if (args is ["--alloc"])
{
    Tollgate.Benchmarks.AllocationProbe.Run();
    return;
}

if (args is ["--loop", var seconds, ..])
{
    // For a CPU profiler (perf with DOTNET_PerfMapEnabled=1, dotnet-trace): the five-policy request in a loop.
    Tollgate.Benchmarks.PipelineBenchmarks.Loop(TimeSpan.FromSeconds(double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture)), args.Length > 2 && args[2] == "none");
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Tollgate.Benchmarks.PipelineBenchmarks).Assembly).Run(args);
