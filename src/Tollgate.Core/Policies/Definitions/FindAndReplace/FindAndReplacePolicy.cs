namespace Tollgate.Core.Policies.Definitions.FindAndReplace;

/// <summary><c>find-and-replace</c>: replaces every occurrence of a string in the request's or response's body.</summary>
public sealed class FindAndReplacePolicy : PolicyDefinition<FindAndReplaceConfig>
{
    private FindAndReplacePolicy()
    {
    }

    public static FindAndReplacePolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "find-and-replace",
        Attributes = [new("from", Required: true), new("to", Required: true)],
    };

    public override FindAndReplaceConfig Parse(PolicyElement element) => new(element.Setting("from"), element.Setting("to"));
}
