using Tollgate.Core.Policies;
using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Jsonp;
using Tollgate.Gateway.Policies.LimitConcurrency;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.UnitTests.Policies;

/// <summary>authentication-basic, jsonp, limit-concurrency and wait: APIM's attributes, placement and errors.</summary>
public sealed class SimplePoliciesTests
{
    private static IReadOnlyList<string> Messages(string section, string body) =>
        [.. PolicyValidator.Validate($"<policies><{section}>{body}</{section}></policies>").Select(e => e.Message)];

    [Theory]
    [InlineData("inbound", "<authentication-basic username=\"testuser\" password=\"testpassword\" />")]
    [InlineData("inbound", "<authentication-basic username=\"@(context.Variables.GetValueOrDefault<string>(&quot;u&quot;))\" password=\"@(&quot;p&quot;)\" />")]
    [InlineData("outbound", "<jsonp callback-parameter-name=\"cb\" />")]
    [InlineData("backend", "<limit-concurrency key=\"@((string)context.Variables[&quot;connectionId&quot;])\" max-count=\"3\"><forward-request timeout=\"120\"/></limit-concurrency>")]
    [InlineData("inbound", "<limit-concurrency key=\"k\" max-count=\"1\"><set-header name=\"a\"><value>b</value></set-header></limit-concurrency>")]
    [InlineData("inbound", "<wait><send-request mode=\"new\" response-variable-name=\"a\"><set-url>http://a</set-url></send-request><cache-lookup-value key=\"k\" variable-name=\"v\" /><choose><when condition=\"true\"><set-variable name=\"x\" value=\"1\" /></when></choose></wait>")]
    [InlineData("outbound", "<wait for=\"any\"><send-request mode=\"new\" response-variable-name=\"a\"><set-url>http://a</set-url></send-request></wait>")]
    [InlineData("backend", "<wait for=\"@(&quot;all&quot;)\"><cache-lookup-value key=\"k\" variable-name=\"v\" /></wait>")]
    [InlineData("outbound", "<validate-status-code unspecified-status-code-action=\"prevent\" errors-variable-name=\"requestValidation\"><status-code code=\"200\" action=\"ignore\" /></validate-status-code>")]
    [InlineData("on-error", "<validate-status-code unspecified-status-code-action=\"@(&quot;detect&quot;)\" />")]
    [InlineData("outbound", "<send-one-way-request mode=\"new\"><set-url>https://hooks.example/notify</set-url><set-method>POST</set-method><set-body>@(context.Response.StatusCode.ToString())</set-body></send-one-way-request>")]
    [InlineData("on-error", "<send-one-way-request mode=\"copy\" timeout=\"5\" />")]
    [InlineData("inbound", "<validate-parameters specified-parameter-action=\"prevent\" unspecified-parameter-action=\"prevent\" errors-variable-name=\"requestParametersValidation\"><headers specified-parameter-action=\"detect\" unspecified-parameter-action=\"detect\"><parameter name=\"Authorization\" action=\"prevent\" /><parameter name=\"User-Agent\" action=\"ignore\" /></headers></validate-parameters>")]
    [InlineData("inbound", "<validate-parameters specified-parameter-action=\"@(&quot;detect&quot;)\" unspecified-parameter-action=\"ignore\"><query unspecified-parameter-action=\"prevent\"><parameter name=\"debug\" action=\"ignore\" /></query><path specified-parameter-action=\"prevent\" /></validate-parameters>")]
    [InlineData("outbound", "<validate-headers specified-header-action=\"ignore\" unspecified-header-action=\"prevent\" errors-variable-name=\"responseHeadersValidation\" />")]
    [InlineData("on-error", "<validate-headers specified-header-action=\"detect\" unspecified-header-action=\"detect\"><header name=\"X-Debug\" action=\"ignore\" /></validate-headers>")]
    [InlineData("inbound", "<validate-content unspecified-content-type-action=\"prevent\" max-size=\"102400\" size-exceeded-action=\"prevent\" errors-variable-name=\"requestBodyValidation\"><content-type-map missing-content-type-value=\"application/json\"><type from=\"application/hal+json\" to=\"application/json\" /></content-type-map><content type=\"application/json\" validate-as=\"json\" action=\"detect\" allow-additional-properties=\"false\" /></validate-content>")]
    [InlineData("outbound", "<validate-content unspecified-content-type-action=\"detect\" max-size=\"0\" size-exceeded-action=\"ignore\"><content-type-map any-content-type-value=\"application/soap+xml\"><type when=\"@(true)\" to=\"text/xml\" /></content-type-map><content validate-as=\"soap\" action=\"prevent\" /></validate-content>")]
    [InlineData("inbound", "<set-backend-service backend-id=\"myBackend\" />")]
    [InlineData("backend", "<set-backend-service backend-id=\"@(context.Request.Headers.ContainsKey(&quot;x-pool&quot;) ? &quot;pool&quot; : &quot;single&quot;)\" />")]
    [InlineData("inbound", "<validate-content unspecified-content-type-action=\"prevent\" max-size=\"102400\" size-exceeded-action=\"prevent\" errors-variable-name=\"requestBodyValidation\"><content-type-map any-content-type-value=\"application/soap+xml\" /><content type=\"application/soap+xml\" validate-as=\"soap\" schema-id=\"myschema\" action=\"prevent\" /></validate-content>")]
    public void ApimsDocumentedForms_AreValid(string section, string body) => Assert.Empty(Messages(section, body));

