using System.Net;
using System.Text.Json.Nodes;

namespace Tollgate.FunctionalTests.Policies;

/// <summary>
/// Policy documents as APIM publishes them run unchanged; unsupported policies are refused by name; a snapshot whose
/// a policy that cannot be built fails only its operations; replaced snapshots' expressions are unloaded.
/// </summary>
public sealed class PolicySnapshotTests(PolicyHostFixture fixture) : IClassFixture<PolicyHostFixture>
{
    private PolicyHost H => fixture.Host;

    /// <summary>Documents in the shape of APIM's documentation samples (unescaped C# in attributes and text, as published).</summary>
    public static TheoryData<string, int> Samples => new()
    {
        // rate-limit-by-key reference sample: per-IP limit, only successful calls count.
        {
            """
            <policies>
                <inbound>
                    <base />
                    <rate-limit-by-key  calls="10"
                          renewal-period="60"
                          increment-condition="@(context.Response.StatusCode == 200)"
                          counter-key="@(context.Request.IpAddress)"
                          remaining-calls-variable-name="remainingCallsPerIP"/>
                </inbound>
                <outbound>
                    <base />
                </outbound>
            </policies>
            """, 200
        },

        // quota-by-key reference sample (unescaped && and < in the attribute).
        {
            """
            <policies>
                <inbound>
                    <base />
                    <quota-by-key calls="10000" bandwidth="40000" renewal-period="3600"
                          increment-condition="@(context.Response.StatusCode >= 200 && context.Response.StatusCode < 400)"
                          counter-key="@(context.Request.IpAddress)" />
                </inbound>
                <outbound>
                    <base />
                </outbound>
            </policies>
            """, 200
        },

        // set-header reference sample: values from context.
        {
            """
            <policies>
              <inbound>
                <base />
                <set-header name="x-request-context-data" exists-action="override">
                  <value>@(context.User.Id)</value>
                  <value>@(context.Deployment.Region)</value>
                </set-header>
              </inbound>
              <backend><base /></backend>
              <outbound><base /></outbound>
              <on-error><base /></on-error>
            </policies>
            """, 200
        },

        // Flexible throttling sample shape: choose on a JWT-derived variable, rate-limit-by-key per branch.
        {
            """
            <policies>
              <inbound>
                <base />
                <set-variable name="isMobile" value="@(context.Request.Headers.GetValueOrDefault("User-Agent","").Contains("iPad") || context.Request.Headers.GetValueOrDefault("User-Agent","").Contains("iPhone"))" />
                <choose>
                  <when condition="@(context.Variables.GetValueOrDefault<bool>("isMobile"))">
                    <rate-limit-by-key calls="5" renewal-period="60" counter-key="@(context.Subscription.Id + "-mobile")" />
                  </when>
                  <otherwise>
                    <rate-limit-by-key calls="100" renewal-period="60" counter-key="@(context.Subscription.Id)" />
                  </otherwise>
                </choose>
              </inbound>
              <backend><base /></backend>
              <outbound><base /></outbound>
            </policies>
            """, 200
        },

        // Response body transformation sample: set-body with statements over JObject.
        {
            """
            <policies>
              <inbound><base /></inbound>
              <backend><base /></backend>
              <outbound>
                <base />
                <set-body>@{
                    var response = context.Response.Body.As<JObject>();
                    foreach (var key in new [] {"path"}) {
                        response.Property (key).Remove ();
                    }
                    return response.ToString();
                }</set-body>
              </outbound>
            </policies>
            """, 200
        },

        // return-response reference sample.
        {
            """
            <policies>
              <inbound>
                <base />
                <return-response>
                   <set-status code="401" reason="Unauthorized"/>
                   <set-header name="WWW-Authenticate" exists-action="override">
                      <value>Bearer error="invalid_token"</value>
                   </set-header>
                </return-response>
              </inbound>
            </policies>
            """, 401
        },

        // Error handling sample: LastError into response headers.
        {
            """
            <policies>
              <inbound>
                <base />
                <check-header name="Authorization" failed-check-httpcode="401" failed-check-error-message="Not authorized" ignore-case="false" />
              </inbound>
              <on-error>
                <set-header name="ErrorSource" exists-action="override"><value>@(context.LastError.Source)</value></set-header>
                <set-header name="ErrorReason" exists-action="override"><value>@(context.LastError.Reason)</value></set-header>
                <set-header name="ErrorMessage" exists-action="override"><value>@(context.LastError.Message)</value></set-header>
                <set-header name="ErrorScope" exists-action="override"><value>@(context.LastError.Scope)</value></set-header>
                <set-header name="ErrorSection" exists-action="override"><value>@(context.LastError.Section)</value></set-header>
                <set-header name="ErrorPath" exists-action="override"><value>@(context.LastError.Path)</value></set-header>
                <set-header name="ErrorPolicyId" exists-action="override"><value>@(context.LastError.PolicyId)</value></set-header>
                <set-header name="ErrorStatusCode" exists-action="override"><value>@(context.Response.StatusCode.ToString())</value></set-header>
              </on-error>
            </policies>
            """, 401
        },

        // Forward with a timeout and rewrite to the backend's own path.
        {
            """
            <policies>
              <inbound><base /><rewrite-uri template="/items/{id}" copy-unmatched-params="false" /></inbound>
              <backend><forward-request timeout="60" /></backend>
              <outbound><base /></outbound>
            </policies>
            """, 200
        },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task PublishedSample_IsAccepted_AndRuns(string document, int expectedStatus)
    {
        await H.SetPolicyAsync("apis/echo", document);

        using var response = await H.GetAsync();

        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expectedStatus, $"{(int)response.StatusCode}: {body}");
        await H.SetApiPolicyAsync();
    }

