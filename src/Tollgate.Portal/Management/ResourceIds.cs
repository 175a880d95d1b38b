using System.Text.Json.Nodes;

namespace Tollgate.Portal.Management;

/// <summary>Ids for new resources, and the small readings of ARM ids the pages share.</summary>
public static class ResourceIds
{
    /// <summary>
    /// A free id in <paramref name="collection"/> (<c>/products</c>): <paramref name="baseId"/>, or with a number added
    /// while it is taken (a PUT on a taken id would replace that resource). <paramref name="field"/> is named when none is free.
    /// </summary>
    public static async Task<(string? Id, ManagementError? Error)> FreeAsync(ManagementApi management, string instance, string collection, string baseId, string field, CancellationToken ct)
    {
        for (var n = 1; n < 100; n++)
        {
            var id = n == 1 ? baseId : $"{baseId}-{n}";
            var existing = await management.GetAsync(instance, $"{collection}/{Uri.EscapeDataString(id)}", ct);
            if (existing.Error is { Status: 404 })
            {
                return (id, null);
            }

            if (!existing.Ok)
            {
                return (null, existing.Error);
            }
        }

        return (null, new ManagementError(409, "Conflict", "", [new ErrorDetail(field, "Too many resources have this name; choose another.")]));
    }

    /// <summary>The part of an ARM id after the instance (<c>…/service/x/products/starter</c> → <c>/products/starter</c>; the service itself → <c>/</c>).</summary>
    public static string Relative(string? armId)
    {
        if (string.IsNullOrEmpty(armId))
        {
            return "";
        }

        var marker = "/providers/Microsoft.ApiManagement/service/";
        var at = armId.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            return armId;
        }

        var rest = armId[(at + marker.Length)..];
        var slash = rest.IndexOf('/');
        return slash < 0 ? "/" : rest[slash..];
    }

    /// <summary>The last segment of an id (<c>/users/alice</c> → <c>alice</c>).</summary>
    public static string Last(string? id) => (id ?? "").TrimEnd('/').Split('/').LastOrDefault() ?? "";

    /// <summary>A quoted OData string literal.</summary>
    public static string Quote(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    public static string Text(JsonObject item, string property) => (string?)item["properties"]?[property] ?? "";
}
