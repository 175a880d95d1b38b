namespace Tollgate.Core.Policies.Definitions.ReturnResponse;

/// <summary><c>return-response</c>: a response of the gateway's own; the rest of the pipeline is skipped.</summary>
public sealed class ReturnResponsePolicy : PolicyDefinition<ReturnResponseConfig>
{
    private ReturnResponsePolicy()
    {
    }

    public static ReturnResponsePolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "return-response",
        Attributes = [new("response-variable-name")],
        Children = [SetStatus.SetStatusPolicy.Instance.Schema, SetHeader.SetHeaderPolicy.Instance.Schema, SetBody.SetBodyPolicy.Instance.Schema],
    };

    public override ReturnResponseConfig Parse(PolicyElement element) => new(element["response-variable-name"], element.Children);
}
