namespace Tollgate.Core.Policies.Definitions.AuthenticationBasic;

/// <summary><c>authentication-basic</c> (inbound, once): Basic credentials sent to the backend.</summary>
public sealed class AuthenticationBasicPolicy : PolicyDefinition<AuthenticationBasicConfig>
{
    private AuthenticationBasicPolicy()
    {
    }

    public static AuthenticationBasicPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "authentication-basic",
        Sections = SchemaParts.InboundOnly,
        OncePerDocument = true,
        Attributes = [new("username", Required: true), new("password", Required: true)],
    };

    public override AuthenticationBasicConfig Parse(PolicyElement element) => new(element.Setting("username"), element.Setting("password"));
}
