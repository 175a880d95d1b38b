using System.Runtime.CompilerServices;
using Tollgate.Core.Gateway;
using Tollgate.Core.Policies;
using Tollgate.Gateway;
using Tollgate.Gateway.Configuration;
using Tollgate.Gateway.Policies.Caching;
using Tollgate.Gateway.Policies.Counters;
using Tollgate.Gateway.Policies.Runtime;

using static Tollgate.UnitTests.Gateway.PolicySnapshots;

namespace Tollgate.UnitTests.Gateway;

/// <summary>
/// A new snapshot compiles only the policy documents that are new or changed (content, or the named values they
/// reference), keeps the previous snapshot's compiled expressions and pipelines for everything else, and lets the
/// assemblies nothing uses any more be unloaded.
/// </summary>
public sealed class PolicyCompileCacheTests
{
    private const string Service = "cache";

    [Fact]
    public void UnchangedDocument_KeepsItsCompiledExpressionsAndPipeline_ChangedOneIsCompiledAgain()
    {
        var cache = new PolicyCompileCache();
        var first = Build(cache, Snapshot(1, Api("a", Policy("a")), Api("b", Policy("b"))));
        var second = Build(cache, Snapshot(2, Api("a", Policy("a")), Api("b", Policy("b, changed"))));

        Assert.Equal(2, first.DocumentsCompiled);
        Assert.Equal(1, second.DocumentsCompiled);
        Assert.Equal(2, cache.Compilations);

        // a: the same document, the same compiled delegate, the same pipeline.
        Assert.Same(first.Documents["api:a"], second.Documents["api:a"]);
        Assert.Same(ExpressionOf(first, "api:a"), ExpressionOf(second, "api:a"));
        Assert.Same(Pipeline(first, "a"), Pipeline(second, "a"));

        // b: compiled again, into another assembly, and its pipeline built again.
        Assert.NotSame(first.Documents["api:b"].Expressions, second.Documents["api:b"].Expressions);
        Assert.Contains("b, changed", ExpressionOf(second, "api:b").Code);
        Assert.NotSame(Pipeline(first, "b"), Pipeline(second, "b"));
        Assert.Equal(1, second.PipelinesReused);

        first.Retire();
        second.Retire();
    }

    [Fact]
    public void ManyDocuments_AreCompiledInChunks_AndEveryOneRuns()
    {
        // Enough expressions for three chunks: each document holds 40 set-header expressions.
        const int PerDocument = 40;
        var documents = (2 * PolicyRuntime.ExpressionsPerCompilation / PerDocument) + 2;
        string Many(int api) => Document(string.Concat(Enumerable.Range(0, PerDocument)
            .Select(i => $$"""<set-header name="X-{{i}}"><value>@("{{api}}-{{i}}")</value></set-header>""")));
        var cache = new PolicyCompileCache();

        var runtime = Build(cache, Snapshot(1, Enumerable.Range(0, documents).Select(i => Api("a" + i, Many(i))).ToArray()));

        Assert.Equal(documents, runtime.DocumentsCompiled);
        Assert.Empty(runtime.Problems);
        Assert.Equal(3, cache.Compilations);
        var first = runtime.Documents["api:a0"].Expressions!;
        var last = runtime.Documents["api:a" + (documents - 1)].Expressions!;
        Assert.NotSame(first, last);
        Assert.All(Enumerable.Range(0, documents), i => Assert.NotNull(Pipeline(runtime, "a" + i)));
        runtime.Retire();
    }

    [Fact]
    public void SameContentInTwoApis_IsCompiledOnce()
    {
        var cache = new PolicyCompileCache();
        var runtime = Build(cache, Snapshot(1, Api("a", Policy("same")), Api("b", Policy("same"))));

        Assert.Equal(1, runtime.DocumentsCompiled);
        Assert.Same(runtime.Documents["api:a"], runtime.Documents["api:b"]);
        Assert.NotSame(Pipeline(runtime, "a"), Pipeline(runtime, "b"));
        runtime.Retire();
    }

