using System.Globalization;
using Tollgate.Core.Policies;

namespace Tollgate.UnitTests.Policies;

public sealed class PolicyValidatorTests
{
    private static string In(string section, string body) => $"<policies><{section}>{body}</{section}></policies>";

    private static string Inbound(string body) => In("inbound", body);

    private static IReadOnlyList<string> Messages(string xml) => [.. PolicyValidator.Validate(xml).Select(e => e.Message)];

    [Theory]
    [InlineData("<rate-limt calls=\"5\" />", "Element 'rate-limt' is not a known policy.")]
    [InlineData("<rate-limit renewal-period=\"60\" />", "Attribute 'calls' of 'rate-limit' is required.")]
    [InlineData("<rate-limit calls=\"5\" />", "Attribute 'renewal-period' of 'rate-limit' is required.")]
    [InlineData("<rate-limit calls=\"5\" renewal-period=\"60\" foo=\"1\" />", "Attribute 'foo' is not allowed on 'rate-limit'.")]
    [InlineData("<rate-limit calls=\"@(5)\" renewal-period=\"60\" />", "Attribute 'calls' of 'rate-limit' does not accept expressions.")]
    [InlineData("<rate-limit calls=\"five\" renewal-period=\"60\" />", "Attribute 'calls' of 'rate-limit' must be a non-negative integer, not 'five'.")]
    [InlineData("<rate-limit calls=\"5\" renewal-period=\"301\" />", "Attribute 'renewal-period' of 'rate-limit' must be at most 300, not '301'.")]
    [InlineData("<rate-limit calls=\"5\" renewal-period=\"60\"><apis name=\"x\" /></rate-limit>", "Element 'apis' is not allowed in 'rate-limit'.")]
    [InlineData("<rate-limit calls=\"5\" renewal-period=\"60\"><api name=\"x\" calls=\"1\" /></rate-limit>", "Attribute 'renewal-period' of 'api' is required.")]
    [InlineData("<rate-limit-by-key calls=\"5\" renewal-period=\"60\" />", "Attribute 'counter-key' of 'rate-limit-by-key' is required.")]
    [InlineData("<rate-limit-by-key calls=\"5\" renewal-period=\"900\" counter-key=\"k\" />", "Attribute 'renewal-period' of 'rate-limit-by-key' must be at most 300, not '900'.")]
    [InlineData("<quota renewal-period=\"3600\" />", "Policy 'quota' requires at least one of the attributes 'calls' and 'bandwidth'.")]
    [InlineData("<quota calls=\"10\" />", "Attribute 'renewal-period' of 'quota' is required.")]
    [InlineData("<quota calls=\"10\" renewal-period=\"@(3600)\" />", "Attribute 'renewal-period' of 'quota' does not accept expressions.")]
    [InlineData("<quota-by-key calls=\"10\" renewal-period=\"60\" counter-key=\"k\" />", "Attribute 'renewal-period' of 'quota-by-key' must be 0 or at least 300, not '60'.")]
    [InlineData("<quota-by-key calls=\"10\" renewal-period=\"300\" counter-key=\"k\" first-period-start=\"yesterday\" />", "Attribute 'first-period-start' of 'quota-by-key' must be an ISO 8601 date and time, not 'yesterday'.")]
    [InlineData("<quota-by-key bandwidth=\"10\" renewal-period=\"0\" />", "Attribute 'counter-key' of 'quota-by-key' is required.")]
    [InlineData("<set-header exists-action=\"override\" />", "Attribute 'name' of 'set-header' is required.")]
    [InlineData("<set-header name=\"a\" exists-action=\"replace\" />", "Attribute 'exists-action' of 'set-header' must be one of 'override', 'skip', 'append', 'delete', not 'replace'.")]
    [InlineData("<set-header name=\"some header name\" exists-action=\"override\"><value>1</value></set-header>", "Attribute 'name' of 'set-header' must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~, no spaces), not 'some header name'.")]
    [InlineData("<send-request response-variable-name=\"r\"><set-url>http://127.0.0.1/</set-url><authentication-managed-identity resource=\"r\" /></send-request>", "Element 'authentication-managed-identity' of 'send-request' needs an Azure service and is not available in Tollgate: there is no Azure managed identity here; send the backend's credentials with set-header (a secret named value) or use validate-jwt on the way in.")]
    [InlineData("<set-query-parameter name=\"a\"><val>1</val></set-query-parameter>", "Element 'val' is not allowed in 'set-query-parameter'.")]
    [InlineData("<check-header name=\"a\" failed-check-httpcode=\"401\" failed-check-error-message=\"no\" ignore-case=\"maybe\" />", "Attribute 'ignore-case' of 'check-header' must be 'true' or 'false', not 'maybe'.")]
    [InlineData("<ip-filter action=\"deny\" />", "Attribute 'action' of 'ip-filter' must be one of 'allow', 'forbid', not 'deny'.")]
    [InlineData("<ip-filter action=\"allow\"><address-range from=\"10.0.0.1\" /></ip-filter>", "Attribute 'to' of 'address-range' is required.")]
    [InlineData("<set-variable name=\"v\" />", "Attribute 'value' of 'set-variable' is required.")]
    [InlineData("<mock-response status-code=\"ok\" />", "Attribute 'status-code' of 'mock-response' must be a non-negative integer, not 'ok'.")]
    [InlineData("<choose><otherwise /></choose>", "Policy 'choose' requires at least one 'when' element.")]
    [InlineData("<choose><when /></choose>", "Attribute 'condition' of 'when' is required.")]
    [InlineData("<trace />", "Attribute 'source' of 'trace' is required.")]
    [InlineData("<base>text</base>", "Text is not allowed in 'base'.")]
    public void Validate_ReportsExactMessage(string body, string expected) =>
        Assert.Equal([expected], Messages(Inbound(body)));

