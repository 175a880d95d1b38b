using System.Net;

namespace Tollgate.FunctionalTests.Policies;

/// <summary>
/// Expressions that used to take the gateway down or hold it for seconds, through the real gateway: each fails as any
/// failing expression does (on-error with <c>context.LastError</c>, else 500), and the gateway keeps serving.
/// </summary>
public sealed class ExpressionLimitsTests(PolicyHostFixture fixture) : IClassFixture<PolicyHostFixture>
{
    private const string OnError = """
        <return-response>
          <set-status code="500" reason="Policy failed" />
          <set-body>@(context.LastError.Source + ":" + context.LastError.Reason)</set-body>
        </return-response>
        """;

    private PolicyHost H => fixture.Host;

    [Fact]
    public async Task DeeplyNestedJson_FailsTheExpression_InsteadOfOverflowingTheStack()
    {
        // The first call used to overflow the stack in Newtonsoft's JSON writer, killing the gateway process.
        await H.SetApiPolicyAsync(
            inbound: """<set-header name="X-Deep"><value>@{ var a = new JArray(); for (int i = 0; i < 200000; i++) { var b = new JArray(); b.Add(a); a = b; } return a.ToString(Formatting.None); }</value></set-header>""",
            onError: OnError);

        await AssertStoppedThenServesAsync("set-header:ExpressionValueEvaluationFailure");
    }

    [Fact]
    public async Task CatastrophicRegex_IsStoppedByTheTimeBudget_WhileOtherRequestsAreServed()
    {
        // Used to run 14-16 s per request, whatever the expression's 1 s budget.
        await H.SetApiPolicyAsync(
            inbound: """<set-header name="X-Regex"><value>@(Regex.IsMatch(new string('a', 40) + "!", "^(a+)+$").ToString())</value></set-header>""",
            onError: OnError);

        var stopped = await Task.WhenAll(Enumerable.Range(0, 3).Select(async _ =>
        {
            using var response = await H.GetAsync();
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));

        Assert.All(stopped, s => Assert.Equal((HttpStatusCode.InternalServerError, "set-header:ExpressionValueEvaluationFailure"), s));
        await AssertServesAsync();
    }

    [Fact]
    public async Task LinqSelectManySum_IsStoppedByTheStepBudget()
    {
        // Used to run 14 s against a 1 s budget: SelectMany and Sum enumerate without calling any instrumented code.
        await H.SetApiPolicyAsync(
            inbound: """<set-header name="X-Sum"><value>@(Enumerable.Range(0, 100000).SelectMany(i => Enumerable.Range(0, 100000)).Select(x => (long)x).Sum().ToString())</value></set-header>""",
            onError: OnError);

        await AssertStoppedThenServesAsync("set-header:ExpressionValueEvaluationFailure");
    }

    [Fact]
    public async Task StringDoubling_IsStoppedByTheStringBudget_WithoutOnErrorAs500()
    {
        // Used to build a 1 GB string (the process went from 0.4 to 2.5 GB on one request).
        await H.SetApiPolicyAsync(inbound: """<set-header name="X-Big"><value>@{ var s = "x"; for (int i = 0; i < 29; i++) { s = s + s; } return s.Length.ToString(); }</value></set-header>""");

        using (var stopped = await H.GetAsync())
        {
            Assert.Equal(HttpStatusCode.InternalServerError, stopped.StatusCode);
            Assert.Equal("""{"statusCode":500,"message":"Internal server error"}""", await stopped.Content.ReadAsStringAsync());
        }

        await AssertServesAsync();
    }

    [Theory]
    [InlineData("X509Certificate2.GetCertContentType(\"/etc/passwd\").ToString()", "X509Certificate2.GetCertContentType(string)")]
    [InlineData("XDocument.Load(\"http://127.0.0.1:1/\").ToString()", "XDocument.Load(string)")]
    [InlineData("new X509Certificate2(new byte[0]).Verify().ToString()", "X509Certificate2.Verify()")]
    public async Task FileSystemOrNetworkApi_IsRefusedOnSave_NamingTheSymbol(string expression, string symbol)
    {
        var body = await H.RefusedAsync(inbound: $"""<set-header name="X-Probe"><value>@({expression})</value></set-header>""");

        Assert.Contains(symbol, body, StringComparison.Ordinal);
        Assert.Contains("not allowed", body, StringComparison.Ordinal);
        await AssertServesAsync();
    }

    private async Task AssertStoppedThenServesAsync(string expected)
    {
        using (var stopped = await H.GetAsync())
        {
            Assert.Equal(HttpStatusCode.InternalServerError, stopped.StatusCode);
            Assert.Equal(expected, await stopped.Content.ReadAsStringAsync());
        }

        await AssertServesAsync();
    }

    private async Task AssertServesAsync()
    {
        await H.SetApiPolicyAsync();
        using var ok = await H.GetAsync();
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }
}
