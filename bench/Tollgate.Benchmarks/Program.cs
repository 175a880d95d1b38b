using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Tollgate.Benchmarks.PipelineBenchmarks).Assembly).Run(args);