    [Theory]
    [InlineData("inbound", "<authentication-basic username=\"u\" />", "Attribute 'password' of 'authentication-basic' is required.")]
    [InlineData("outbound", "<authentication-basic username=\"u\" password=\"p\" />", "Policy 'authentication-basic' is not allowed in section 'outbound'.")]
    [InlineData("inbound", "<authentication-basic username=\"u\" password=\"p\" /><authentication-basic username=\"v\" password=\"q\" />", "Policy 'authentication-basic' may appear only once in a policy document.")]
    [InlineData("outbound", "<jsonp />", "Attribute 'callback-parameter-name' of 'jsonp' is required.")]
    [InlineData("inbound", "<jsonp callback-parameter-name=\"cb\" />", "Policy 'jsonp' is not allowed in section 'inbound'.")]
    [InlineData("inbound", "<limit-concurrency max-count=\"3\" />", "Attribute 'key' of 'limit-concurrency' is required.")]
    [InlineData("inbound", "<limit-concurrency key=\"k\" />", "Attribute 'max-count' of 'limit-concurrency' is required.")]
    [InlineData("inbound", "<limit-concurrency key=\"k\" max-count=\"@(3)\" />", "Attribute 'max-count' of 'limit-concurrency' does not accept expressions.")]
    [InlineData("inbound", "<limit-concurrency key=\"k\" max-count=\"0\" />", "Attribute 'max-count' of 'limit-concurrency' must be at least 1, not '0'.")]
    [InlineData("inbound", "<limit-concurrency key=\"k\" max-count=\"2\"><nope /></limit-concurrency>", "Element 'nope' is not a known policy.")]
    [InlineData("inbound", "<wait for=\"some\" />", "Attribute 'for' of 'wait' must be one of 'all', 'any', not 'some'.")]
    [InlineData("inbound", "<wait><set-header name=\"a\"><value>b</value></set-header></wait>", "Element 'set-header' is not allowed in 'wait': it may contain only send-request, cache-lookup-value and choose policies.")]
    [InlineData("on-error", "<wait />", "Policy 'wait' is not allowed in section 'on-error'.")]
    [InlineData("outbound", "<validate-status-code />", "Attribute 'unspecified-status-code-action' of 'validate-status-code' is required.")]
    [InlineData("inbound", "<validate-status-code unspecified-status-code-action=\"ignore\" />", "Policy 'validate-status-code' is not allowed in section 'inbound'.")]
    [InlineData("outbound", "<validate-status-code unspecified-status-code-action=\"block\" />", "Attribute 'unspecified-status-code-action' of 'validate-status-code' must be one of 'ignore', 'prevent', 'detect', not 'block'.")]
    [InlineData("outbound", "<validate-status-code unspecified-status-code-action=\"ignore\"><status-code code=\"404\" /></validate-status-code>", "Attribute 'action' of 'status-code' is required.")]
    [InlineData("outbound", "<validate-status-code unspecified-status-code-action=\"ignore\"><status-code code=\"4xx\" action=\"ignore\" /></validate-status-code>", "Attribute 'code' of 'status-code' must be a non-negative integer, not '4xx'.")]
    [InlineData("inbound", "<send-one-way-request />", "Policy 'send-one-way-request' requires a 'set-url' element when mode is 'new'.")]
    [InlineData("inbound", "<send-one-way-request mode=\"copy\" response-variable-name=\"r\" />", "Attribute 'response-variable-name' is not allowed on 'send-one-way-request'.")]
    [InlineData("inbound", "<validate-parameters specified-parameter-action=\"prevent\" />", "Attribute 'unspecified-parameter-action' of 'validate-parameters' is required.")]
    [InlineData("outbound", "<validate-parameters specified-parameter-action=\"prevent\" unspecified-parameter-action=\"prevent\" />", "Policy 'validate-parameters' is not allowed in section 'outbound'.")]
    [InlineData("inbound", "<validate-parameters specified-parameter-action=\"prevent\" unspecified-parameter-action=\"prevent\"><path unspecified-parameter-action=\"prevent\" /></validate-parameters>", "Attribute 'unspecified-parameter-action' is not allowed on 'path'.")]
    [InlineData("inbound", "<validate-parameters specified-parameter-action=\"prevent\" unspecified-parameter-action=\"prevent\"><query><parameter name=\"a\" action=\"block\" /></query></validate-parameters>", "Attribute 'action' of 'parameter' must be one of 'ignore', 'prevent', 'detect', not 'block'.")]
    [InlineData("inbound", "<validate-parameters specified-parameter-action=\"prevent\" unspecified-parameter-action=\"prevent\" errors-variable-name=\"@(&quot;v&quot;)\" />", "Attribute 'errors-variable-name' of 'validate-parameters' does not accept expressions.")]
    [InlineData("inbound", "<validate-headers specified-header-action=\"ignore\" unspecified-header-action=\"prevent\" />", "Policy 'validate-headers' is not allowed in section 'inbound'.")]
    [InlineData("outbound", "<validate-headers specified-header-action=\"ignore\" unspecified-header-action=\"prevent\"><header action=\"ignore\" /></validate-headers>", "Attribute 'name' of 'header' is required.")]
    [InlineData("inbound", "<validate-content unspecified-content-type-action=\"prevent\" size-exceeded-action=\"prevent\" />", "Attribute 'max-size' of 'validate-content' is required.")]
    [InlineData("inbound", "<validate-content unspecified-content-type-action=\"prevent\" max-size=\"102401\" size-exceeded-action=\"prevent\" />", "Attribute 'max-size' of 'validate-content' must be at most 102400, not '102401'.")]
    [InlineData("inbound", "<validate-content unspecified-content-type-action=\"prevent\" max-size=\"10\" size-exceeded-action=\"prevent\"><content type=\"application/json\" validate-as=\"yaml\" action=\"prevent\" /></validate-content>", "Attribute 'validate-as' of 'content' must be one of 'json', 'xml', 'soap', not 'yaml'.")]
    [InlineData("inbound", "<validate-content unspecified-content-type-action=\"prevent\" max-size=\"10\" size-exceeded-action=\"prevent\"><content-type-map><type to=\"application/json\" /></content-type-map></validate-content>", "Element 'type' of 'content-type-map' needs exactly one of 'from' and 'when'.")]
    [InlineData("inbound", "<validate-content unspecified-content-type-action=\"prevent\" max-size=\"10\" size-exceeded-action=\"prevent\"><content validate-as=\"json\" schema-ref=\"#/components/schemas/a\" action=\"prevent\" /></validate-content>", "Attribute 'schema-ref' of 'content' applies only with 'schema-id'.")]
    [InlineData("inbound", "<validate-content unspecified-content-type-action=\"prevent\" max-size=\"10\" size-exceeded-action=\"prevent\"><content validate-as=\"json\" schema-id=\"s\" schema-ref=\"components/schemas/a\" action=\"prevent\" /></validate-content>", "Attribute 'schema-ref' of 'content' must be a local reference such as #/components/schemas/address, not 'components/schemas/a'.")]
    [InlineData("backend", "<validate-content unspecified-content-type-action=\"prevent\" max-size=\"10\" size-exceeded-action=\"prevent\" />", "Policy 'validate-content' is not allowed in section 'backend'.")]
    [InlineData("inbound", "<set-backend-service />", "Policy 'set-backend-service' needs exactly one of 'base-url' and 'backend-id'.")]
    public void MisusedNewPolicies_AreRefusedWithApimsRules(string section, string body, string expected) =>
        Assert.Contains(expected, Messages(section, body));

