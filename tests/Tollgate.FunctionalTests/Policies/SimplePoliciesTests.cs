using System.Globalization;
using System.Net;
using System.Text;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Policies;

/// <summary>
/// <c>authentication-basic</c>, <c>jsonp</c>, <c>limit-concurrency</c> and <c>wait</c>, saved through the management API
/// (APIM's documentation examples unchanged where there is one) and observed through the gateway.
/// </summary>
public sealed class SimplePoliciesTests(PolicyHostFixture fixture) : IClassFixture<PolicyHostFixture>
{
    private PolicyHost H => fixture.Host;

    [Fact]
    public async Task AuthenticationBasic_SendsBasicCredentialsToTheBackend_FromLiteralsOrASecretNamedValue()
    {
        await H.SetApiPolicyAsync(inbound: """<authentication-basic username="testuser" password="testpassword" />""");
        using (var response = await H.GetAsync(configure: r => r.Headers.TryAddWithoutValidation("Authorization", "Bearer from-the-client")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("testuser:testpassword")), H.Backend.Last.Header("Authorization"));
        }

        await H.Host.PutAsync($"{PolicyHost.Svc}/namedValues/backend-password", new { properties = new { displayName = "backend-password", value = "s3cr:t-é", secret = true } });
        await H.SetApiPolicyAsync(inbound: """<authentication-basic username="@(context.Operation.Id)" password="{{backend-password}}" />""");
        using (var response = await H.GetAsync())
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("get:s3cr:t-é")), H.Backend.Last.Header("Authorization"));
        }
    }

    [Fact]
    public async Task AuthenticationBasicWithoutPassword_IsRefusedOnSave()
    {
        var text = await H.RefusedAsync(inbound: """<authentication-basic username="testuser" />""");
        Assert.Contains("Attribute 'password' of 'authentication-basic' is required.", text);
    }

    [Fact]
    public async Task Jsonp_WrapsTheJsonInTheCallback_OnlyWhenTheClientAsksForOne()
    {
        await H.SetApiPolicyAsync(outbound: """<jsonp callback-parameter-name="cb" />""");

        using (var wrapped = await H.GetAsync("/echo/items/42?cb=render"))
        {
            Assert.Equal(HttpStatusCode.OK, wrapped.StatusCode);
            Assert.Equal("application/javascript", wrapped.Content.Headers.ContentType?.MediaType);
            Assert.Equal("""render({"backend":"recording","path":"/items/42"})""", await wrapped.Content.ReadAsStringAsync());
        }

        using (var plain = await H.GetAsync("/echo/items/42"))
        {
            Assert.Equal("application/json", plain.Content.Headers.ContentType?.MediaType);
            Assert.Equal("""{"backend":"recording","path":"/items/42"}""", await plain.Content.ReadAsStringAsync());
        }

        // Not a JavaScript name: answered as plain JSON rather than running the caller's script.
        using var injected = await H.GetAsync("/echo/items/42?cb=" + Uri.EscapeDataString("alert(1);x"));
        Assert.Equal("""{"backend":"recording","path":"/items/42"}""", await injected.Content.ReadAsStringAsync());
    }

    private static string SendRequest(RecordingBackend to, string name) => $$"""
        <send-request mode="new" response-variable-name="{{name}}">
          <set-url>{{to.Url}}/{{name}}</set-url>
          <set-method>GET</set-method>
        </send-request>
        """;

    private const string ReportVariables = """
        <set-header name="X-Got"><value>@(string.Join(",", new[] { "one", "two", "three" }.Where(v => context.Variables.ContainsKey(v))))</value></set-header>
        """;

    [Fact]
    public async Task WaitForAll_SendsItsRequestsAtTheSameTime_AndCompletesWhenEveryChildHas()
    {
        await using var a = await RecordingBackend.StartAsync();
        await using var b = await RecordingBackend.StartAsync();
        a.Hold = true;
        b.Hold = true;
        await H.SetApiPolicyAsync(inbound: $"""
            <wait for="all">
              {SendRequest(a, "one")}
              {SendRequest(b, "two")}
              <choose><when condition="@(true)"><set-variable name="three" value="3" /></when></choose>
            </wait>
            {ReportVariables}
            """);

        var call = H.GetAsync();

        // Both requests are out while neither has been answered: they were sent together, not one after the other.
        Assert.True(await a.WaitForRequestsAsync(1, TimeSpan.FromSeconds(30)));
        Assert.True(await b.WaitForRequestsAsync(1, TimeSpan.FromSeconds(30)));
        Assert.False(call.IsCompleted);

        a.Release();
        b.Release();
        using var response = await call;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("one,two,three", H.Backend.Last.Header("X-Got"));
    }

    [Fact]
    public async Task WaitForAny_CompletesWithTheFirstResponse_AndStopsTheOthers()
    {
        await using var slow = await RecordingBackend.StartAsync();
        await using var fast = await RecordingBackend.StartAsync();
        slow.Hold = true;
        await H.SetApiPolicyAsync(inbound: $"""<wait for="any">{SendRequest(slow, "one")}{SendRequest(fast, "two")}</wait>{ReportVariables}""");

        // Answered while the slow backend still holds its request (it may not even have arrived: it is cancelled).
        using var response = await H.GetAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("two", H.Backend.Last.Header("X-Got"));

        var refused = await H.RefusedAsync(inbound: """<wait><set-header name="X"><value>1</value></set-header></wait>""");
        Assert.Contains("may contain only send-request, cache-lookup-value and choose", refused);
    }


    // "Used only once per policy definition" counts per flow, as APIM's wait example has a rate-limit in each choose child.
    [Fact]
    public async Task RateLimit_InEachBranchOfAChoose_IsSaved_AndTheBranchTakenLimits_TwiceOnOneFlowIsRefused()
    {
        const string Limit = """<rate-limit calls="{0}" renewal-period="60" />""";
        await H.SetApiPolicyAsync(inbound: $"""
            <choose>
                <when condition="@(context.Request.Headers.GetValueOrDefault("X-Tier", "") == "wide")">{string.Format(CultureInfo.InvariantCulture, Limit, 100)}</when>
                <otherwise>{string.Format(CultureInfo.InvariantCulture, Limit, 1)}</otherwise>
            </choose>
            """);

        using (var first = await H.GetAsync("/echo/items/branch"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using (var limited = await H.GetAsync("/echo/items/branch"))
        {
            Assert.Equal((HttpStatusCode)429, limited.StatusCode);
            var body = await PolicyHost.JsonAsync(limited);
            Assert.Equal(429, (int?)body["statusCode"]);
            Assert.StartsWith("Rate limit is exceeded. Try again in ", (string?)body["message"], StringComparison.Ordinal);
        }

        var refused = await H.RefusedAsync(inbound: $"""<choose><when condition="@(true)">{Limit}</when></choose>{Limit}""".Replace("{0}", "5", StringComparison.Ordinal));
        Assert.Contains("(policies/inbound/rate-limit[1]): Policy 'rate-limit' may appear only once in a policy document.", refused);
        await H.SetApiPolicyAsync();
    }
    [Fact]
    public async Task ValidateStatusCode_PreventsUndeclaredStatuses_With502_DetectsOrIgnoresAsConfigured()
    {
        // Operation 'get' declares only 200 in its responses.
        await H.SetApiPolicyAsync(
            outbound: """
                <validate-status-code unspecified-status-code-action="prevent" errors-variable-name="requestValidation">
                    <status-code code="404" action="ignore" />
                    <status-code code="409" action="detect" />
                </validate-status-code>
                <set-header name="X-Validation" exists-action="override"><value>@(context.Variables.ContainsKey("requestValidation") ? ((JArray)context.Variables["requestValidation"])[0]["Details"].ToString() : "none")</value></set-header>
                """,
            onError: """<set-header name="X-Reason" exists-action="override"><value>@(context.LastError.Reason + ": " + context.LastError.Message)</value></set-header>""");

        try
        {
            using (var declared = await H.GetAsync())
            {
                Assert.Equal(HttpStatusCode.OK, declared.StatusCode);
                Assert.Equal("none", declared.Headers.GetValues("X-Validation").Single());
            }

            H.Backend.StatusCode = 500;
            using (var prevented = await H.GetAsync())
            {
                Assert.Equal(HttpStatusCode.BadGateway, prevented.StatusCode);
                var body = await PolicyHost.JsonAsync(prevented);
                Assert.Equal("The request could not be processed due to an internal error. Contact the API owner.", (string)body["message"]!);
                Assert.Equal("Response not allowed: Response status code 500 is not allowed.", prevented.Headers.GetValues("X-Reason").Single());
            }

            H.Backend.StatusCode = 404;
            using (var ignored = await H.GetAsync())
            {
                Assert.Equal(HttpStatusCode.NotFound, ignored.StatusCode);
                Assert.Equal("none", ignored.Headers.GetValues("X-Validation").Single());
            }

            H.Backend.StatusCode = 409;
            using var detected = await H.GetAsync();
            Assert.Equal(HttpStatusCode.Conflict, detected.StatusCode);
            Assert.Equal("Response status code 409 is not allowed.", detected.Headers.GetValues("X-Validation").Single());
        }
        finally
        {
            H.Backend.StatusCode = 200;
        }
    }

    [Fact]
    public async Task SendOneWayRequest_SendsInTheBackground_AndAFailureNeverReachesTheClient()
    {
        await using var other = await RecordingBackend.StartAsync();
        await H.SetApiPolicyAsync(inbound: $$"""
            <send-one-way-request mode="new">
                <set-url>{{other.Url}}/notify</set-url>
                <set-method>POST</set-method>
                <set-header name="Content-Type" exists-action="override"><value>application/json</value></set-header>
                <set-header name="X-Operation" exists-action="override"><value>@(context.Operation.Id)</value></set-header>
                <set-body>@("{\"id\":\"" + context.Request.MatchedParameters["id"] + "\"}")</set-body>
            </send-one-way-request>
            """);

        using (var response = await H.GetAsync())
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.True(await other.WaitForRequestsAsync(1, TimeSpan.FromSeconds(30)));
        var sent = other.Last;
        Assert.Equal("POST", sent.Method);
        Assert.Equal("/notify", sent.Path);
        Assert.Equal("get", sent.Header("X-Operation"));
        Assert.Equal("""{"id":"42"}""", sent.Body);

        // Nothing listens on port 1: the client still gets the backend's answer.
        await H.SetApiPolicyAsync(inbound: """<send-one-way-request><set-url>http://127.0.0.1:1/down</set-url></send-one-way-request>""");
        using var unaffected = await H.GetAsync();
        Assert.Equal(HttpStatusCode.OK, unaffected.StatusCode);

        var refused = await H.RefusedAsync(inbound: """<send-one-way-request mode="new"><set-method>GET</set-method></send-one-way-request>""");
        Assert.Contains("requires a 'set-url' element", refused);
    }

    [Theory]
    [InlineData("authentication-managed-identity resource=\"https://management.azure.com/\"", "managed identity")]
    [InlineData("log-to-eventhub logger-id=\"x\"", "Event Hub")]
    [InlineData("validate-azure-ad-token tenant-id=\"t\"", "validate-jwt")]
    public async Task AzureOnlyPolicies_AreRefusedOnSave_SayingWhyAndWhatToUse(string policy, string hint)
    {
        var text = await H.RefusedAsync(inbound: $"<{policy} />");
        Assert.Contains("needs an Azure service and is not available in Tollgate", text);
        Assert.Contains(hint, text);
    }

    [Fact]
    public async Task LimitConcurrency_RefusesTheRequestOverMaxCount_With429_UntilOneFinishes()
    {
        await using var h = await PolicyHost.StartAsync();
        h.Backend.Hold = true;

        // APIM's documentation example, unchanged in the backend section.
        await h.SetApiPolicyAsync(
            inbound: """<set-variable name="connectionId" value="@(context.Subscription.Id)" />""",
            backend: """
                <limit-concurrency key="@((string)context.Variables["connectionId"])" max-count="1">
                    <forward-request timeout="120"/>
                </limit-concurrency>
                """,
            // An outbound policy: the response is written after the backend section (and its slot) has finished.
            outbound: """<set-header name="X-Done" exists-action="override"><value>yes</value></set-header>""",
            onError: """<set-header name="X-Reason" exists-action="override"><value>@(context.LastError.Reason)</value></set-header>""");

        var first = h.GetAsync();
        Assert.True(await h.Backend.WaitForRequestsAsync(1, TimeSpan.FromSeconds(30)));

        using (var second = await h.GetAsync())
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
            var body = await PolicyHost.JsonAsync(second);
            Assert.Equal(429, (int)body["statusCode"]!);
            Assert.Equal("Too many concurrent requests.", (string)body["message"]!);
            Assert.Equal("ConcurrencyLimitExceeded", second.Headers.GetValues("X-Reason").Single());
        }

        Assert.Single(h.Backend.Requests);
        h.Backend.Release();
        using (var done = await first)
        {
            Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        }

        using var third = await h.GetAsync();
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        Assert.Equal(2, h.Backend.Requests.Count);
    }
}
