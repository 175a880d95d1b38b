namespace Tollgate.Core.Policies.Definitions.Cors;

/// <summary><c>cors</c> (inbound): answers CORS preflights and adds the CORS headers to cross-origin responses.</summary>
public sealed class CorsPolicy : PolicyDefinition<CorsConfig>
{
    private CorsPolicy()
    {
    }

    public static CorsPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "cors",
        Sections = SchemaParts.InboundOnly,
        Attributes =
        [
            new("allow-credentials", Kind: PolicyValueKind.Boolean),
            new("terminate-unmatched-request", Kind: PolicyValueKind.Boolean),
        ],
        Children =
        [
            new PolicyElementSpec { Name = "allowed-origins", Children = [new PolicyElementSpec { Name = "origin", AllowsText = true }] },
            new PolicyElementSpec
            {
                Name = "allowed-methods",
                Attributes = [new("preflight-result-max-age", AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger)],
                Children = [new PolicyElementSpec { Name = "method", AllowsText = true }],
            },
            new PolicyElementSpec { Name = "allowed-headers", Children = [new PolicyElementSpec { Name = "header", AllowsText = true }] },
            new PolicyElementSpec { Name = "expose-headers", Children = [new PolicyElementSpec { Name = "header", AllowsText = true }] },
        ],
        Extra = (el, path, report) =>
        {
            SchemaParts.RequireChild(el, path, "allowed-origins", report);
            var origins = el.Children.FirstOrDefault(c => c.Name == "allowed-origins");
            if (origins is not null && !origins.Children.Any(c => c.Name == "origin"))
            {
                report(path + "/allowed-origins[1]", "Element 'allowed-origins' of 'cors' requires at least one 'origin' element.");
            }

            if (el["allow-credentials"] is { } credentials && credentials.Trim().Equals("true", StringComparison.OrdinalIgnoreCase)
                && origins?.Children.Any(c => c.Text?.Trim() == "*") == true)
            {
                report(path + "/@allow-credentials", "Attribute 'allow-credentials' of 'cors' cannot be true when the allowed origins include '*'.");
            }
        },
    };

    public override CorsConfig Parse(PolicyElement element)
    {
        var methods = element.Child("allowed-methods");
        return new(
            element.Setting("allow-credentials", "false"),
            element.Setting("terminate-unmatched-request", "true"),
            Texts(element, "allowed-origins", "origin"),

            // Without allowed-methods APIM allows GET and POST.
            methods is null ? ["GET", "POST"] : Texts(element, "allowed-methods", "method"),
            Texts(element, "allowed-headers", "header"),
            Texts(element, "expose-headers", "header"),
            methods?["preflight-result-max-age"]?.Trim());
    }

    private static string[] Texts(PolicyElement element, string list, string item) =>
        element.Items(list, item).Where(c => !string.IsNullOrWhiteSpace(c.Text)).Select(c => c.Text!.Trim()).ToArray();
}