    [Fact]
    public void ChangedNamedValue_RecompilesOnlyTheDocumentsThatReferenceIt()
    {
        var cache = new PolicyCompileCache();
        var snapshot = Snapshot(1, Api("a", Policy("{{greeting}}")), Api("b", Policy("b"))) with { NamedValues = [new NamedValue("greeting", "hello", false)] };
        var first = Build(cache, snapshot);
        var second = Build(cache, snapshot with { Revision = 2, NamedValues = [new NamedValue("greeting", "bonjour", false)] });

        Assert.Equal(1, second.DocumentsCompiled);
        Assert.NotSame(first.Documents["api:a"], second.Documents["api:a"]);
        Assert.Contains("bonjour", ExpressionOf(second, "api:a").Code);
        Assert.NotSame(Pipeline(first, "a"), Pipeline(second, "a"));
        Assert.Same(ExpressionOf(first, "api:b"), ExpressionOf(second, "api:b"));
        Assert.Same(Pipeline(first, "b"), Pipeline(second, "b"));

        // A named value no document references changes nothing.
        var third = Build(cache, snapshot with { Revision = 3, NamedValues = [new NamedValue("greeting", "bonjour", false), new NamedValue("other", "x", false)] });
        Assert.Equal(0, third.DocumentsCompiled);
        Assert.Same(Pipeline(second, "a"), Pipeline(third, "a"));

        first.Retire();
        second.Retire();
        third.Retire();
    }

    [Fact]
    public void ChangedFragment_IsCompiledAgain_AndThePipelinesIncludingItAreRebuilt()
    {
        var cache = new PolicyCompileCache();
        var including = Document("""<include-fragment fragment-id="stamp" />""");
        var snapshot = Snapshot(1, Api("a", including), Api("b", Policy("b"))) with { PolicyFragments = [Fragment("v1")] };
        var first = Build(cache, snapshot);
        var second = Build(cache, snapshot with { Revision = 2, PolicyFragments = [Fragment("v2")] });

        Assert.Equal(1, second.DocumentsCompiled);
        Assert.NotSame(first.Documents["fragment:stamp"].Expressions, second.Documents["fragment:stamp"].Expressions);
        Assert.Contains("v2", second.Documents["fragment:stamp"].Expressions!.Expressions.Single(e => e.Code.Contains("v2")).Code);

        // The including document has no expression of the fragment's: it is not compiled again, but its pipeline
        // (which runs the fragment's handlers) is built again; the API that does not include it keeps its pipeline.
        Assert.Same(first.Documents["api:a"], second.Documents["api:a"]);
        Assert.NotSame(Pipeline(first, "a"), Pipeline(second, "a"));
        Assert.Same(Pipeline(first, "b"), Pipeline(second, "b"));

        first.Retire();
        second.Retire();
    }