    [Theory]
    [InlineData("outbound", "<rate-limit calls=\"5\" renewal-period=\"60\" />", "Policy 'rate-limit' is not allowed in section 'outbound'.")]
    [InlineData("backend", "<quota calls=\"5\" renewal-period=\"60\" />", "Policy 'quota' is not allowed in section 'backend'.")]
    [InlineData("inbound", "<forward-request timeout=\"30\" />", "Policy 'forward-request' is not allowed in section 'inbound'.")]
    [InlineData("outbound", "<ip-filter action=\"allow\" />", "Policy 'ip-filter' is not allowed in section 'outbound'.")]
    [InlineData("on-error", "<choose><when condition=\"@(true)\"><rate-limit calls=\"1\" renewal-period=\"1\" /></when></choose>", "Policy 'rate-limit' is not allowed in section 'on-error'.")]
    public void Validate_PolicyInWrongSection_NamesTheSection(string section, string body, string expected) =>
        Assert.Equal([expected], Messages(In(section, body)));

    [Fact]
    public void Validate_CollectsEveryProblemInDocumentOrder()
    {
        var xml = "<policies><inbound><rate-limt /><rate-limit bogus=\"1\" /><quota calls=\"@(1)\" renewal-period=\"60\" /></inbound>"
            + "<outbound><ip-filter action=\"allow\" /><set-header name=\"x\" exists-action=\"nope\"><value>a</value><valu /></set-header></outbound></policies>";

        Assert.Equal(
            [
                "Element 'rate-limt' is not a known policy.",
                "Attribute 'bogus' is not allowed on 'rate-limit'.",
                "Attribute 'calls' of 'rate-limit' is required.",
                "Attribute 'renewal-period' of 'rate-limit' is required.",
                "Attribute 'calls' of 'quota' does not accept expressions.",
                "Policy 'ip-filter' is not allowed in section 'outbound'.",
                "Attribute 'exists-action' of 'set-header' must be one of 'override', 'skip', 'append', 'delete', not 'nope'.",
                "Element 'valu' is not allowed in 'set-header'.",
            ],
            Messages(xml));
    }

