using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Definitions;
using Tollgate.Gateway.Policies;

namespace Tollgate.UnitTests.Policies;

/// <summary>
/// The two halves of every policy are registered once each: a definition (schema and config) in
/// <see cref="PolicyDefinitions"/>, a handler factory in <see cref="PolicyHandlerFactories"/>.
/// </summary>
public sealed class PolicyRegistryTests
{
    [Fact]
    public void EveryDefinition_HasAHandlerFactory_OrIsComposedByTheBuilder()
    {
        var built = PolicyHandlerFactories.All.Select(f => f.Definition.Name).Concat(PolicyHandlerFactories.Composed.Select(d => d.Name));

        Assert.Equal(PolicyDefinitions.All.Select(d => d.Name).Order(StringComparer.Ordinal), built.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EveryHandlerFactory_BuildsFromTheRegisteredDefinition()
    {
        foreach (var definition in PolicyHandlerFactories.All.Select(f => f.Definition).Concat(PolicyHandlerFactories.Composed))
        {
            Assert.Same(PolicyDefinitions.Find(definition.Name), definition);
        }
    }

    [Fact]
    public void NoPolicy_IsRegisteredTwice()
    {
        Assert.Equal(PolicyDefinitions.All.Count, PolicyDefinitions.All.Select(d => d.Name).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(PolicyHandlerFactories.All.Count, PolicyHandlerFactories.All.Select(f => f.Definition.Name).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void TheValidator_KnowsExactlyTheRegisteredPolicies()
    {
        Assert.Equal(PolicyDefinitions.All.Select(d => d.Name).Order(StringComparer.Ordinal), PolicySchema.Policies.Keys.Order(StringComparer.Ordinal));
        foreach (var definition in PolicyDefinitions.All)
        {
            // Placed where it may be, the policy may be wrong in its attributes but is never unknown.
            var section = definition.Schema.Sections?[0] ?? "inbound";
            var errors = PolicyValidator.Validate($"<policies><{section}><{definition.Name} /></{section}></policies>");
            Assert.DoesNotContain(errors, e => e.Message.Contains("is not a known policy", StringComparison.Ordinal));
        }

        Assert.Contains(PolicyValidator.Validate("<policies><inbound><no-such-policy /></inbound></policies>"), e => e.Message == "Element 'no-such-policy' is not a known policy.");
    }

    [Fact]
    public void EveryConfig_IsReadFromAValidElement_WithItsDefaults()
    {
        // The smallest valid element of each policy: the config its definition reads from it carries the defaults.
        var rateLimit = Element<Core.Policies.Definitions.RateLimitByKey.RateLimitByKeyConfig>("inbound", "<rate-limit-by-key calls=\"5\" renewal-period=\"60\" counter-key=\"k\" />");
        Assert.Equal("1", rateLimit.IncrementCount.Text);
        Assert.Equal("Retry-After", rateLimit.Outputs.RetryAfterHeader);

        var forward = Element<Core.Policies.Definitions.ForwardRequest.ForwardRequestConfig>("backend", "<forward-request />");
        Assert.Equal(TimeSpan.FromSeconds(300), forward.Timeout);

        var send = Element<Core.Policies.Definitions.SendRequest.SendRequestConfig>("inbound", "<send-request response-variable-name=\"r\"><set-url>https://a</set-url></send-request>");
        Assert.Equal(TimeSpan.FromSeconds(60), send.Timeout);
        Assert.False(send.Copy);

        var cors = Element<Core.Policies.Definitions.Cors.CorsConfig>("inbound", "<cors><allowed-origins><origin>*</origin></allowed-origins></cors>");
        Assert.Equal(["GET", "POST"], cors.AllowedMethods);
        Assert.Equal("true", cors.TerminateUnmatchedRequest.Text);

        var jwt = Element<Core.Policies.Definitions.ValidateJwt.ValidateJwtConfig>("inbound", "<validate-jwt header-name=\"Authorization\" />");
        Assert.Equal(401, jwt.FailedValidationHttpCode);
        Assert.True(jwt.RequireExpirationTime);
        Assert.True(jwt.RequireSignedTokens);
    }

    private static TConfig Element<TConfig>(string section, string xml)
        where TConfig : class
    {
        var document = PolicyDocument.Parse($"<policies><{section}>{xml}</{section}></policies>");
        Assert.Empty(PolicyValidator.Validate(document));
        var element = document.GetSection(section)!.Elements[0];
        return Assert.IsType<TConfig>(PolicyDefinitions.Find(element.Name)!.ParseConfig(element));
    }
}