    [Fact]
    public void CacheKeepsOnlyWhatTheLastSnapshotUses_AndUnusedAssembliesUnload()
    {
        var cache = new PolicyCompileCache();
        var (weak, second) = BuildAndReplaceEverything(cache);

        // The first snapshot's assembly is held by nothing any more: neither the cache nor a live runtime.
        for (var i = 0; i < 20 && weak.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(weak.IsAlive);
        Assert.Equal(2, cache.Count);
        second.Retire();
    }

    [Fact]
    public void AssemblyStaysLoaded_WhileARequestRunsOnTheReplacedSnapshot()
    {
        var cache = new PolicyCompileCache();
        var first = Build(cache, Snapshot(1, Api("a", Policy("a"))));
        var expression = ExpressionOf(first, "api:a");
        Assert.True(first.TryEnter());

        var second = Build(cache, Snapshot(2, Api("a", Policy("a2"))));
        first.Retire();

        // Still runnable for the request in flight; once it leaves, the delegates are dropped.
        Assert.Equal("a", expression.Evaluate(new Policies.Expressions.TestProxyContext()));
        first.Leave();
        Assert.Throws<ObjectDisposedException>(() => expression.Evaluate(new Policies.Expressions.TestProxyContext()));
        Assert.Equal(1, cache.Count);
        second.Retire();
    }

    [Fact]
    public void DocumentCompiledWithOthers_KeepsWorking_AfterTheOthersChange()
    {
        var cache = new PolicyCompileCache();
        var first = Build(cache, Snapshot(1, Api("a", Policy("a")), Api("b", Policy("b"))));
        var second = Build(cache, Snapshot(2, Api("a", Policy("a")), Api("b", Policy("b2"))));
        first.Retire();

        // b's first version left the cache, but a shares its assembly: a still runs.
        Assert.Equal(2, cache.Count);
        Assert.Equal("a", ExpressionOf(second, "api:a").Evaluate(new Policies.Expressions.TestProxyContext()));
        second.Retire();
    }

    [Fact]
    public void ForgottenInstance_LeavesNothingInTheCache()
    {
        var cache = new PolicyCompileCache();
        var runtime = Build(cache, Snapshot(1, Api("a", Policy("a"))));
        Assert.Equal(1, cache.Count);

        cache.Forget(Service);

        Assert.Equal(0, cache.Count);
        Assert.Equal("a", ExpressionOf(runtime, "api:a").Evaluate(new Policies.Expressions.TestProxyContext()));
        runtime.Retire();
    }

    [Fact]
    public void DocumentThatDoesNotCompile_FailsOnlyItsOperation_AndIsNotCompiledAgain()
    {
        var cache = new PolicyCompileCache();
        var broken = Document("""<set-header name="X"><value>@(context.NoSuchMember)</value></set-header>""");
        var first = Build(cache, Snapshot(1, Api("a", Policy("a")), Api("bad", broken)));
        var second = Build(cache, Snapshot(2, Api("a", Policy("a")), Api("bad", broken), Api("c", Policy("c"))));

        Assert.Contains("the policy of API 'bad' cannot be loaded", Assert.Single(second.Problems));
        Assert.Equal(1, second.DocumentsCompiled);
        Assert.NotNull(Pipeline(second, "bad")!.Problem);
        Assert.Null(Pipeline(second, "c")!.Problem);
        Assert.Same(Pipeline(first, "a"), Pipeline(second, "a"));
        first.Retire();
        second.Retire();
    }

    [Fact]
    public void ADocumentSharedByTwoApis_StaysWhileOneUsesIt_AndGoesWithTheLast()
    {
        // Management shares unchanged API objects between snapshots: the runtime keeps their parts as they are and
        // the cache counts each document's places by what was rebuilt and dropped.
        var cache = new PolicyCompileCache();
        var a = Api("a", Policy("shared"));
        var b = Api("b", Policy("shared"));
        var c = Api("c", Policy("own"));
        var first = Build(cache, Snapshot(1, a, b, c));
        Assert.Equal((2, 2, 2), (cache.Count, first.DocumentCount, first.ExpressionCount));

        var b2 = Api("b", Policy("b2"));
        var second = Build(cache, Snapshot(2, a, b2, c));
        Assert.Equal((3, 3, 3), (cache.Count, second.DocumentCount, second.ExpressionCount));
        Assert.Same(first.Documents["api:a"], second.Documents["api:a"]);
        Assert.Same(Pipeline(first, "a"), Pipeline(second, "a"));
        Assert.Same(Pipeline(first, "c"), Pipeline(second, "c"));
        Assert.Equal(1, second.DocumentsCompiled);

        // The last place of "shared" changes, and c is deleted: both documents leave the cache.
        var a2 = Api("a", Policy("a2"));
        var third = Build(cache, Snapshot(3, a2, b2));
        Assert.Equal((2, 2, 2), (cache.Count, third.DocumentCount, third.ExpressionCount));
        Assert.Same(Pipeline(second, "b"), Pipeline(third, "b"));
        Assert.Null(Pipeline(third, "c"));
        Assert.Equal("a2", ExpressionOf(third, "api:a").Evaluate(new Policies.Expressions.TestProxyContext()));

        // Everything the same again: nothing compiled, every pipeline kept.
        var fourth = Build(cache, Snapshot(4, a2, b2));
        Assert.Equal((0, 2, 2), (fourth.DocumentsCompiled, fourth.PipelinesReused, cache.Count));

        foreach (var runtime in new[] { first, second, third, fourth })
        {
            runtime.Retire();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (WeakReference Weak, PolicyRuntime Second) BuildAndReplaceEverything(PolicyCompileCache cache)
    {
        var first = Build(cache, Snapshot(1, Api("a", Policy("a")), Api("b", Policy("b"))));
        var weak = first.Documents["api:a"].Expressions!.LoadContextReference;
        var second = Build(cache, Snapshot(2, Api("a", Policy("a2")), Api("b", Policy("b2"))));
        first.Retire();
        return (weak, second);
    }

    private static Tollgate.Core.Policies.Expressions.CompiledExpression ExpressionOf(PolicyRuntime runtime, string location)
    {
        var policy = runtime.Documents[location];
        var element = policy.Document!.Sections.SelectMany(s => s.Elements).First(e => e.Name == "set-header");
        return policy.Expressions!.Find(element.Children.Single(c => c.Name == "value"))!;
    }

    private static PolicyPipeline? Pipeline(PolicyRuntime runtime, string api) =>
        runtime.Find($"{Service}/{api}/op")?.WithoutProduct;

    private static GatewayPolicyFragment Fragment(string version) => new()
    {
        Id = "stamp",
        Value = $$"""<fragment><set-header name="X-Stamp"><value>@("{{version}}")</value></set-header></fragment>""",
    };

    private static GatewaySnapshot Snapshot(long revision, params GatewayApi[] apis) => PolicySnapshots.Snapshot(Service, revision, apis);
}
