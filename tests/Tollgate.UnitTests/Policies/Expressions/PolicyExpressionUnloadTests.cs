using System.Runtime.CompilerServices;
using Tollgate.Core.Policies.Expressions;

namespace Tollgate.UnitTests.Policies.Expressions;

/// <summary>The compiled code of a replaced snapshot goes away.</summary>
public sealed class PolicyExpressionUnloadTests
{
    [Fact]
    public void Dispose_UnloadsTheAssembly_CollectedAfterGcs()
    {
        var weak = CompileRunAndDispose();

        for (var i = 0; i < 20 && weak.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(weak.IsAlive);
    }

    [Fact]
    public void Evaluate_AfterDispose_Throws()
    {
        var compiled = PolicyExpressionCompiler.Default.Compile([new PolicyExpressionSource("x", "@(1)")]);
        var expression = compiled.Expressions[0];

        compiled.Dispose();

        Assert.Throws<ObjectDisposedException>(() => expression.Evaluate(new TestProxyContext()));
    }

    // Compiling and running happen in a method of their own, never inlined, so that no local of this frame keeps the
    // load context alive: a JIT-held reference would keep the collectible context loaded and the test would prove nothing.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference CompileRunAndDispose()
    {
        var compiled = PolicyExpressionCompiler.Default.Compile(
        [
            new PolicyExpressionSource("a", "@(context.Api.Name + \"!\")"),
            new PolicyExpressionSource("b", "@(Enumerable.Range(0, 10).Select(x => new { x }).Count())"),
        ]);
        Run(compiled);
        compiled.Dispose();
        return compiled.LoadContextReference;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Run(CompiledPolicyExpressions compiled)
    {
        Assert.Equal("Echo API!", compiled.Expressions[0].Evaluate(new TestProxyContext()));
        Assert.Equal(10, compiled.Expressions[1].Evaluate(new TestProxyContext()));
    }
}
