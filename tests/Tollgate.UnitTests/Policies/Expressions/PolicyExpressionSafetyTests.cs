using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Expressions;

namespace Tollgate.UnitTests.Policies.Expressions;

/// <summary>What expressions may not do: forbidden types and members refused when compiled, loops stopped when run.</summary>
public sealed class PolicyExpressionSafetyTests
{
    private static IReadOnlyList<PolicyError> Check(string code, ExpressionResultType type = ExpressionResultType.Object) =>
        PolicyExpressionCompiler.Default.Check([new PolicyExpressionSource("policies/inbound/set-variable[1]/@value", code, type)]);

    [Theory]
    [InlineData("@(System.IO.File.ReadAllText(\"/etc/passwd\"))", "System.IO.File")]
    [InlineData("@{ System.IO.File.WriteAllText(\"/tmp/x\", \"x\"); return 1; }", "System.IO.File")]
    [InlineData("@(new System.IO.FileInfo(\"/etc/passwd\").Length)", "System.IO.FileInfo")]
    [InlineData("@(System.Diagnostics.Process.Start(\"/bin/sh\"))", "System.Diagnostics.Process")]
    [InlineData("@(\"\".GetType().Assembly.FullName)", "object.GetType()")]
    [InlineData("@(Type.GetType(\"System.IO.File\"))", "System.Type")]
    [InlineData("@(typeof(string).Name)", "System.Type")]
    [InlineData("@(Activator.CreateInstance<Random>())", "System.Activator")]
    [InlineData("@(Environment.GetEnvironmentVariable(\"PATH\"))", "System.Environment")]
    [InlineData("@{ System.Threading.Thread.Sleep(1000); return 1; }", "System.Threading.Thread")]
    [InlineData("@(System.Threading.Tasks.Task.Run(() => 1).Result)", "System.Threading.Tasks.Task")]
    [InlineData("@{ GC.Collect(); return 1; }", "System.GC")]
    [InlineData("@(AppDomain.CurrentDomain.FriendlyName)", "System.AppDomain")]
    [InlineData("@(System.Runtime.InteropServices.Marshal.SizeOf(1))", "System.Runtime.InteropServices.Marshal")]
    [InlineData("@{ dynamic d = context; return d.Api; }", "dynamic")]
    [InlineData("@{ Span<int> s = stackalloc int[10]; return s.Length; }", "stackalloc")]
    [InlineData("@{ var d = new System.Xml.XmlDocument(); d.XmlResolver = null; return 1; }", "System.Xml.XmlDocument.XmlResolver")]
    [InlineData("@{ Func<int, int> f = null; f = n => f(n); return f(1); }", "System.Func")]
    [InlineData("@(XDocument.Load(\"/etc/hosts\").ToString())", "XDocument.Load")]
    [InlineData("@(SymmetricAlgorithm.Create() != null)", "SymmetricAlgorithm.Create()")]
    [InlineData("@(DateTime.Now.ToUniversalTime())", "DateTime.ToUniversalTime()")]
    [InlineData("@{ lock (context) { return 1; } }", "'lock'")]
    [InlineData("@(new Exception().TargetSite)", "System.Reflection.MethodBase")]
    [InlineData("@(ExpressionRuntime.Tick(1))", "ExpressionRuntime")]
    public void Check_ForbiddenSymbol_IsRefusedByName(string code, string named)
    {
        var errors = Check(code);

        Assert.Contains(errors, e => e.Message.Contains(named, StringComparison.Ordinal) && e.Message.Contains("not allowed", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("@{ unsafe { int x = 1; int* p = &x; return *p; } }")]
    [InlineData("@{ return 1; } public static int X() { return X(); }")]
    [InlineData("@(1); } public static int X() { return X(); } public static object Y() { return (2)")]
    [InlineData("@{\n#if false\nreturn 1;\n#endif\nreturn 2; }")]
    [InlineData("@(1; return 2)")]
    [InlineData("@()")]
    public void Check_MalformedOrEscapingCode_IsRefused(string code)
    {
        var errors = Check(code);

        Assert.NotEmpty(errors);
        Assert.Throws<PolicyExpressionCompilationException>(() => PolicyExpressionCompiler.Default.Compile([new PolicyExpressionSource("x", code)]));
    }

    [Fact]
    public void Check_NotAllCodePathsReturn_SaysSoWithoutGeneratedNames()
    {
        var error = Assert.Single(Check("@{ if (context.Tracing) { return 1; } }"));

        Assert.Contains("every path of @{ ... } must end with a return statement", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("__PolicyExpressions", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("@{ while (true) { } }")]
    [InlineData("@{ for (;;) ; }")]
    [InlineData("@{ do { } while (true); }")]
    [InlineData("@{ top: goto top; }")]
    [InlineData("@{ var n = 0; while (true) { try { while (true) { n++; } } catch (Exception) { } } }")]
    [InlineData("@{ try { while (true) { } } catch (Exception) { } return 1; }")]
    [InlineData("@{ foreach (var i in Enumerable.Repeat(1, int.MaxValue)) { } return 1; }")]
    [InlineData("@(Enumerable.Range(0, int.MaxValue).Select(x => x + 1).Count())")]
    [InlineData("@((from a in Enumerable.Range(0, int.MaxValue) from b in Enumerable.Range(0, int.MaxValue) select a + b).Count())")]
    [InlineData("@{ switch (context.RequestId.ToString().Length) { case 36: goto case 2; case 2: goto case 36; } return 0; }")]
    public void Evaluate_EndlessLoop_IsStoppedByTheStepBudget(string code)
    {
        using var compiled = PolicyExpressionCompiler.Default.Compile([new PolicyExpressionSource("loop", code)]);

        var e = Assert.Throws<ExpressionBudgetExceededException>(() => compiled.Expressions[0].Evaluate(new TestProxyContext()));

        Assert.Equal("steps", e.Budget);
        Assert.Equal("loop", e.Path);
    }

    [Fact]
    public void Evaluate_EndlessLoop_IsStoppedByTheTimeBudget()
    {
        var limits = new ExpressionLimits { MaxSteps = long.MaxValue, MaxDuration = TimeSpan.FromSeconds(1), TimeProvider = new SteppingClock(TimeSpan.FromMilliseconds(10)) };
        using var compiled = new PolicyExpressionCompiler(limits).Compile([new PolicyExpressionSource("loop", "@{ while (true) { } }")]);

        var e = Assert.Throws<ExpressionBudgetExceededException>(() => compiled.Expressions[0].Evaluate(new TestProxyContext()));

        Assert.Equal("time", e.Budget);
    }

    [Fact]
    public void Evaluate_AfterAStoppedLoop_TheNextEvaluationHasAFreshBudget()
    {
        using var compiled = PolicyExpressionCompiler.Default.Compile(
        [
            new PolicyExpressionSource("loop", "@{ while (true) { } }"),
            new PolicyExpressionSource("sum", "@(Enumerable.Range(0, 1000).Select(x => x).Sum())"),
        ]);

        Assert.Throws<ExpressionBudgetExceededException>(() => compiled.Expressions[0].Evaluate(new TestProxyContext()));

        Assert.Equal(499500, compiled.Expressions[1].Evaluate(new TestProxyContext()));
    }

    /// <summary>A clock that moves forward each time it is read.</summary>
    private sealed class SteppingClock(TimeSpan step) : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Add(ref _ticks, step.Ticks);
    }
}
