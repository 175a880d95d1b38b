namespace Tollgate.Core.Policies.Definitions.Trace;

/// <summary><c>trace</c>: a message (and metadata) to the gateway's log.</summary>
public sealed class TracePolicy : PolicyDefinition<TraceConfig>
{
    private TracePolicy()
    {
    }

    public static TracePolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "trace",
        Attributes =
        [
            new("source", Required: true, AllowsExpressions: false),
            new("severity", AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["verbose", "information", "error"]),
        ],
        Children =
        [
            new PolicyElementSpec { Name = "message", AllowsText = true },
            new PolicyElementSpec { Name = "metadata", Attributes = [new("name", Required: true), new("value", Required: true)] },
        ],

        // APIM's older form: the message as the element's text (<trace source="x">text or @(expression)</trace>).
        AllowsText = true,
        Extra = (el, path, report) =>
        {
            if (el.Text is not null && el.Children.Any(c => c.Name == "message"))
            {
                report(path, "'trace' takes its message either as text or in a <message> element, not both.");
            }
        },
    };

    public override TraceConfig Parse(PolicyElement element) => new(
        element["source"] ?? "",
        (element.Child("message") ?? element).TextSetting(),
        element.ChildrenNamed("metadata").Select(c => new TraceMetadata(c["name"] ?? "", c.Setting("value"))).ToArray());
}
