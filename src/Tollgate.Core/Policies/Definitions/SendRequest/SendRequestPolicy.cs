namespace Tollgate.Core.Policies.Definitions.SendRequest;

/// <summary><c>send-request</c>: a request of its own, or a copy of the current one, sent with a timeout; its response into a variable.</summary>
public sealed class SendRequestPolicy : PolicyDefinition<SendRequestConfig>
{
    private SendRequestPolicy()
    {
    }

    public static SendRequestPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "send-request",
        Attributes =
        [
            new("mode", AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["new", "copy"]),
            new("response-variable-name", Required: true, AllowsExpressions: false),
            new("timeout", AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger, Max: int.MaxValue / 1000),
            new("ignore-error", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
        ],
        Children = OutgoingRequest.Children,
        Extra = OutgoingRequest.RequiresSetUrl("send-request"),
    };

    public override SendRequestConfig Parse(PolicyElement element) => OutgoingRequest.Parse(element, element["response-variable-name"] ?? "");
}
