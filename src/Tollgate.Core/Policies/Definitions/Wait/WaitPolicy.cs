namespace Tollgate.Core.Policies.Definitions.Wait;

/// <summary><c>wait</c> (inbound, backend, outbound): runs its send-request, cache-lookup-value and choose children, for all or any of them.</summary>
public sealed class WaitPolicy : PolicyDefinition<WaitConfig>
{
    private WaitPolicy()
    {
    }

    public static WaitPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "wait",
        Sections = ["inbound", "backend", "outbound"],
        PolicyChildren = true,
        Attributes = [new("for", Kind: PolicyValueKind.Enumeration, Values: ["all", "any"])],
        Extra = (el, path, report) =>
        {
            foreach (var child in el.Children.Where(c => c.Name is not ("send-request" or "cache-lookup-value" or "choose")))
            {
                report(path, $"Element '{child.Name}' is not allowed in 'wait': it may contain only send-request, cache-lookup-value and choose policies.");
            }
        },
    };

    public override WaitConfig Parse(PolicyElement element) => new(element.Setting("for", "all"), element.Children);
}
