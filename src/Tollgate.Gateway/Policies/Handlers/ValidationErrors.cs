using System.Globalization;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using Tollgate.Core.Gateway;
using Tollgate.Gateway.Policies.Runtime;
using Tollgate.ServiceDefaults;

namespace Tollgate.Gateway.Policies.Handlers;

/// <summary>One finding of a validation policy, in APIM's shape, with what the client is told if it is prevented.</summary>
/// <param name="Name">APIM's <c>Name</c>: the parameter, header, content type or status code concerned (empty when none).</param>
/// <param name="Type">APIM's <c>Type</c>: <c>QueryParameter</c>, <c>PathParameter</c>, <c>RequestHeader</c>, <c>ResponseHeader</c>, <c>RequestBody</c>, <c>ResponseBody</c>, <c>ApiSchema</c>, <c>StatusCode</c>.</param>
/// <param name="Rule">APIM's <c>ValidationRule</c>: <c>Unspecified</c>, <c>IncorrectMessage</c>, <c>SizeLimit</c>, <c>MissingDefinition</c>, <c>ValidationException</c> (empty for <c>ApiSchema</c>).</param>
/// <param name="Details">What went wrong, for the errors variable, LastError and the log.</param>
/// <param name="PublicMessage">What the client is told for a prevented request (a response's problems are never told).</param>
internal sealed record ValidationFinding(string Name, string Type, string Rule, string Details, string PublicMessage);

/// <summary>
/// What the validation policies (<c>validate-content</c>, <c>validate-parameters</c>, <c>validate-headers</c>,
/// <c>validate-status-code</c>) share: the <c>errors-variable-name</c> list, the gateway log, and APIM's answer to a
/// prevented message: 400 (413 for a request body over <c>max-size</c>) with the public message for a request, 502 with
/// <see cref="InternalError"/> for a response; LastError Reason <c>Bad request</c> or <c>Response not allowed</c>.
/// </summary>
internal static partial class ValidationErrors
{
    /// <summary>What the client is told for every problem that would leak the API's internals.</summary>
    public const string InternalError = "The request could not be processed due to an internal error. Contact the API owner.";

    /// <summary>
    /// Records each finding with its action (detect, prevent) and, when one is prevented, answers for it: the first
    /// prevented finding decides the status and message. Returns Continue when nothing was prevented.
    /// </summary>
    public static ValueTask<PolicyStep> Report(PolicyContext context, PolicyLocation at, string? variable, List<(ValidationFinding Finding, string Action)>? findings, int preventedStatus = 0)
    {
        if (findings is null || findings.Count == 0)
        {
            return ValueTask.FromResult(PolicyStep.Continue);
        }

        JArray? errors = null;
        if (variable is not null)
        {
            errors = context.Variables.TryGetValue(variable, out var existing) && existing is JArray list ? list : new JArray();
            context.SetVariable(variable, errors);
        }

        ValidationFinding? prevented = null;
        foreach (var (finding, action) in findings)
        {
            errors?.Add(new JObject
            {
                ["Name"] = finding.Name,
                ["Type"] = finding.Type,
                ["ValidationRule"] = finding.Rule,
                ["Details"] = finding.Details,
                ["Action"] = action,
            });
            if (context.Runtime.Services?.Logger is { } logger)
            {
                Log.Finding(logger, context.Http.TraceIdentifier, at.Name, action, finding.Type, finding.Details);
            }

            if (action == "prevent")
            {
                prevented ??= finding;
            }
        }

        if (prevented is null)
        {
            return ValueTask.FromResult(PolicyStep.Continue);
        }

        var request = at.Section is "inbound" or "backend";
        context.SetErrorResponse(request ? (preventedStatus == 0 ? 400 : preventedStatus) : 502, request ? prevented.PublicMessage : InternalError);
        context.Fail(PolicyFailure.From(at, request ? "Bad request" : "Response not allowed", prevented.Details));
        return ValueTask.FromResult(PolicyStep.Error);
    }

    /// <summary>The action an expression or literal gives, trimmed; anything but detect or prevent is ignore.</summary>
    public static string Action(PolicyValue? value, PolicyContext context) => value?.GetString(context)?.Trim() switch
    {
        "detect" => "detect",
        "prevent" => "prevent",
        _ => "ignore",
    };

    /// <summary>
    /// Checks one value against a declared parameter: its type (integer, number, boolean; others are text) and its
    /// allowed values. Returns null when it conforms, else the details and the public message.
    /// </summary>
    public static (string Details, string Public)? CheckValue(GatewayParameter declared, string value, string what)
    {
        var type = declared.Type.ToLowerInvariant();
        var parses = type switch
        {
            "integer" or "int" or "int32" or "int64" or "long" => long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            "number" or "double" or "float" or "decimal" => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d),
            "boolean" or "bool" => bool.TryParse(value, out _),
            _ => true,
        };
        if (!parses)
        {
            var problem = $"'{Shorten(value)}' is not a valid {type}.";
            return ($"Value of the {what} {declared.Name} cannot be parsed according to the definition. {problem}",
                $"Value of the {what} {declared.Name} couldn't be parsed according to the definition. {problem}");
        }

        if (declared.Values.Count > 0 && !declared.Values.Contains(value, StringComparer.Ordinal))
        {
            var problem = $"Value '{Shorten(value)}' is not one of {string.Join(", ", declared.Values.Select(v => $"'{v}'"))}.";
            return ($"Value of the {what} {declared.Name} does not conform to the definition. {problem}",
                $"The value of the {what} {declared.Name} does not conform to the definition. {problem}");
        }

        return null;
    }

    /// <summary>A client's value as quoted in a message: at most 100 characters.</summary>
    public static string Shorten(string value) => value.Length <= 100 ? value : value[..100] + "…";

    /// <summary>Whether a declared parameter of this type takes several values (arrays).</summary>
    public static bool IsArray(GatewayParameter declared) => string.Equals(declared.Type, "array", StringComparison.OrdinalIgnoreCase);

    private static partial class Log
    {
        [LoggerMessage(EventIds.ValidationFinding, LogLevel.Information, "Request {RequestId}: {Policy} ({Action}) {Type}: {Details}")]
        public static partial void Finding(ILogger logger, string requestId, string policy, string action, string type, string details);
    }
}
