namespace Tollgate.Core.Policies.Definitions.SendRequest;

/// <summary><c>send-one-way-request</c>: send-request without waiting for (or keeping) the response.</summary>
public sealed class SendOneWayRequestPolicy : PolicyDefinition<SendRequestConfig>
{
    private SendOneWayRequestPolicy()
    {
    }

    public static SendOneWayRequestPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "send-one-way-request",
        Attributes =
        [
            new("mode", AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["new", "copy"]),
            new("timeout", AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger, Max: int.MaxValue / 1000),
        ],
        Children = OutgoingRequest.Children,
        Extra = OutgoingRequest.RequiresSetUrl("send-one-way-request"),
    };

    public override SendRequestConfig Parse(PolicyElement element) => OutgoingRequest.Parse(element, variable: null);
}
