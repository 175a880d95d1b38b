using Microsoft.Extensions.Logging.Abstractions;
using Tollgate.Core.Gateway;
using Tollgate.Core.Policies.Expressions;
using Tollgate.Gateway;
using Tollgate.Gateway.Configuration;
using Tollgate.Gateway.Policies.Caching;
using Tollgate.Gateway.Policies.Counters;
using Tollgate.Gateway.Policies.Runtime;

using static Tollgate.UnitTests.Gateway.PolicySnapshots;

namespace Tollgate.UnitTests.Gateway;

/// <summary>
/// A gateway keeps its compiled policy expressions on disk: after a restart (a new cache on the same directory) the
/// documents are loaded instead of compiled and run the same; a damaged image, images of another build and images
/// no document uses any more are not loaded and do not stay.
/// </summary>
public sealed class PolicyAssemblyStoreTests : IDisposable
{
    private const string Service = "kept";

    private readonly string _directory = Directory.CreateTempSubdirectory("tollgate-policy-assemblies-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void AfterARestart_DocumentsAreLoadedFromDisk_NotCompiled_AndRunTheSame()
    {
        var snapshot = Snapshot(1, Api("a", Policy("alpha")), Api("b", Policy("beta")), Api("c", Policy("gamma")));
        var before = Build(NewCache(), snapshot);
        Assert.Equal(3, before.DocumentsCompiled);
        Assert.Equal(0, before.DocumentsLoaded);
        before.Retire();

        var cache = NewCache();
        var after = Build(cache, snapshot);

        Assert.Equal(0, after.DocumentsCompiled);
        Assert.Equal(3, after.DocumentsLoaded);
        Assert.Equal(0, cache.Compilations);
        Assert.Empty(after.Problems);
        Assert.Equal("alpha", Evaluate(after, "api:a"));
        Assert.Equal("beta", Evaluate(after, "api:b"));
        Assert.Equal("gamma", Evaluate(after, "api:c"));
        after.Retire();
    }

    [Fact]
    public void ADocumentChangedWhileStopped_IsCompiled_TheOthersAreLoaded()
    {
        Build(NewCache(), Snapshot(1, Api("a", Policy("alpha")), Api("b", Policy("beta")))).Retire();

        var after = Build(NewCache(), Snapshot(2, Api("a", Policy("alpha")), Api("b", Policy("beta, changed"))));

        Assert.Equal(1, after.DocumentsCompiled);
        Assert.Equal(1, after.DocumentsLoaded);
        Assert.Equal("alpha", Evaluate(after, "api:a"));
        Assert.Equal("beta, changed", Evaluate(after, "api:b"));
        after.Retire();
    }

    [Fact]
    public void DamagedImage_IsCompiledAgain_AndReplaced()
    {
        var snapshot = Snapshot(1, Api("a", Policy("alpha")));
        Build(NewCache(), snapshot).Retire();
        var image = Assert.Single(Directory.GetFiles(_directory, "*.dll", SearchOption.AllDirectories));
        File.WriteAllBytes(image, File.ReadAllBytes(image)[..100]);

        var after = Build(NewCache(), snapshot);

        Assert.Equal(1, after.DocumentsCompiled);
        Assert.Equal("alpha", Evaluate(after, "api:a"));
        Assert.True(new FileInfo(Assert.Single(Directory.GetFiles(_directory, "*.dll", SearchOption.AllDirectories))).Length > 100);
        after.Retire();

        var third = Build(NewCache(), snapshot);
        Assert.Equal(1, third.DocumentsLoaded);
        third.Retire();
    }

    [Fact]
    public void ImagesOfAnotherBuild_AreDeleted_NotLoaded()
    {
        var other = Directory.CreateDirectory(Path.Combine(_directory, "0123456789ABCDEF0123456789ABCDEF"));
        File.WriteAllText(Path.Combine(other.FullName, "x.keys"), "not a hash\n");

        var runtime = Build(NewCache(), Snapshot(1, Api("a", Policy("alpha"))));

        Assert.False(other.Exists && Directory.Exists(other.FullName));
        Assert.Equal([PolicyExpressionCompiler.Default.ImageFingerprint], Directory.GetDirectories(_directory).Select(Path.GetFileName));
        runtime.Retire();
    }

    [Fact]
    public void ImageNoDocumentUses_IsDeleted()
    {
        var cache = NewCache();
        var first = Build(cache, Snapshot(1, Api("a", Policy("alpha"))));
        var second = Build(cache, Snapshot(2, Api("a", Policy("alpha, changed"))));
        first.Retire();

        // Only the changed document's image is left; the first one went with the document.
        Assert.Single(Directory.GetFiles(_directory, "*.dll", SearchOption.AllDirectories));
        Assert.Single(Directory.GetFiles(_directory, "*.keys", SearchOption.AllDirectories));
        var after = Build(NewCache(), Snapshot(3, Api("a", Policy("alpha, changed"))));
        Assert.Equal(1, after.DocumentsLoaded);
        second.Retire();
        after.Retire();
    }

    [Fact]
    public void DocumentsCompiledInChunks_AreLoadedFromTheirChunks()
    {
        const int PerDocument = 40;
        var documents = (PolicyRuntime.ExpressionsPerCompilation / PerDocument) + 2;
        string Many(int api) => Document(string.Concat(Enumerable.Range(0, PerDocument)
            .Select(i => $$"""<set-header name="X-{{i}}"><value>@("{{api}}-{{i}}")</value></set-header>""")));
        var snapshot = Snapshot(1, Enumerable.Range(0, documents).Select(i => Api("a" + i, Many(i))).ToArray());
        Build(NewCache(), snapshot).Retire();
        Assert.Equal(2, Directory.GetFiles(_directory, "*.dll", SearchOption.AllDirectories).Length);

        var after = Build(NewCache(), snapshot);

        Assert.Equal(documents, after.DocumentsLoaded);
        Assert.Equal(0, after.DocumentsCompiled);
        Assert.Equal($"{documents - 1}-0", Evaluate(after, "api:a" + (documents - 1)));
        Assert.Equal("0-0", Evaluate(after, "api:a0"));
        after.Retire();
    }

    private PolicyCompileCache NewCache() =>
        new() { Assemblies = new PolicyAssemblyStore(_directory, PolicyExpressionCompiler.Default, NullLogger.Instance) };

    private static object? Evaluate(PolicyRuntime runtime, string location)
    {
        var policy = runtime.Documents[location];
        var element = policy.Document!.Sections.SelectMany(s => s.Elements).First(e => e.Name == "set-header");
        return policy.Expressions!.Find(element.Children.Single(c => c.Name == "value"))!.Evaluate(new Policies.Expressions.TestProxyContext());
    }

    private static GatewaySnapshot Snapshot(long revision, params GatewayApi[] apis) => PolicySnapshots.Snapshot(Service, revision, apis);
}
