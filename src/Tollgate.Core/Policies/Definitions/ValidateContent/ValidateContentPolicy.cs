using System.Globalization;

namespace Tollgate.Core.Policies.Definitions.ValidateContent;

/// <summary><c>validate-content</c> (inbound, outbound, on-error): the body's size, content type and content against the operation's representations or a schema.</summary>
public sealed class ValidateContentPolicy : PolicyDefinition<ValidateContentConfig>
{
    private ValidateContentPolicy()
    {
    }

    public static ValidateContentPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "validate-content",
        Sections = ["inbound", "outbound", "on-error"],
        Attributes =
        [
            new("unspecified-content-type-action", Required: true, Kind: PolicyValueKind.Enumeration, Values: SchemaParts.ValidationActions),
            new("max-size", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger, Min: 0, Max: MaxSizeLimit),
            new("size-exceeded-action", Required: true, Kind: PolicyValueKind.Enumeration, Values: SchemaParts.ValidationActions),
            new("errors-variable-name", AllowsExpressions: false),
        ],
        Children =
        [
            new PolicyElementSpec
            {
                Name = "content-type-map",
                Attributes = [new("any-content-type-value", AllowsExpressions: false), new("missing-content-type-value", AllowsExpressions: false)],
                Children =
                [
                    new PolicyElementSpec
                    {
                        Name = "type",
                        Attributes = [new("from", AllowsExpressions: false), new("when"), new("to", Required: true, AllowsExpressions: false)],
                        Extra = (el, path, report) =>
                        {
                            if ((el["from"] is null) == (el["when"] is null))
                            {
                                report(path, "Element 'type' of 'content-type-map' needs exactly one of 'from' and 'when'.");
                            }
                        },
                    },
                ],
            },
            new PolicyElementSpec
            {
                Name = "content",
                Attributes =
                [
                    new("type", AllowsExpressions: false),
                    new("validate-as", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["json", "xml", "soap"]),
                    new("schema-id", AllowsExpressions: false),
                    new("schema-ref", AllowsExpressions: false),
                    new("action", Required: true, Kind: PolicyValueKind.Enumeration, Values: SchemaParts.ValidationActions),
                    new("allow-additional-properties", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
                ],
                Extra = (el, path, report) =>
                {
                    if (el["schema-ref"] is not null && el["schema-id"] is null)
                    {
                        report(path, "Attribute 'schema-ref' of 'content' applies only with 'schema-id'.");
                    }
                    else if (el["schema-ref"] is { } reference && !reference.Trim().StartsWith("#/", StringComparison.Ordinal))
                    {
                        report(path, $"Attribute 'schema-ref' of 'content' must be a local reference such as #/components/schemas/address, not '{reference}'.");
                    }
                },
            },
        ],
    };

    /// <summary>APIM's limit for <c>max-size</c>: 100 KiB.</summary>
    internal const long MaxSizeLimit = 102_400;

    public override ValidateContentConfig Parse(PolicyElement element)
    {
        var map = element.Child("content-type-map");
        return new(
            element.Setting("unspecified-content-type-action"),
            long.Parse((element["max-size"] ?? "").Trim(), CultureInfo.InvariantCulture),
            element.Setting("size-exceeded-action"),
            element["errors-variable-name"],
            map?["any-content-type-value"],
            map?["missing-content-type-value"],
            map?.ChildrenNamed("type").Select(c => new ContentTypeMappingConfig(c["from"], c.OptionalSetting("when"), c["to"] ?? "")).ToArray() ?? [],
            element.ChildrenNamed("content").Select(c => new ContentRuleConfig(
                c["type"],
                c["validate-as"] ?? "",
                c.Setting("action"),
                c["allow-additional-properties"] is { } allow ? bool.Parse(allow.Trim()) : null,
                c["schema-id"]?.Trim(),
                c["schema-ref"]?.Trim())).ToArray());
    }
}
