using BenchmarkDotNet.Attributes;
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
/// One request through a five-policy pipeline with two expressions (rate-limit, quota, check-header, set-header with
/// an expression, set-variable with an expression), in-process counters, a backend that answers at once. The baseline
/// is the same request without policies (the HttpContext and GatewayRequest every request has anyway): the difference
/// is what the policies cost.
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    /// <summary>The five policies of the inbound section.</summary>
    public const string InboundPolicies = """
        <rate-limit calls="2000000000" renewal-period="1" />
        <quota calls="2000000000" renewal-period="604800" />
        <check-header name="X-Client" failed-check-httpcode="401" failed-check-error-message="no client" ignore-case="true" />
        <set-header name="X-Operation" exists-action="override"><value>@(context.Operation.Id)</value></set-header>
        <set-variable name="caller" value="@(context.Subscription.Id)" />
        """;

    private static readonly RequestDelegate Backend = static context =>
    {
        context.Response.StatusCode = 200;
        return Task.CompletedTask;
    };

    /// <summary>The inbound policies to run (the probe runs them one at a time).</summary>
    public string Inbound { get; set; } = InboundPolicies;

    private string Document => $"<policies><inbound><base />{Inbound}</inbound><backend><base /></backend><outbound><base /></outbound></policies>";

    private GatewayState _state = null!;
    private OperationPolicies _operation = null!;
    private PolicyPipeline _pipeline = null!;
    private OperationEntry _entry = null!;
    private GatewaySubscription _subscription = null!;
    private GatewayProduct _product = null!;

    [GlobalSetup]
    public virtual void Setup()
    {
        _subscription = new GatewaySubscription
        {
            Id = "bench", DisplayName = "bench", Scope = "/products/starter", State = "active",
            PrimaryKeyDigest = Tollgate.Security.KeyDigest.Of("primary").ToString(), SecondaryKeyDigest = Tollgate.Security.KeyDigest.Of("secondary").ToString(), CreatedDate = DateTimeOffset.UtcNow,
        };
        _product = new GatewayProduct { Id = "starter", DisplayName = "Starter", ApiIds = ["echo"], Policy = Document };
        var snapshot = new GatewaySnapshot
        {
            Revision = 1,
            ServiceName = "bench",
            Apis = [new GatewayApi { Id = "echo", DisplayName = "Echo", Path = "echo", ServiceUrl = "http://127.0.0.1:1", Operations = [new GatewayOperation { Id = "get", DisplayName = "Get", Method = "GET", UrlTemplate = "/hello" }] }],
            Products = [_product],
            Subscriptions = [_subscription],
        };
        var options = new GatewayOptions();
        var time = TimeProvider.System;
        var services = new PolicyServices(new InMemoryRateLimitStore(time), new InMemoryQuotaStore(time), new MemoryCacheStore(time, new MemoryCacheStoreOptions()), time, options);
        _state = GatewayState.Build(snapshot, options);
        _state.Policies = PolicyRuntime.Build(snapshot, _state, services);
        _operation = _state.Policies.Find("bench/echo/get")!;
        _pipeline = _operation.For(_product)!;
        _entry = _state.Operations["bench/echo/get"];
    }

    private DefaultHttpContext NewRequest(out GatewayRequest request)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = "/echo/hello";
        context.Request.Headers["X-Client"] = "bench";
        request = new GatewayRequest { State = _state, Entry = _entry, Subscription = _subscription, Product = _product };
        context.Features.Set(request);
        return context;
    }

    [Benchmark(Baseline = true, Description = "request without policies")]
    public Task NoPolicies()
    {
        var context = NewRequest(out _);
        return Backend(context);
    }

    [Benchmark(Description = "request through 5 policies, 2 expressions")]
    public Task FivePolicies()
    {
        var context = NewRequest(out var request);
        return PolicyExecutor.RunAsync(context, request, _operation, _pipeline, Backend);
    }

    /// <summary>Runs the five-policy request (or the one without policies) in a loop for <paramref name="duration"/>.</summary>
    public static void Loop(TimeSpan duration, bool noPolicies)
    {
        var bench = new PipelineBenchmarks();
        bench.Setup();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        long n = 0;
        while (watch.Elapsed < duration)
        {
            for (var i = 0; i < 10_000; i++)
            {
                (noPolicies ? bench.NoPolicies() : bench.FivePolicies()).GetAwaiter().GetResult();
            }

            n += 10_000;
        }

        Console.WriteLine($"{n} requests, {watch.Elapsed.TotalNanoseconds / n:F0} ns each");
    }
}

/// <summary>
/// The benchmark pipeline's policies one at a time (rate-limit and quota also as the pair the pipeline batches), each
/// against the request without policies in the same run: where the five-policy pipeline's time goes.
/// </summary>
public class EachPolicyBenchmarks : PipelineBenchmarks
{
    private static readonly Dictionary<string, string> Policies = new()
    {
        ["rate-limit"] = """<rate-limit calls="2000000000" renewal-period="1" />""",
        ["quota"] = """<quota calls="2000000000" renewal-period="604800" />""",
        ["rate-limit+quota"] = """<rate-limit calls="2000000000" renewal-period="1" /><quota calls="2000000000" renewal-period="604800" />""",
        ["check-header"] = """<check-header name="X-Client" failed-check-httpcode="401" failed-check-error-message="no client" ignore-case="true" />""",
        ["set-header @()"] = """<set-header name="X-Operation" exists-action="override"><value>@(context.Operation.Id)</value></set-header>""",
        ["set-variable @()"] = """<set-variable name="caller" value="@(context.Subscription.Id)" />""",
    };

    public static IEnumerable<string> Names => Policies.Keys;

    [ParamsSource(nameof(Names))]
    public string Policy { get; set; } = "";

    public override void Setup()
    {
        Inbound = Policies[Policy];
        base.Setup();
    }
}