    [Fact]
    public void Validate_StructuralAndPolicyErrorsAreReportedTogether()
    {
        var errors = PolicyValidator.Validate("<policies><inbound><nope /></inbound><inbound /><extra /></policies>");

        Assert.Equal(
            [
                "Section 'inbound' appears more than once.",
                "Element 'extra' is not a known section; expected 'inbound', 'backend', 'outbound' or 'on-error'.",
                "Element 'nope' is not a known policy.",
            ],
            errors.Select(e => e.Message));
        Assert.Equal("policies/inbound/nope[1]", errors[2].Path);
    }

    [Fact]
    public void Validate_RateLimitTwice_IsAnError()
    {
        var errors = PolicyValidator.Validate(Inbound("<rate-limit calls=\"1\" renewal-period=\"1\" /><rate-limit calls=\"2\" renewal-period=\"2\" />"));

        var error = Assert.Single(errors);
        Assert.Equal("Policy 'rate-limit' may appear only once in a policy document.", error.Message);
        Assert.Equal("policies/inbound/rate-limit[2]", error.Path);
    }

    // Once per policy document is once per flow, as APIM accepts its wait example (a rate-limit in each of two choose children).
    [Theory]
    [InlineData("<choose><when condition=\"@(true)\">{0}</when><otherwise>{0}</otherwise></choose>")] // mutually exclusive branches
    [InlineData("<choose><when condition=\"@(true)\">{0}</when><when condition=\"@(false)\">{0}</when></choose>")]
    [InlineData("<wait for=\"all\"><choose><when condition=\"@(true)\">{0}</when></choose><choose><when condition=\"@(true)\">{0}</when></choose></wait>")] // side by side
    [InlineData("<choose><when condition=\"@(true)\"><choose><when condition=\"@(true)\">{0}</when><otherwise>{0}</otherwise></choose></when></choose>")] // nested
    public void Validate_RateLimitOncePerBranch_IsClean(string inbound)
    {
        Assert.Empty(PolicyValidator.Validate(Inbound(string.Format(CultureInfo.InvariantCulture, inbound, "<rate-limit calls=\"1\" renewal-period=\"1\" />"))));
    }

    [Theory]
    [InlineData("{0}<choose><when condition=\"@(true)\">{0}</when></choose>", "policies/inbound/choose[1]/when[1]/rate-limit[1]")] // before the choose, then in a branch
    [InlineData("<choose><when condition=\"@(true)\">{0}</when></choose>{0}", "policies/inbound/rate-limit[1]")] // after a branch that has one
    [InlineData("<choose><when condition=\"@(true)\" /><otherwise>{0}{0}</otherwise></choose>", "policies/inbound/choose[1]/otherwise[1]/rate-limit[2]")] // twice in one branch
    [InlineData("<wait><choose><when condition=\"@(true)\">{0}</when></choose><choose><when condition=\"@(true)\">{0}</when></choose></wait>{0}", "policies/inbound/rate-limit[1]")]
    public void Validate_RateLimitTwiceOnOneFlow_IsAnError(string inbound, string path)
    {
        var errors = PolicyValidator.Validate(Inbound(string.Format(CultureInfo.InvariantCulture, inbound, "<rate-limit calls=\"1\" renewal-period=\"1\" />")));

        var error = Assert.Single(errors);
        Assert.Equal("Policy 'rate-limit' may appear only once in a policy document.", error.Message);
        Assert.Equal(path, error.Path);
    }

