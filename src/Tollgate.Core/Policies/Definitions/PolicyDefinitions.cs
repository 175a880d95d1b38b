using System.Collections.Frozen;

namespace Tollgate.Core.Policies.Definitions;

/// <summary>
/// Every policy Tollgate knows, by element name: what <see cref="PolicyValidator"/> accepts. The gateway registers a
/// handler factory for each in <c>Tollgate.Gateway.Policies.PolicyHandlerFactories</c>; a unit test checks the two
/// lists name the same policies. Adding a policy: its folder here (definition and config), its folder in the gateway
/// (factory and handler), and one line in each registry.
/// </summary>
public static class PolicyDefinitions
{
    /// <summary>The definitions in the order the policy editor and the fuzz tests list them.</summary>
    public static IReadOnlyList<PolicyDefinition> All { get; } =
    [
        Base.BasePolicy.Instance,
        RateLimit.RateLimitPolicy.Instance,
        RateLimitByKey.RateLimitByKeyPolicy.Instance,
        Quota.QuotaPolicy.Instance,
        QuotaByKey.QuotaByKeyPolicy.Instance,
        SetHeader.SetHeaderPolicy.Instance,
        SetQueryParameter.SetQueryParameterPolicy.Instance,
        CheckHeader.CheckHeaderPolicy.Instance,
        IpFilter.IpFilterPolicy.Instance,
        SetVariable.SetVariablePolicy.Instance,
        ReturnResponse.ReturnResponsePolicy.Instance,
        MockResponse.MockResponsePolicy.Instance,
        SetStatus.SetStatusPolicy.Instance,
        Choose.ChoosePolicy.Instance,
        ForwardRequest.ForwardRequestPolicy.Instance,
        RewriteUri.RewriteUriPolicy.Instance,
        SetBackendService.SetBackendServicePolicy.Instance,
        SetMethod.SetMethodPolicy.Instance,
        SetBody.SetBodyPolicy.Instance,
        FindAndReplace.FindAndReplacePolicy.Instance,
        Retry.RetryPolicy.Instance,
        IncludeFragment.IncludeFragmentPolicy.Instance,
        Cors.CorsPolicy.Instance,
        ValidateJwt.ValidateJwtPolicy.Instance,
        JsonToXml.JsonToXmlPolicy.Instance,
        XmlToJson.XmlToJsonPolicy.Instance,
        SendRequest.SendRequestPolicy.Instance,
        SendRequest.SendOneWayRequestPolicy.Instance,
        CacheLookup.CacheLookupPolicy.Instance,
        CacheStore.CacheStorePolicy.Instance,
        CacheLookupValue.CacheLookupValuePolicy.Instance,
        CacheStoreValue.CacheStoreValuePolicy.Instance,
        CacheRemoveValue.CacheRemoveValuePolicy.Instance,
        Trace.TracePolicy.Instance,
        AuthenticationBasic.AuthenticationBasicPolicy.Instance,
        AuthenticationCertificate.AuthenticationCertificatePolicy.Instance,
        Jsonp.JsonpPolicy.Instance,
        LimitConcurrency.LimitConcurrencyPolicy.Instance,
        Wait.WaitPolicy.Instance,
        ValidateStatusCode.ValidateStatusCodePolicy.Instance,
        ValidateParameters.ValidateParametersPolicy.Instance,
        ValidateHeaders.ValidateHeadersPolicy.Instance,
        ValidateContent.ValidateContentPolicy.Instance,
    ];

    private static readonly FrozenDictionary<string, PolicyDefinition> ByName = All.ToFrozenDictionary(d => d.Name, StringComparer.Ordinal);

    /// <summary>The definition of the policy named <paramref name="name"/>, or null when Tollgate knows no such policy.</summary>
    public static PolicyDefinition? Find(string name) => ByName.GetValueOrDefault(name);
}
