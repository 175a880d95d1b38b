namespace Tollgate.Core.Policies.Definitions.Choose;

/// <summary><c>choose</c>: the policies of the first <c>when</c> whose condition holds, else of <c>otherwise</c>.</summary>
public sealed class ChoosePolicy : PolicyDefinition<ChooseConfig>
{
    private ChoosePolicy()
    {
    }

    private static readonly PolicyElementSpec When = new()
    {
        Name = "when",
        Attributes = [new("condition", Required: true)],
        PolicyChildren = true,
    };

    private static readonly PolicyElementSpec Otherwise = new() { Name = "otherwise", PolicyChildren = true };

    public static ChoosePolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "choose",
        Children = [When, Otherwise],
        Extra = (el, path, report) =>
        {
            if (!el.Children.Any(c => c.Name == "when"))
            {
                report(path, "Policy 'choose' requires at least one 'when' element.");
            }

            var otherwise = el.Children.Count(c => c.Name == "otherwise");
            if (otherwise > 1)
            {
                report(path, "Policy 'choose' allows at most one 'otherwise' element.");
            }
            else if (otherwise == 1 && el.Children[^1].Name != "otherwise")
            {
                report(path, "Element 'otherwise' must be the last element of 'choose'.");
            }
        },
    };

    public override ChooseConfig Parse(PolicyElement element)
    {
        var branches = new List<ChooseBranch>();
        IReadOnlyList<PolicyElement>? otherwise = null;
        foreach (var child in element.Children)
        {
            if (child.Name == "when")
            {
                branches.Add(new ChooseBranch(child.Setting("condition"), child.Children));
            }
            else if (child.Name == "otherwise")
            {
                otherwise = child.Children;
            }
        }

        return new(branches, otherwise);
    }
}
