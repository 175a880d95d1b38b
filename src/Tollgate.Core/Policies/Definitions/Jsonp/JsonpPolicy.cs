namespace Tollgate.Core.Policies.Definitions.Jsonp;

/// <summary><c>jsonp</c> (outbound, once): the response wrapped in the callback the client names.</summary>
public sealed class JsonpPolicy : PolicyDefinition<JsonpConfig>
{
    private JsonpPolicy()
    {
    }

    public static JsonpPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "jsonp",
        Sections = ["outbound"],
        OncePerDocument = true,
        Attributes = [new("callback-parameter-name", Required: true)],
    };

    public override JsonpConfig Parse(PolicyElement element) => new(element.Setting("callback-parameter-name"));
}
