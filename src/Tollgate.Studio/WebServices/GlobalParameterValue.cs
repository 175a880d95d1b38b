using System.Text.Json;

namespace Tollgate.Studio.WebServices;

/// <summary>One <c>GlobalParameters</c> entry of an RRS or BES request, as the scoring graph takes it.</summary>
internal static class GlobalParameterValue
{
    /// <summary>null, a string, a whole number, or "True"/"False"; anything else is <c>UserParameterInvalid</c>.</summary>
    public static object? Read(JsonProperty p) => p.Value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.String => p.Value.GetString(),
        JsonValueKind.Number => p.Value.TryGetInt64(out var l) ? l : p.Value.GetRawText(),
        JsonValueKind.True => "True",
        JsonValueKind.False => "False",
        _ => throw StudioError.BadArgument("UserParameterInvalid", $"Global parameter '{p.Name}' must be a string, number or boolean.", p.Name),
    };
}
