using System.Text.Json.Nodes;
using Tollgate.Core.Resources;

namespace Tollgate.Management.Api;

/// <summary>
/// A management API failure with its ARM/APIM error body:
/// <c>{"error":{"code":"ValidationError","message":"...","details":[{"code":"ValidationError","target":"path","message":"..."}]}}</c>.
/// </summary>
public sealed class ArmException(int statusCode, string code, string message, IReadOnlyList<ValidationError>? details = null) : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    public string Code { get; } = code;

    public IReadOnlyList<ValidationError>? Details { get; } = details;

    public static ArmException Validation(IReadOnlyList<ValidationError> errors) =>
        new(400, "ValidationError", "One or more fields contain incorrect values:", errors);

    public static ArmException Validation(string target, string message) => Validation([new ValidationError(target, message)]);

    public static ArmException NotFound(string what) => new(404, "ResourceNotFound", $"{what} not found.");

    public static ArmException Conflict(string message) => new(409, "Conflict", message);

    public JsonObject ToJson()
    {
        var error = new JsonObject { ["code"] = Code, ["message"] = Message };
        if (Details is { Count: > 0 })
        {
            var details = new JsonArray();
            foreach (var d in Details)
            {
                details.Add(new JsonObject { ["code"] = Code, ["target"] = d.Target, ["message"] = d.Message });
            }

            error["details"] = details;
        }
        else
        {
            error["details"] = null;
        }

        return new JsonObject { ["error"] = error };
    }
}
