using System.Net;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Policies;

/// <summary>One host for the class: each test sets the API's policy through the management API, then calls the gateway.</summary>
public sealed class PolicyHostFixture : IAsyncLifetime
{
    internal PolicyHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await PolicyHost.StartAsync(responses:
    [
        new
        {
            statusCode = 200,
            representations = new object[]
            {
                new { contentType = "application/json", examples = new { @default = new { value = new { id = 42, name = "mocked" } } } },
                new { contentType = "text/plain", examples = new { @default = new { value = "plain mock" } } },
            },
        },
    ]);

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>Each policy through the real gateway: what the backend receives and what the client gets back.</summary>
public sealed class PolicyBehaviourTests(PolicyHostFixture fixture) : IClassFixture<PolicyHostFixture>
{
    private PolicyHost H => fixture.Host;

    [Fact]
    public async Task SetHeader_Inbound_OverrideAppendDeleteSkipAndExpression()
    {
        await H.SetApiPolicyAsync(inbound: """
            <set-header name="X-Fixed" exists-action="override"><value>one</value></set-header>
            <set-header name="X-Client" exists-action="append"><value>added</value></set-header>
            <set-header name="X-Remove" exists-action="delete" />
            <set-header name="X-Keep" exists-action="skip"><value>not used</value></set-header>
            <set-header name="X-Method"><value>@(context.Request.Method + ":" + context.Operation.Id)</value></set-header>
            """);

        using var response = await H.GetAsync(configure: r =>
        {
            r.Headers.Add("X-Client", "original");
            r.Headers.Add("X-Remove", "secret");
            r.Headers.Add("X-Keep", "kept");
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = H.Backend.Last;
        Assert.Equal("one", seen.Header("X-Fixed"));
        Assert.Equal("original, added", seen.Header("X-Client"));
        Assert.Null(seen.Header("X-Remove"));
        Assert.Equal("kept", seen.Header("X-Keep"));
        Assert.Equal("GET:get", seen.Header("X-Method"));
    }

    [Fact]
    public async Task SetHeader_Outbound_ChangesTheResponse()
    {
        await H.SetApiPolicyAsync(outbound: """
            <set-header name="X-Backend-Status"><value>@(context.Response.StatusCode.ToString())</value></set-header>
            <set-header name="Content-Type" exists-action="override"><value>application/vnd.test+json</value></set-header>
            """);

        using var response = await H.GetAsync();

        Assert.Equal("200", response.Headers.GetValues("X-Backend-Status").Single());
        Assert.Equal("application/vnd.test+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"backend\":\"recording\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task SetQueryParameter_AddsReplacesAndDeletes()
    {
        await H.SetApiPolicyAsync(inbound: """
            <set-query-parameter name="api-version" exists-action="override"><value>2.0</value></set-query-parameter>
            <set-query-parameter name="drop" exists-action="delete" />
            <set-query-parameter name="id" exists-action="append"><value>@(context.Request.MatchedParameters["id"])</value></set-query-parameter>
            """);

        using var response = await H.GetAsync("/echo/items/7?api-version=1.0&drop=x&id=a");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("?api-version=2.0&id=a&id=7", H.Backend.Last.QueryString);
    }

    [Fact]
    public async Task RewriteUri_UsesTemplateParametersAndCopiesUnmatchedQuery()
    {
        await H.SetApiPolicyAsync(inbound: """<rewrite-uri template="/v2/things/{id}?source=gateway" />""");

        using var response = await H.GetAsync("/echo/items/42?extra=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/v2/things/42", H.Backend.Last.Path);
        Assert.Equal("?source=gateway&extra=1", H.Backend.Last.QueryString);
    }

    [Fact]
    public async Task SetBackendService_SendsToAnotherBackend()
    {
        await using var other = await RecordingBackend.StartAsync();
        await H.SetApiPolicyAsync(inbound: $"""<set-backend-service base-url="{other.Url}/base" />""");

        using var response = await H.GetAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/base/items/42", other.Last.Path);
    }

    [Fact]
    public async Task SetMethod_ChangesTheBackendMethod()
    {
        await H.SetApiPolicyAsync(inbound: "<set-method>PUT</set-method>");

        using var response = await H.GetAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("PUT", H.Backend.Last.Method);
    }

    [Fact]
    public async Task SetStatus_Outbound_ChangesStatusAndReason()
    {
        await H.SetApiPolicyAsync(outbound: """<set-status code="202" reason="Taken" />""");

        using var response = await H.GetAsync();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("Taken", response.ReasonPhrase);
    }

    [Fact]
    public async Task SetVariable_Choose_WhenAndOtherwise()
    {
        await H.SetApiPolicyAsync(inbound: """
            <set-variable name="tier" value="@(context.Request.Headers.GetValueOrDefault("X-Tier", "free"))" />
            <choose>
              <when condition="@((string)context.Variables["tier"] == "gold")"><set-header name="X-Branch"><value>gold</value></set-header></when>
              <when condition="@(context.Variables.GetValueOrDefault<string>("tier") == "silver")"><set-header name="X-Branch"><value>silver</value></set-header></when>
              <otherwise><set-header name="X-Branch"><value>@("other:" + context.Variables["tier"])</value></set-header></otherwise>
            </choose>
            """);

        using (var gold = await H.GetAsync(configure: r => r.Headers.Add("X-Tier", "gold")))
        {
            Assert.Equal("gold", H.Backend.Last.Header("X-Branch"));
        }

        using (var silver = await H.GetAsync(configure: r => r.Headers.Add("X-Tier", "silver")))
        {
            Assert.Equal("silver", H.Backend.Last.Header("X-Branch"));
        }

        using var free = await H.GetAsync();
        Assert.Equal("other:free", H.Backend.Last.Header("X-Branch"));
    }

    [Fact]
    public async Task ReturnResponse_AnswersWithoutCallingTheBackend()
    {
        await H.SetApiPolicyAsync(inbound: """
            <return-response>
              <set-status code="418" reason="Teapot" />
              <set-header name="X-From" exists-action="override"><value>policy</value></set-header>
              <set-body>@("{\"op\":\"" + context.Operation.Name + "\"}")</set-body>
            </return-response>
            """);
        var before = H.Backend.Requests.Count;

        using var response = await H.GetAsync();

        Assert.Equal((HttpStatusCode)418, response.StatusCode);
        Assert.Equal("policy", response.Headers.GetValues("X-From").Single());
        Assert.Equal("""{"op":"Get item"}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(before, H.Backend.Requests.Count);
    }

    [Fact]
    public async Task MockResponse_ReturnsTheOperationsExample()
    {
        await H.SetApiPolicyAsync(inbound: """<mock-response status-code="200" content-type="application/json" />""");
        var before = H.Backend.Requests.Count;

        using var json = await H.GetAsync();
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        Assert.Equal("""{"id":42,"name":"mocked"}""", await json.Content.ReadAsStringAsync());
        Assert.Equal("application/json", json.Content.Headers.ContentType?.MediaType);

        await H.SetApiPolicyAsync(inbound: """<mock-response status-code="200" content-type="text/plain" />""");
        using var text = await H.GetAsync();
        Assert.Equal("plain mock", await text.Content.ReadAsStringAsync());
        Assert.Equal(before, H.Backend.Requests.Count);
    }

    [Fact]
    public async Task CheckHeader_MissingOrWrongValue_GetsTheConfiguredStatusAndMessage()
    {
        await H.SetApiPolicyAsync(inbound: """
            <check-header name="X-Client-Id" failed-check-httpcode="401" failed-check-error-message="Client not allowed" ignore-case="true">
              <value>alpha</value><value>beta</value>
            </check-header>
            """);

        using (var missing = await H.GetAsync())
        {
            Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
            Assert.Equal("""{"statusCode":401,"message":"Client not allowed"}""", await missing.Content.ReadAsStringAsync());
        }

        using (var wrong = await H.GetAsync(configure: r => r.Headers.Add("X-Client-Id", "gamma")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var ok = await H.GetAsync(configure: r => r.Headers.Add("X-Client-Id", "BETA"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task IpFilter_ForbidAndAllow()
    {
        await H.SetApiPolicyAsync(inbound: """<ip-filter action="forbid"><address>127.0.0.1</address></ip-filter>""");
        using (var forbidden = await H.GetAsync())
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
            Assert.Equal("""{"statusCode":403,"message":"Caller IP address 127.0.0.1 is not allowed. Access denied."}""", await forbidden.Content.ReadAsStringAsync());
        }

        await H.SetApiPolicyAsync(inbound: """<ip-filter action="allow"><address-range from="127.0.0.0" to="127.0.0.255" /></ip-filter>""");
        using (var allowed = await H.GetAsync())
        {
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        await H.SetApiPolicyAsync(inbound: """<ip-filter action="allow"><address>10.1.2.3</address></ip-filter>""");
        using var notListed = await H.GetAsync();
        Assert.Equal(HttpStatusCode.Forbidden, notListed.StatusCode);
    }

    [Fact]
    public async Task SetBody_InboundFromTheRequestBody_AndOutbound()
    {
        await H.SetApiPolicyAsync(
            inbound: """
                <set-body>@{
                    var body = context.Request.Body.As<JObject>();
                    body["seen"] = true;
                    return body.ToString(Newtonsoft.Json.Formatting.None);
                }</set-body>
                """,
            outbound: """<set-body>@("wrapped:" + context.Response.Body.As<string>())</set-body>""");

        using var response = await H.SendAsync(HttpMethod.Post, "/echo/items", """{"name":"x"}""");

        Assert.Equal("""{"name":"x","seen":true}""", H.Backend.Last.Body);
        Assert.Equal("""wrapped:{"backend":"recording","path":"/items"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task FindAndReplace_RequestAndResponseBodies()
    {
        await H.SetApiPolicyAsync(
            inbound: """<find-and-replace from="secret" to="public" />""",
            outbound: """<find-and-replace from="recording" to="replaced" />""");

        using var response = await H.SendAsync(HttpMethod.Post, "/echo/items", """{"v":"secret"}""");

        Assert.Equal("""{"v":"public"}""", H.Backend.Last.Body);
        Assert.Contains("\"backend\":\"replaced\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Trace_DoesNotChangeTheCall()
    {
        await H.SetApiPolicyAsync(inbound: """
            <trace source="test" severity="information"><message>@("calling " + context.Operation.Id)</message><metadata name="api" value="@(context.Api.Id)" /></trace>
            """);

        using var response = await H.GetAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Retry_ForwardsAgainWhileTheConditionHolds()
    {
        await H.SetApiPolicyAsync(backend: """
            <retry condition="@(context.Response.StatusCode == 503)" count="2" interval="0" first-fast-retry="true">
              <forward-request timeout="30" />
            </retry>
            """);
        H.Backend.StatusCode = 503;
        try
        {
            var before = H.Backend.Requests.Count;
            using var response = await H.SendAsync(HttpMethod.Post, "/echo/items", """{"n":1}""");

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal(before + 3, H.Backend.Requests.Count);
            Assert.All(H.Backend.Requests.Skip(before), r => Assert.Equal("""{"n":1}""", r.Body));
        }
        finally
        {
            H.Backend.StatusCode = 200;
        }
    }

    // The backend section starts from APIM's default global policy, <backend><forward-request /></backend>: <base />
    // (or no backend section) brings it, a backend without either forwards nothing (APIM's forward-request example 4).
    [Theory]
    [InlineData("comment", "<backend><!-- no forwarding to backend --></backend>", false)]
    [InlineData("empty", "<backend />", false)]
    [InlineData("no-base", "<backend><set-variable name=\"v\" value=\"1\" /></backend>", false)]
    [InlineData("base", "<backend><base /></backend>", true)]
    [InlineData("none", "", true)]
    [InlineData("after-base", "<backend><set-variable name=\"v\" value=\"1\" /><base /></backend>", true)]
    public async Task OperationBackendSection_ForwardsOnlyThroughBaseOrForwardRequest(string name, string backend, bool forwards)
    {
        const string Operation = "apis/echo/operations/get";
        var path = "/items/backend-" + name;
        await H.SetApiPolicyAsync();
        await H.SetPolicyAsync(Operation, $"""
            <policies>
              <inbound><base /></inbound>
              {backend}
              <outbound><base /><set-header name="X-Outbound" exists-action="override"><value>@(context.Response.StatusCode.ToString())</value></set-header></outbound>
            </policies>
            """);
        try
        {
            using var response = await H.GetAsync("/echo" + path);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("200", response.Headers.GetValues("X-Outbound").Single()); // outbound runs either way
            Assert.Equal(forwards, H.Backend.Requests.Any(r => r.Path == path));
            Assert.Equal(forwards, (await response.Content.ReadAsStringAsync()).Contains("recording", StringComparison.Ordinal));
        }
        finally
        {
            using (await H.Host.SendAsync(HttpMethod.Delete, $"{PolicyHost.Svc}/{Operation}/policies/policy"))
            {
            }
        }
    }

    [Fact]
    public async Task ForwardRequest_Timeout_Gives504AndOnErrorSeesIt()
    {
        await H.SetApiPolicyAsync(
            backend: """<forward-request timeout="20" />""",
            onError: """<set-header name="X-Error" exists-action="override"><value>@(context.LastError.Source + "/" + context.LastError.Reason)</value></set-header>""");
        var holding = new RecordingBackendHold(H.Backend);
        try
        {
            var before = H.Backend.Requests.Count;
            var call = H.GetAsync();
            Assert.True(await H.Backend.WaitForRequestsAsync(before + 1, TimeSpan.FromSeconds(30)));
            H.Time.Advance(TimeSpan.FromSeconds(21));
            using var response = await call;

            Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
            Assert.Equal("forward-request/Timeout", response.Headers.GetValues("X-Error").Single());
        }
        finally
        {
            holding.Dispose();
        }
    }

    [Fact]
    public async Task RateLimitByKey_OnErrorSeesLastError_AndRemainingHeaders()
    {
        var key = Guid.NewGuid().ToString("N");
        await H.SetApiPolicyAsync(
            inbound: $"""
                <rate-limit-by-key calls="2" renewal-period="30" counter-key="{key}" remaining-calls-header-name="X-Remaining" total-calls-header-name="X-Total" retry-after-header-name="X-Retry" />
                """,
            onError: """
                <set-header name="X-Error" exists-action="override"><value>@(context.LastError.Source + "|" + context.LastError.Reason + "|" + context.LastError.Scope + "|" + context.LastError.Section + "|" + context.LastError.Path)</value></set-header>
                """);

        using (var first = await H.GetAsync())
        {
            Assert.Equal("1", first.Headers.GetValues("X-Remaining").Single());
            Assert.Equal("2", first.Headers.GetValues("X-Total").Single());
        }

        using (var second = await H.GetAsync())
        {
            Assert.Equal("0", second.Headers.GetValues("X-Remaining").Single());
        }

        using var third = await H.GetAsync();
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal("30", third.Headers.GetValues("X-Retry").Single());
        Assert.Equal("rate-limit-by-key|RateLimitExceeded|api|inbound|rate-limit-by-key[1]", third.Headers.GetValues("X-Error").Single());
    }

    [Fact]
    public async Task RateLimitByKey_IncrementCondition_DoesNotCountFailedCalls()
    {
        var key = Guid.NewGuid().ToString("N");
        await H.SetApiPolicyAsync(inbound: $"""
            <rate-limit-by-key calls="1" renewal-period="60" counter-key="@("{key}" + context.Request.IpAddress)" increment-condition="@(context.Response.StatusCode == 200)" />
            """);
        H.Backend.StatusCode = 500;
        try
        {
            for (var i = 0; i < 3; i++)
            {
                using var failed = await H.GetAsync();
                Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
            }
        }
        finally
        {
            H.Backend.StatusCode = 200;
        }

        using (var ok = await H.GetAsync())
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var limited = await H.GetAsync();
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
    }

    [Fact]
    public async Task QuotaByKey_SameKeyInTwoScopes_CountsOncePerRequest()
    {
        var key = Guid.NewGuid().ToString("N");
        var quota = $"""<quota-by-key calls="3" renewal-period="3600" counter-key="{key}" />""";
        await H.SetApiPolicyAsync(inbound: quota);
        await H.SetPolicyAsync("apis/echo/operations/get", PolicyHost.Document(inbound: quota));
        try
        {
            for (var i = 1; i <= 3; i++)
            {
                using var ok = await H.GetAsync();
                Assert.True(ok.StatusCode == HttpStatusCode.OK, $"call {i}: {(int)ok.StatusCode}");
            }

            using var rejected = await H.GetAsync();
            Assert.Equal(HttpStatusCode.Forbidden, rejected.StatusCode);
            Assert.StartsWith("""{"statusCode":403,"message":"Out of call volume quota. Quota will be replenished in """, await rejected.Content.ReadAsStringAsync());
            Assert.True(rejected.Headers.Contains("Retry-After"));
        }
        finally
        {
            using var deleted = await H.Host.SendAsync(HttpMethod.Delete, $"{PolicyHost.Svc}/apis/echo/operations/get/policies/policy");
        }
    }

    [Fact]
    public async Task RateLimit_ApiChildElement_AddsAnIndependentCounter()
    {
        await H.SetPolicyAsync("products/gold", PolicyHost.Document(inbound: """
            <rate-limit calls="100" renewal-period="60"><api id="echo" calls="2" renewal-period="60" /></rate-limit>
            """));
        await H.SetApiPolicyAsync();
        try
        {
            using (var one = await H.GetAsync())
            using (var two = await H.GetAsync())
            {
                Assert.Equal(HttpStatusCode.OK, two.StatusCode);
            }

            using var three = await H.GetAsync();
            Assert.Equal(HttpStatusCode.TooManyRequests, three.StatusCode);
        }
        finally
        {
            using var deleted = await H.Host.SendAsync(HttpMethod.Delete, $"{PolicyHost.Svc}/products/gold/policies/policy");
            H.Time.Advance(TimeSpan.FromSeconds(61));
        }
    }

    [Fact]
    public async Task Expression_ThatLoopsForever_IsStopped_OnErrorAnswers_AndTheGatewayKeepsServing()
    {
        await H.SetApiPolicyAsync(
            inbound: """<set-header name="X-Loop"><value>@{ var i = 0; while (true) { i++; } return "never"; }</value></set-header>""",
            onError: """
                <return-response>
                  <set-status code="500" reason="Policy failed" />
                  <set-body>@(context.LastError.Source + ":" + context.LastError.Reason)</set-body>
                </return-response>
                """);

        using (var stopped = await H.GetAsync())
        {
            Assert.Equal(HttpStatusCode.InternalServerError, stopped.StatusCode);
            Assert.Equal("set-header:ExpressionValueEvaluationFailure", await stopped.Content.ReadAsStringAsync());
        }

        await H.SetApiPolicyAsync();
        using var ok = await H.GetAsync();
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task FailingExpression_WithoutOnError_Gives500()
    {
        await H.SetApiPolicyAsync(inbound: """<set-header name="X-Boom"><value>@(context.Request.Headers["X-Absent"][0])</value></set-header>""");

        using var response = await H.GetAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("""{"statusCode":500,"message":"Internal server error"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task IncludeFragment_RunsTheFragmentsPolicies()
    {
        await H.Host.PutAsync($"{PolicyHost.Svc}/policyFragments/stamp", new
        {
            properties = new { format = "rawxml", value = """<fragment><set-header name="X-Fragment"><value>@(context.Api.Name)</value></set-header></fragment>""" },
        });
        await H.SetApiPolicyAsync(inbound: """<include-fragment fragment-id="stamp" />""");

        using var response = await H.GetAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Echo", H.Backend.Last.Header("X-Fragment"));
    }

    [Fact]
    public async Task ProductPolicy_AppliesOnlyToProductSubscriptions()
    {
        await H.SetApiPolicyAsync();
        await H.SetPolicyAsync("products/gold", PolicyHost.Document(inbound: """<set-header name="X-Product"><value>@(context.Product.Name)</value></set-header>"""));
        var apiKey = await H.Host.CreateSubscriptionAsync(PolicyHost.Service, "api-sub-" + Guid.NewGuid().ToString("N")[..6], "/apis/echo", "/users/1");
        try
        {
            using (var product = await H.GetAsync())
            {
                Assert.Equal("Gold", H.Backend.Last.Header("X-Product"));
            }

            using var api = await H.SendAsync(HttpMethod.Get, "/echo/items/1", withKey: false, configure: r => r.Headers.Add("Ocp-Apim-Subscription-Key", apiKey));
            Assert.Equal(HttpStatusCode.OK, api.StatusCode);
            Assert.Null(H.Backend.Last.Header("X-Product"));
        }
        finally
        {
            using var deleted = await H.Host.SendAsync(HttpMethod.Delete, $"{PolicyHost.Svc}/products/gold/policies/policy");
        }
    }

    /// <summary>Holds the backend's answers until disposed.</summary>
    private sealed class RecordingBackendHold : IDisposable
    {
        private readonly RecordingBackend _backend;

        public RecordingBackendHold(RecordingBackend backend)
        {
            _backend = backend;
            backend.Hold = true;
        }

        public void Dispose() => _backend.Hold = false;
    }
}
