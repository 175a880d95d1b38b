namespace Tollgate.Core.Policies.Definitions.ValidateContent;

/// <summary>A <c>validate-content</c>.</summary>
/// <param name="UnspecifiedContentTypeAction">The action for a content type the operation does not declare.</param>
/// <param name="MaxSize">The largest body in bytes (at most 100 KiB).</param>
/// <param name="SizeExceededAction">The action for a larger body.</param>
/// <param name="ErrorsVariableName">A variable to append the errors to, if any.</param>
/// <param name="AnyContentTypeValue">The content type every body is validated as, if given.</param>
/// <param name="MissingContentTypeValue">The content type a body without one is validated as, if given.</param>
/// <param name="Mappings">The <c>type</c> children of <c>content-type-map</c>.</param>
/// <param name="Rules">The <c>content</c> children.</param>
public sealed record ValidateContentConfig(
    PolicySetting UnspecifiedContentTypeAction,
    long MaxSize,
    PolicySetting SizeExceededAction,
    string? ErrorsVariableName,
    string? AnyContentTypeValue,
    string? MissingContentTypeValue,
    IReadOnlyList<ContentTypeMappingConfig> Mappings,
    IReadOnlyList<ContentRuleConfig> Rules);

/// <summary>A <c>type</c> of <c>content-type-map</c>: the content type <paramref name="From"/> (or every one <paramref name="When"/> holds for) is validated as <paramref name="To"/>.</summary>
public sealed record ContentTypeMappingConfig(string? From, PolicySetting? When, string To);

/// <summary>A <c>content</c> child: how bodies of <paramref name="Type"/> (null: every declared type) are checked.</summary>
/// <param name="Type">The content type, if given.</param>
/// <param name="ValidateAs"><c>json</c>, <c>xml</c> or <c>soap</c>.</param>
/// <param name="Action">The action for a body that does not conform.</param>
/// <param name="AllowAdditionalProperties">JSON: an override of every object schema's additionalProperties, if given.</param>
/// <param name="SchemaId">An instance-level schema (<c>schemas/{id}</c>) instead of the operation's, if given.</param>
/// <param name="SchemaRef">JSON: the part of that schema to use (<c>#/components/schemas/address</c>), if given.</param>
public sealed record ContentRuleConfig(string? Type, string ValidateAs, PolicySetting Action, bool? AllowAdditionalProperties, string? SchemaId, string? SchemaRef);
