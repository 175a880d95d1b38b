using BenchmarkDotNet.Running;

if (args is ["--alloc"])
{
    Tollgate.Benchmarks.AllocationProbe.Run();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Tollgate.Benchmarks.PipelineBenchmarks).Assembly).Run(args);
