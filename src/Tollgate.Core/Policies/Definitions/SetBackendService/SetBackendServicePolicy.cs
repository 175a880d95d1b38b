namespace Tollgate.Core.Policies.Definitions.SetBackendService;

/// <summary><c>set-backend-service</c> (inbound, backend): forwards to another URL, or to a backend of the instance.</summary>
public sealed class SetBackendServicePolicy : PolicyDefinition<SetBackendServiceConfig>
{
    private SetBackendServicePolicy()
    {
    }

    public static SetBackendServicePolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "set-backend-service",
        Sections = ["inbound", "backend"],
        Attributes = [new("base-url"), new("backend-id")],
        Extra = (el, path, report) =>
        {
            if ((el.GetAttribute("base-url") is null) == (el.GetAttribute("backend-id") is null))
            {
                report(path, "Policy 'set-backend-service' needs exactly one of 'base-url' and 'backend-id'.");
            }
        },
    };

    public override SetBackendServiceConfig Parse(PolicyElement element) => new(element.Setting("base-url"), element.OptionalSetting("backend-id"));
}
