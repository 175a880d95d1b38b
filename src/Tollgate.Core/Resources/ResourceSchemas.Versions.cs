using System.Text.Json.Nodes;

namespace Tollgate.Core.Resources;

public static partial class ResourceSchemas
{
    /// <summary>Where a version set's APIs take the version from: a path segment, a header or a query parameter.</summary>
    public static readonly IReadOnlyList<string> VersioningSchemes = ["Segment", "Query", "Header"];

    /// <summary>APIM's version sets (<c>apiVersionSets/{id}</c>): the versions of one API and how a call names one.</summary>
    public static readonly ObjectSchema ApiVersionSet = new("ApiVersionSetContractProperties",
    [
        new("displayName", FieldType.String) { Required = true, MinLength = 1, MaxLength = 100, Description = "Name of the version set." },
        new("versioningScheme", FieldType.String) { Required = true, Values = VersioningSchemes, Description = "Segment: {gateway}/{path}/{version}/…; Header: the version in versionHeaderName; Query: the version in the query parameter versionQueryName. The API of the set without apiVersion (the original) answers calls that name no version." },
        new("versionHeaderName", FieldType.String) { MinLength = 1, MaxLength = 100, Check = CheckVersionHeaderName, Description = "The header carrying the version; required with versioningScheme Header." },
        new("versionQueryName", FieldType.String) { MinLength = 1, MaxLength = 100, Check = CheckQueryName, Description = "The query parameter carrying the version; required with versioningScheme Query." },
        new("description", FieldType.String),
    ]);

    /// <summary>APIM's API releases (<c>apis/{id}/releases/{releaseId}</c>): creating one makes its revision current.</summary>
    public static readonly ObjectSchema ApiRelease = new("ApiReleaseContractProperties",
    [
        new("apiId", FieldType.String) { Required = true, MinLength = 1, Description = "The revision released: /apis/{apiId};rev={n} (or the ARM id); it becomes the API's current revision. /apis/{apiId} is the current revision itself." },
        new("notes", FieldType.String) { Description = "Release notes." },
        new("createdDateTime", FieldType.String) { ReadOnly = true },
        new("updatedDateTime", FieldType.String) { ReadOnly = true },
    ]);

    /// <summary>What is wrong with a version as a path segment of the Segment scheme; null when it is fine.</summary>
    public static string? SegmentVersionProblem(string version) =>
        version.IndexOfAny(['/', '?', '#', ';', '{', '}', '*', '%', '\\', ' ']) >= 0
            ? $"'{version}' cannot be a path segment (versioningScheme Segment): use a version without '/', '?', '#', ';', '{{', '}}', '*', '%', '\\' or spaces."
            : null;

    private static string? CheckVersionHeaderName(JsonNode value) =>
        CheckHeaderName(value) is null ? null : $"'{value.GetValue<string>()}' is not a valid HTTP header name.";

    private static string? CheckQueryName(JsonNode value) =>
        value.GetValue<string>().Any(c => c <= ' ' || c >= 127 || "&=#?+%".Contains(c)) ? $"'{value.GetValue<string>()}' is not a valid query parameter name." : null;
}
