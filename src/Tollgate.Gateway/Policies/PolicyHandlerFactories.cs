using System.Collections.Frozen;
using Tollgate.Core.Policies.Definitions;
using Tollgate.Core.Policies.Definitions.Base;
using Tollgate.Core.Policies.Definitions.IncludeFragment;

namespace Tollgate.Gateway.Policies;

/// <summary>
/// The handler factory of every policy the gateway runs, by policy name: the gateway's side of
/// <see cref="PolicyDefinitions"/> (a unit test checks both name the same policies). Adding a policy: its folder
/// here (factory and handler), its folder in <c>Tollgate.Core/Policies/Definitions</c>, and one line in each registry.
/// </summary>
internal static class PolicyHandlerFactories
{
    /// <summary>One factory per policy that becomes a handler.</summary>
    public static IReadOnlyList<IPolicyHandlerFactory> All { get; } =
    [
        new RateLimit.RateLimitHandlerFactory(),
        new RateLimitByKey.RateLimitByKeyHandlerFactory(),
        new Quota.QuotaHandlerFactory(),
        new QuotaByKey.QuotaByKeyHandlerFactory(),
        new SetHeader.SetHeaderHandlerFactory(),
        new SetQueryParameter.SetQueryParameterHandlerFactory(),
        new CheckHeader.CheckHeaderHandlerFactory(),
        new IpFilter.IpFilterHandlerFactory(),
        new SetVariable.SetVariableHandlerFactory(),
        new ReturnResponse.ReturnResponseHandlerFactory(),
        new MockResponse.MockResponseHandlerFactory(),
        new SetStatus.SetStatusHandlerFactory(),
        new Choose.ChooseHandlerFactory(),
        new ForwardRequest.ForwardRequestHandlerFactory(),
        new RewriteUri.RewriteUriHandlerFactory(),
        new SetBackendService.SetBackendServiceHandlerFactory(),
        new SetMethod.SetMethodHandlerFactory(),
        new SetBody.SetBodyHandlerFactory(),
        new FindAndReplace.FindAndReplaceHandlerFactory(),
        new Retry.RetryHandlerFactory(),
        new Cors.CorsHandlerFactory(),
        new ValidateJwt.ValidateJwtHandlerFactory(),
        new JsonToXml.JsonToXmlHandlerFactory(),
        new XmlToJson.XmlToJsonHandlerFactory(),
        new SendRequest.SendRequestHandlerFactory(),
        new SendRequest.SendOneWayRequestHandlerFactory(),
        new CacheLookup.CacheLookupHandlerFactory(),
        new CacheStore.CacheStoreHandlerFactory(),
        new CacheLookupValue.CacheLookupValueHandlerFactory(),
        new CacheStoreValue.CacheStoreValueHandlerFactory(),
        new CacheRemoveValue.CacheRemoveValueHandlerFactory(),
        new Trace.TraceHandlerFactory(),
        new AuthenticationBasic.AuthenticationBasicHandlerFactory(),
        new AuthenticationCertificate.AuthenticationCertificateHandlerFactory(),
        new Jsonp.JsonpHandlerFactory(),
        new LimitConcurrency.LimitConcurrencyHandlerFactory(),
        new Wait.WaitHandlerFactory(),
        new ValidateStatusCode.ValidateStatusCodeHandlerFactory(),
        new ValidateParameters.ValidateParametersHandlerFactory(),
        new ValidateHeaders.ValidateHeadersHandlerFactory(),
        new ValidateContent.ValidateContentHandlerFactory(),
    ];

    /// <summary>
    /// The policies that shape the pipeline instead of becoming a handler: <c>base</c> (the enclosing scope's
    /// policies, merged in by <see cref="Core.Policies.EffectivePolicy"/>) and <c>include-fragment</c> (the fragment's
    /// policies, built in its place by <see cref="Runtime.PolicyBuilder"/>).
    /// </summary>
    public static IReadOnlyList<PolicyDefinition> Composed { get; } = [BasePolicy.Instance, IncludeFragmentPolicy.Instance];

    private static readonly FrozenDictionary<string, IPolicyHandlerFactory> ByName = All.ToFrozenDictionary(f => f.Definition.Name, StringComparer.Ordinal);

    /// <summary>The names of every policy the gateway runs: built by a factory, or composed.</summary>
    public static IReadOnlySet<string> Names { get; } = All.Select(f => f.Definition.Name).Concat(Composed.Select(d => d.Name)).ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The factory of the policy named <paramref name="name"/>, or null.</summary>
    public static IPolicyHandlerFactory? Find(string name) => ByName.GetValueOrDefault(name);
}