    [Fact]
    public void EveryPolicyOfTheSchema_IsBuiltByTheGateway_AndTheOtherWayRound()
    {
        var known = PolicySchema.Policies.Keys.Append("include-fragment").ToHashSet();
        Assert.Equal(known.Order(), PolicyBuilder.Supported.Order());
    }

    [Theory]
    [InlineData("render", true)]
    [InlineData("jQuery123_456", true)]
    [InlineData("app.callbacks.$done", true)]
    [InlineData("alert(1);x", false)]
    [InlineData("a</script>", false)]
    [InlineData("1abc", false)]
    [InlineData("a..b", false)]
    [InlineData("", false)]
    public void Jsonp_WrapsOnlyCallbacksThatAreJavaScriptNames(string callback, bool wraps) =>
        Assert.Equal(wraps, JsonpHandler.IsCallbackName(callback));

    [Fact]
    public void ConcurrencyCounters_AdmitUpToMaxPerKey_AndFreeASlotOnExit()
    {
        var counters = new ConcurrencyCounters();
        Assert.True(counters.TryEnter("svc|a", 2));
        Assert.True(counters.TryEnter("svc|a", 2));
        Assert.False(counters.TryEnter("svc|a", 2));
        Assert.True(counters.TryEnter("svc|b", 2));

        counters.Exit("svc|a");
        Assert.Equal(1, counters.Running("svc|a"));
        Assert.True(counters.TryEnter("svc|a", 2));

        counters.Exit("svc|a");
        counters.Exit("svc|a");
        counters.Exit("svc|a");
        Assert.Equal(0, counters.Running("svc|a"));
    }
}
