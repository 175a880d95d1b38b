using System.Net;

namespace Tollgate.FunctionalTests.Policies;

/// <summary>
/// Policy contexts are pooled (PolicyContext.Rent/Return): a request never sees what an earlier one left in its
/// context (variables, subscription, errors, pending headers), sequential or concurrent.
/// </summary>
public sealed class PooledContextTests(PolicyHostFixture fixture) : IClassFixture<PolicyHostFixture>
{
    private PolicyHost H => fixture.Host;

    [Fact]
    public async Task ARequest_NeverSeesTheVariablesOrStateOfAnEarlierOne()
    {
        var key = Guid.NewGuid().ToString("N");
        await H.SetApiPolicyAsync(
            inbound: $$"""
                <set-header name="X-Seen" exists-action="override"><value>@(string.Join(",", context.Variables.Keys.OrderBy(k => k)) + "|" + (context.LastError == null) + "|" + context.Subscription.Id)</value></set-header>
                <choose>
                  <when condition="@(context.Request.Headers.GetValueOrDefault("X-Set", "") == "yes")">
                    <set-variable name="left-behind" value="@(context.Request.Headers.GetValueOrDefault("X-Set", ""))" />
                    <rate-limit-by-key calls="1000" renewal-period="60" counter-key="{{key}}" remaining-calls-header-name="X-Remaining" />
                  </when>
                </choose>
                """,
            outbound: """
                <set-header name="X-Seen" exists-action="override"><value>@(context.Request.Headers.GetValueOrDefault("X-Seen", ""))</value></set-header>
                """);

        // One at a time (each request can take the context the one before gave back), then eight at a time.
        var responses = new List<(int, HttpStatusCode, string, string?)>();
        for (var i = 0; i < 40; i++)
        {
            responses.Add(await CallAsync(i));
        }

        for (var batch = 0; batch < 20; batch++)
        {
            responses.AddRange(await Task.WhenAll(Enumerable.Range(0, 8).Select(i => CallAsync(40 + (batch * 8) + i))));
        }

        foreach (var (i, status, seen, remaining) in responses)
        {
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.StartsWith("|True|", seen);
            Assert.Equal(i % 2 == 0, remaining is not null);
        }
    }

    /// <summary>
    /// A guard for whoever adds state to the context: a pooled context must be emptied in <c>PolicyContext.Return</c>.
    /// When this fails, reset the new field there (or keep it if it is storage reused from request to request), then
    /// add it to the list.
    /// </summary>
    [Fact]
    public void EveryFieldOfThePooledContext_IsKnownToReturn()
    {
        string[] known =
        [
            "_started", "_originalPath", "_originalQuery", "_variables", "_requestHeaders", "_responseHeaders", "_url",
            "_originalUrl", "_matched", "_subscription", "_subscriptionSet", "_user", "_requestId", "_deferred",
            "_pendingHeaders", "_capture", "_originalBody", "_retained", "_limitBatch",
            "<Http>k__BackingField", "<Gateway>k__BackingField", "<OperationPolicies>k__BackingField", "<Runtime>k__BackingField",
            "<Section>k__BackingField", "<RequestBody>k__BackingField", "<ResponseBody>k__BackingField", "<HasResponse>k__BackingField",
            "<QuotaKeys>k__BackingField", "<Forward>k__BackingField", "<Pipeline>k__BackingField", "<BackendOverridden>k__BackingField",
            "<ForwardTimeout>k__BackingField", "<LastError>k__BackingField", "<Timestamp>k__BackingField",
        ];

        var fields = typeof(Tollgate.Gateway.Policies.Runtime.PolicyContext)
            .GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)
            .Select(f => f.Name);

        Assert.Empty(fields.Except(known));
    }

    private async Task<(int, HttpStatusCode, string, string?)> CallAsync(int i)
    {
        using var response = await H.GetAsync(configure: r =>
        {
            if (i % 2 == 0)
            {
                r.Headers.Add("X-Set", "yes");
            }
        });
        return (i, response.StatusCode, response.Headers.GetValues("X-Seen").Single(),
            response.Headers.TryGetValues("X-Remaining", out var remaining) ? remaining.Single() : null);
    }
}