    [Fact]
    public async Task UnsupportedPolicy_IsRefusedNamingIt()
    {
        using var response = await H.Host.SendAsync(HttpMethod.Put, $"{PolicyHost.Svc}/apis/echo/policies/policy", new
        {
            properties = new { format = "rawxml", value = PolicyHost.Document(inbound: """<redirect-content-urls />""") },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("'redirect-content-urls' is not a known policy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task SnapshotWithAPolicyThatCannotBeBuilt_IsServed_AndOnlyItsOperationAnswers500NamingIt()
    {
        await H.SetApiPolicyAsync(inbound: """<set-header name="X-Good"><value>yes</value></set-header>""");
        var gateway = H.Host.Server.Gateway!;
        var good = gateway.State;
        var bad = good.Snapshot with
        {
            Revision = good.Snapshot.Revision + 1,
            Apis = [.. good.Snapshot.Apis.Select(a => a with
            {
                Operations = [.. a.Operations.Select(o => o.Id == "any" ? o with { Policy = PolicyHost.Document(inbound: """<set-header name="X"><value>@(context.NoSuchMember)</value></set-header>""") } : o)],
            })],
        };

        Assert.True(gateway.Apply(bad));

        Assert.Contains("NoSuchMember", Assert.Single(gateway.State.Policies.Problems));
        using (var broken = await H.GetAsync("/echo/other"))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, broken.StatusCode);
            var body = await PolicyHost.JsonAsync(broken);
            Assert.Equal(500, (int)body["statusCode"]!);
            Assert.Contains("the policy of operation 'echo/any' cannot be loaded", (string)body["message"]!);
        }

        using (var response = await H.GetAsync())
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("yes", H.Backend.Last.Header("X-Good"));
        }

        // Management's next revision is the one applied above: two changes bring the gateway back to the store's.
        await H.SetApiPolicyAsync();
        await H.SetApiPolicyAsync();
        Assert.Empty(gateway.State.Policies.Problems);
    }

    [Fact]
    public async Task ReplacedSnapshot_UnloadsItsExpressions_OnceNoRequestRunsOnThem()
    {
        await H.SetApiPolicyAsync(inbound: """<set-header name="X-Version"><value>@("v1")</value></set-header>""");
        var first = H.Host.Server.Gateway!.State.Policies;
        Assert.True(first.ExpressionCount > 0);
        Assert.True(first.IsLive);

        // A request in flight keeps the state it entered alive across the swap.
        Assert.True(first.TryEnter());
        await H.SetApiPolicyAsync(inbound: """<set-header name="X-Version"><value>@("v2")</value></set-header>""");
        Assert.True(first.IsLive);
        first.Leave();

        Assert.False(first.IsLive);
        using var response = await H.GetAsync();
        Assert.Equal("v2", H.Backend.Last.Header("X-Version"));
        await H.SetApiPolicyAsync();
    }

    [Fact]
    public async Task PolicyFragment_IsValidatedOnSave_AndAnIncludeOfAMissingOneIsRefused()
    {
        using var bad = await H.Host.SendAsync(HttpMethod.Put, $"{PolicyHost.Svc}/policyFragments/broken", new
        {
            properties = new { format = "rawxml", value = "<fragment><no-such-policy /></fragment>" },
        });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("no-such-policy", await bad.Content.ReadAsStringAsync());

        using var missing = await H.Host.SendAsync(HttpMethod.Put, $"{PolicyHost.Svc}/apis/echo/policies/policy", new
        {
            properties = new { format = "rawxml", value = PolicyHost.Document(inbound: """<include-fragment fragment-id="nowhere" />""") },
        });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("policy fragment 'nowhere' does not exist", await missing.Content.ReadAsStringAsync());

        var listed = await H.Host.OkAsync(HttpMethod.Get, $"{PolicyHost.Svc}/policyFragments");
        Assert.IsType<JsonArray>(listed["value"]);
    }
}
