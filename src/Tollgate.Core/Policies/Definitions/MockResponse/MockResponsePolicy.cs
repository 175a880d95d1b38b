namespace Tollgate.Core.Policies.Definitions.MockResponse;

/// <summary><c>mock-response</c> (inbound, outbound, on-error): the operation's declared example as the response.</summary>
public sealed class MockResponsePolicy : PolicyDefinition<MockResponseConfig>
{
    private MockResponsePolicy()
    {
    }

    public static MockResponsePolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "mock-response",
        Sections = ["inbound", "outbound", "on-error"],
        Attributes = [new("status-code", Kind: PolicyValueKind.NonNegativeInteger), new("content-type")],
    };

    public override MockResponseConfig Parse(PolicyElement element) => new(element.Int("status-code", 200), element["content-type"]);
}
