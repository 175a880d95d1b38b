using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Tollgate.Studio.WebServices;

/// <summary>One entry of an error's <c>details</c>.</summary>
public sealed record StudioErrorDetail(string Code, string Message, string? Target = null);

/// <summary>
/// An error as Azure ML Studio (classic) web services report it (docs/studio-protocol.md §0.5):
/// <c>{"error":{"code","message","details":[{"code","target","message"}]}}</c>, the HTTP status chosen by the top-level code.
/// </summary>
public sealed class StudioError : Exception
{
    private static readonly Dictionary<string, (int Status, string Message)> Classes = new(StringComparer.Ordinal)
    {
        ["BadArgument"] = (400, "Invalid argument provided."),
        ["BadUserArgument"] = (400, "Invalid user argument provided."),
        ["InvalidOperation"] = (400, "The request is invalid in the current context."),
        ["LibraryExecutionError"] = (400, "Module execution encountered an internal library error."),
        ["ModuleExecutionError"] = (400, "Module execution encountered an error."),
        ["Unauthorized"] = (401, "Request is unauthorized to access resource."),
        ["NotFound"] = (404, "Resource not found."),
        ["RequestTimeout"] = (408, "The operation could not be completed within the permitted time."),
        ["Conflict"] = (409, "Resource already exists."),
        ["MemoryQuotaViolation"] = (413, "The model had exceeded the memory quota assigned to it."),
        ["InternalError"] = (500, "Execution encountered an internal error."),
        ["ServiceUnavailable"] = (503, "Service is temporarily unavailable."),
    };

    public StudioError(string code, params StudioErrorDetail[] details)
        : base(Classes[code].Message)
    {
        Code = code;
        Status = Classes[code].Status;
        Details = details;
    }

    /// <summary>The top-level code, e.g. <c>BadArgument</c>.</summary>
    public string Code { get; }

    /// <summary>The HTTP status of the code.</summary>
    public int Status { get; }

    public IReadOnlyList<StudioErrorDetail> Details { get; }

    public static StudioError BadArgument(string detailCode, string message, string? target = null) => new("BadArgument", new StudioErrorDetail(detailCode, message, target));

    public static StudioError BadUserArgument(string detailCode, string message, string? target = null) => new("BadUserArgument", new StudioErrorDetail(detailCode, message, target));

    public static StudioError NotFound(string detailCode, string message) => new("NotFound", new StudioErrorDetail(detailCode, message));

    public static StudioError Unauthorized() => new("Unauthorized", new StudioErrorDetail("ScoreRequestUnauthorized", "Invalid credentials provided."));

    public static StudioError BadVersion(string? version) => BadArgument("BadVersionCall",
        $"Invalid version parameter was passed during the API call: {version}. Check the API help page for passing the correct version and try again.");

    public JsonObject ToJson()
    {
        var details = new JsonArray();
        foreach (var d in Details)
        {
            var item = new JsonObject { ["code"] = d.Code };
            if (d.Target is not null)
            {
                item["target"] = d.Target;
            }

            item["message"] = d.Message;
            details.Add(item);
        }

        return new JsonObject { ["error"] = new JsonObject { ["code"] = Code, ["message"] = Message, ["details"] = details } };
    }

    /// <summary>The error as a response.</summary>
    public IResult ToResult() => Results.Content(ToJson().ToJsonString(), "application/json; charset=utf-8", System.Text.Encoding.UTF8, Status);

    /// <summary>Writes the error to <paramref name="context"/>'s response.</summary>
    public async Task WriteAsync(HttpContext context)
    {
        context.Response.StatusCode = Status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(ToJson().ToJsonString(), context.RequestAborted);
    }
}
