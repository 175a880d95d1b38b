using BenchmarkDotNet.Attributes;
using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Expressions;

namespace Tollgate.Benchmarks;

/// <summary>
/// What one policy write costs in Roslyn: a document with three expressions (the one <c>bench/policies</c> loads)
/// checked as management checks it before storing, and compiled as the gateway compiles it to run it. Each iteration
/// uses a new constant so that nothing is reused between iterations.
/// </summary>
[MemoryDiagnoser]
public class PolicyCompileBenchmarks
{
    private int _version;

    private static string Document(int version) =>
        "<policies><inbound><base />"
        + $"<set-variable name=\"version\" value=\"@(&quot;{version}&quot;)\" />"
        + "<choose><when condition=\"@(context.Request.Method == &quot;GET&quot;)\">"
        + "<set-header name=\"X-Version\" exists-action=\"override\">"
        + "<value>@((string)context.Variables[&quot;version&quot;] + &quot;:&quot; + context.Request.Method)</value>"
        + "</set-header></when></choose></inbound><backend><base /></backend><outbound><base /></outbound>"
        + "<on-error><base /></on-error></policies>";

    [GlobalSetup]
    public void Setup() => PolicyExpressionCompiler.WarmUp();

    [Benchmark(Baseline = true, Description = "check (management, before storing)")]
    public int Check() => PolicyExpressionCompiler.Default.Check(PolicyDocument.Parse(Document(++_version), null, escaped: false)).Count;

    [Benchmark(Description = "compile and load (gateway)")]
    public int Compile()
    {
        using var compiled = PolicyExpressionCompiler.Default.Compile([PolicyDocument.Parse(Document(++_version), null, escaped: false)]);
        return compiled.Expressions.Count;
    }
}