    [Fact]
    public void Validate_ExpressionsAllowedWhereDocumented()
    {
        var xml = Inbound(
            "<rate-limit-by-key calls=\"@(10)\" renewal-period=\"@(60)\" counter-key=\"@(context.Request.IpAddress)\" increment-condition=\"@(context.Response.StatusCode == 200)\" increment-count=\"@(2)\""
            + " retry-after-header-name=\"Retry-After\" retry-after-variable-name=\"v\" remaining-calls-header-name=\"X-Remaining\" remaining-calls-variable-name=\"v2\" total-calls-header-name=\"X-Total\" />"
            + "<quota-by-key calls=\"10000\" bandwidth=\"40000\" renewal-period=\"3600\" counter-key=\"@(context.Request.IpAddress)\""
            + " increment-condition=\"@(context.Response.StatusCode &gt;= 200 &amp;&amp; context.Response.StatusCode &lt; 400)\" first-period-start=\"2024-01-01T00:00:00Z\" />"
            + "<set-variable name=\"x\" value=\"@{ return 1; }\" />");

        Assert.Empty(PolicyValidator.Validate(xml));
    }

    [Fact]
    public void Validate_DocumentedExamplesOfEveryKnownPolicy_AreClean()
    {
        var xml = "<policies><inbound><base />"
            + "<rate-limit calls=\"20\" renewal-period=\"90\" retry-after-header-name=\"Retry-After\" retry-after-variable-name=\"v\" remaining-calls-header-name=\"X-Remaining\" remaining-calls-variable-name=\"v2\" total-calls-header-name=\"X-Total\">"
            + "<api name=\"x\" id=\"y\" calls=\"10\" renewal-period=\"60\"><operation name=\"o\" id=\"p\" calls=\"5\" renewal-period=\"60\" /></api></rate-limit>"
            + "<quota calls=\"10000\" bandwidth=\"40000\" renewal-period=\"3600\"><api name=\"x\" calls=\"10\" renewal-period=\"0\"><operation id=\"p\" bandwidth=\"5\" renewal-period=\"60\" /></api></quota>"
            + "<check-header name=\"Authorization\" failed-check-httpcode=\"401\" failed-check-error-message=\"Not authorized\" ignore-case=\"false\"><value>f6dc69a089844cf6b2019bae6d36fac8</value></check-header>"
            + "<ip-filter action=\"allow\"><address>13.66.201.169</address><address-range from=\"13.66.140.128\" to=\"13.66.140.143\" /></ip-filter>"
            + "<set-query-parameter name=\"api-key\" exists-action=\"skip\"><value>12345678901</value></set-query-parameter>"
            + "<choose><when condition=\"@(context.Variables.GetValueOrDefault&lt;bool&gt;(&quot;isMobile&quot;))\"><set-header name=\"X-Mobile\" exists-action=\"override\"><value>1</value></set-header></when>"
            + "<otherwise><return-response><set-status code=\"401\" reason=\"Unauthorized\" /><set-header name=\"WWW-Authenticate\" exists-action=\"override\"><value>Bearer error=\"invalid_token\"</value></set-header><set-body>nope</set-body></return-response></otherwise></choose>"
            + "<mock-response status-code=\"200\" content-type=\"application/json\" />"
            + "<trace source=\"PetStore API\" severity=\"verbose\"><message>@(context.RequestId.ToString())</message><metadata name=\"Operation Name\" value=\"New-Order\" /></trace>"
            + "</inbound><backend><forward-request timeout=\"60\" /></backend>"
            + "<outbound><base /><set-status code=\"200\" reason=\"OK\" /><set-header name=\"X-Powered-By\" exists-action=\"delete\" /></outbound>"
            + "<on-error><set-variable name=\"err\" value=\"@(context.LastError.Message)\" /></on-error></policies>";

        Assert.Empty(PolicyValidator.Validate(xml));
    }

    [Fact]
    public void Validate_CommentsAndWhitespaceAreIgnored()
    {
        var xml = "<!-- doc -->\n<policies>\n  <!-- c -->\n  <inbound>\n    <!-- inner -->\n    <base />\n  </inbound>\n</policies>\n";

        Assert.Empty(PolicyValidator.Validate(xml));
    }
}
