namespace Tollgate.Core.Policies.Definitions.ValidateJwt;

/// <summary><c>validate-jwt</c> (inbound): a JWT from a header, a query parameter or an expression, checked for its signature, issuer, audience, lifetime and claims.</summary>
public sealed class ValidateJwtPolicy : PolicyDefinition<ValidateJwtConfig>
{
    private ValidateJwtPolicy()
    {
    }

    private static readonly PolicyElementSpec JwtKey = new()
    {
        Name = "key",
        AllowsText = true,
        Attributes = [new("id", AllowsExpressions: false), new("certificate-id", AllowsExpressions: false), new("n", AllowsExpressions: false), new("e", AllowsExpressions: false)],
    };

    private static bool IsBase64(string text)
    {
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text.Trim(), buffer, out _);
    }

    public static ValidateJwtPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "validate-jwt",
        Sections = SchemaParts.InboundOnly,
        Attributes =
        [
            new("header-name", AllowsExpressions: false),
            new("query-parameter-name", AllowsExpressions: false),
            new("token-value"),
            new("failed-validation-httpcode", AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger),
            new("failed-validation-error-message"),
            new("require-expiration-time", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
            new("require-scheme", AllowsExpressions: false),
            new("require-signed-tokens", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
            new("clock-skew", AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger),
            new("output-token-variable-name", AllowsExpressions: false),
        ],
        Children =
        [
            new PolicyElementSpec { Name = "openid-config", Attributes = [new("url", Required: true, AllowsExpressions: false)] },
            new PolicyElementSpec { Name = "issuer-signing-keys", Children = [JwtKey] },
            new PolicyElementSpec { Name = "decryption-keys", Children = [JwtKey] },
            new PolicyElementSpec { Name = "audiences", Children = [new PolicyElementSpec { Name = "audience", AllowsText = true }] },
            new PolicyElementSpec { Name = "issuers", Children = [new PolicyElementSpec { Name = "issuer", AllowsText = true }] },
            new PolicyElementSpec
            {
                Name = "required-claims",
                Children =
                [
                    new PolicyElementSpec
                    {
                        Name = "claim",
                        Attributes =
                        [
                            new("name", Required: true, AllowsExpressions: false),
                            new("match", AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["all", "any"]),
                            new("separator", AllowsExpressions: false),
                        ],
                        Children = [new PolicyElementSpec { Name = "value", AllowsText = true }],
                    },
                ],
            },
        ],
        Extra = (el, path, report) =>
        {
            var sources = new[] { "header-name", "query-parameter-name", "token-value" }.Count(a => el.GetAttribute(a) is not null);
            if (sources != 1)
            {
                report(path, "Policy 'validate-jwt' requires exactly one of the attributes 'header-name', 'query-parameter-name' and 'token-value'.");
            }

            foreach (var key in el.Children.Where(c => c.Name is "issuer-signing-keys" or "decryption-keys").SelectMany(c => c.Children))
            {
                if (key["certificate-id"] is { } certificateId)
                {
                    if (!string.IsNullOrWhiteSpace(key.Text) || key["n"] is not null || key["e"] is not null)
                    {
                        report(path, "Element 'key' of 'validate-jwt' takes one key: a base64 value, the attributes 'n' and 'e', or 'certificate-id'.");
                    }
                    else if (string.IsNullOrWhiteSpace(certificateId))
                    {
                        report(path, "Attribute 'certificate-id' of 'key' must name a certificate of the instance (certificates/{id}).");
                    }
                }
                else if (string.IsNullOrWhiteSpace(key.Text) && (key["n"] is null || key["e"] is null))
                {
                    report(path, "Element 'key' of 'validate-jwt' requires a base64 value, or both the attributes 'n' and 'e'.");
                }
                else if (!string.IsNullOrWhiteSpace(key.Text) && !IsBase64(key.Text!))
                {
                    report(path, $"Element 'key' of 'validate-jwt' must be base64, not '{key.Text}'.");
                }
            }
        },
    };

    /// <summary>An audience or issuer: its text trimmed, or its expression (<c>&lt;audience&gt;@(context.Request.OriginalUrl.Host)&lt;/audience&gt;</c>).</summary>
    private static PolicySetting TextSetting(PolicyElement element) =>
        element.TextIsExpression ? PolicySetting.OfText(element) : PolicySetting.Literal(element.Text!.Trim());

    public override ValidateJwtConfig Parse(PolicyElement element) => new(
        element["header-name"],
        element["query-parameter-name"],
        element.OptionalSetting("token-value"),
        element["require-scheme"]?.Trim(),
        element.Int("failed-validation-httpcode", 401),
        element.OptionalSetting("failed-validation-error-message"),
        element.Flag("require-expiration-time", true),
        element.Flag("require-signed-tokens", true),
        element.Int("clock-skew", 0),
        element["output-token-variable-name"],
        element.Child("openid-config")?["url"]?.Trim(),
        element.Items("issuer-signing-keys", "key").Select(Key).ToArray(),
        element.Items("decryption-keys", "key").Select(Key).ToArray(),
        element.Items("audiences", "audience").Where(a => a.Text is not null).Select(TextSetting).ToArray(),
        element.Items("issuers", "issuer").Where(i => i.Text is not null).Select(TextSetting).ToArray(),
        element.Items("required-claims", "claim").Select(c => new RequiredClaimConfig(
            c["name"] ?? "",
            c.Children.Where(v => v.Name == "value" && v.Text is not null).Select(v => v.Text!.Trim()).ToArray(),
            c["match"] != "any",
            c["separator"])).ToArray());

    private static JwtKeyConfig Key(PolicyElement key) => new(key["id"], key.Text, key["n"], key["e"], key["certificate-id"]?.Trim());
}
