using Tollgate.Core.Policies.Definitions.SetHeader;

namespace Tollgate.Core.Policies.Definitions.SendRequest;

/// <summary>A <c>send-request</c> or <c>send-one-way-request</c>: the request it sends.</summary>
/// <param name="Copy">True for <c>mode="copy"</c> (the current request, changed by the children), false for <c>new</c> (the default).</param>
/// <param name="ResponseVariableName">send-request's variable for the response; null for send-one-way-request.</param>
/// <param name="Timeout">How long to wait for the response; 60 seconds by default.</param>
/// <param name="IgnoreError">Whether a failure leaves a null variable instead of failing the policy; false by default.</param>
/// <param name="Url">The <c>set-url</c> child's text, if given.</param>
/// <param name="Method">The <c>set-method</c> child's text, if given.</param>
/// <param name="Headers">The <c>set-header</c> children.</param>
/// <param name="Body">The <c>set-body</c> child's text, if given.</param>
public sealed record SendRequestConfig(
    bool Copy,
    string? ResponseVariableName,
    TimeSpan Timeout,
    bool IgnoreError,
    PolicySetting? Url,
    PolicySetting? Method,
    IReadOnlyList<SetHeaderConfig> Headers,
    PolicySetting? Body);
