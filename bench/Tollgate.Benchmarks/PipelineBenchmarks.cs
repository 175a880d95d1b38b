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
    public string Inbound { get; init; } = InboundPolicies;

    private string Policy => $"<policies><inbound><base />{Inbound}</inbound><backend><base /></backend><outbound><base /></outbound></policies>";

    private GatewayState _state = null!;
    private OperationPolicies _operation = null!;
    private PolicyPipeline _pipeline = null!;
    private OperationEntry _entry = null!;
    private GatewaySubscription _subscription = null!;
    private GatewayProduct _product = null!;

    [GlobalSetup]
    public void Setup()
    {
        _subscription = new GatewaySubscription
        {
            Id = "bench", DisplayName = "bench", Scope = "/products/starter", State = "active",
            PrimaryKeyDigest = Tollgate.Security.KeyDigest.Of("primary").ToString(), SecondaryKeyDigest = Tollgate.Security.KeyDigest.Of("secondary").ToString(), CreatedDate = DateTimeOffset.UtcNow,
        };
        _product = new GatewayProduct { Id = "starter", DisplayName = "Starter", ApiIds = ["echo"], Policy = Policy };
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
}
