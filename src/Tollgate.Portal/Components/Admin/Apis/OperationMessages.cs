using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tollgate.Portal.Components.Admin.Apis;

/// <summary>A query parameter or header of a request, as one row of the operation form.</summary>
public sealed record ParameterRow(string Name, string Type, bool Required, string DefaultValue, string Description);

/// <summary>A representation (content type and its example) of a request or a response, as one row of the form.</summary>
public sealed record RepresentationRow(string ContentType, string Example);

/// <summary>One row of the responses table: a status code, its description, and one representation (or none).</summary>
public sealed record ResponseRow(string StatusCode, string Description, string ContentType, string Example);

/// <summary>
/// The request and responses of an operation as the form edits them — query parameters, headers, representations with
/// examples, responses — and back to APIM's <c>request</c> and <c>responses</c>. What the form does not show (schemas,
/// type names, form parameters, parameter values, named examples other than <c>default</c>, response headers) is kept
/// from the stored operation, matched by parameter name, content type and status code: saving never loses it.
/// </summary>
public sealed class OperationMessages
{
    private const string DefaultExample = "default";

    public List<ParameterRow> QueryParameters { get; init; } = [];

    public List<ParameterRow> Headers { get; init; } = [];

    public List<RepresentationRow> RequestRepresentations { get; init; } = [];

    public List<ResponseRow> Responses { get; init; } = [];

    public string RequestDescription { get; init; } = "";

    /// <summary>The rows of a stored operation (a new one: a 200 response).</summary>
    public static OperationMessages From(JsonObject? properties)
    {
        if (properties is null)
        {
            return new OperationMessages { Responses = [new ResponseRow("200", "OK", "", "")] };
        }

        var request = properties["request"] as JsonObject;
        var responses = new List<ResponseRow>();
        foreach (var response in (properties["responses"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var status = response["statusCode"]?.ToString() ?? "";
            var description = (string?)response["description"] ?? "";
            var representations = (response["representations"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            if (representations.Count == 0)
            {
                responses.Add(new ResponseRow(status, description, "", ""));
            }

            responses.AddRange(representations.Select(r => new ResponseRow(status, description, (string?)r["contentType"] ?? "", ExampleText(r))));
        }

        return new OperationMessages
        {
            RequestDescription = (string?)request?["description"] ?? "",
            QueryParameters = ParametersOf(request?["queryParameters"] as JsonArray),
            Headers = ParametersOf(request?["headers"] as JsonArray),
            RequestRepresentations = (request?["representations"] as JsonArray ?? []).OfType<JsonObject>()
                .Select(r => new RepresentationRow((string?)r["contentType"] ?? "", ExampleText(r))).ToList(),
            Responses = responses,
        };
    }

    /// <summary>The rows as posted: parallel fields per table (<c>q-name</c>, <c>q-type</c>, …); rows without a name, content type or status are dropped.</summary>
    public static OperationMessages FromPosted(Func<string, IReadOnlyList<string>> posted)
    {
        static string At(IReadOnlyList<string> values, int i) => i < values.Count ? values[i] : "";

        List<ParameterRow> Parameters(string prefix)
        {
            var names = posted(prefix + "-name");
            var (types, required, defaults, descriptions) = (posted(prefix + "-type"), posted(prefix + "-required"), posted(prefix + "-default"), posted(prefix + "-description"));
            return names.Select((n, i) => new ParameterRow(n.Trim(), At(types, i) is { Length: > 0 } t ? t : "string", At(required, i) == "true", At(defaults, i), At(descriptions, i)))
                .Where(p => p.Name.Length > 0).ToList();
        }

        var requestTypes = posted("rq-type");
        var requestExamples = posted("rq-example");
        var statuses = posted("rs-status");
        var (descriptions, types, examples) = (posted("rs-description"), posted("rs-type"), posted("rs-example"));
        return new OperationMessages
        {
            RequestDescription = posted("rq-description").FirstOrDefault() ?? "",
            QueryParameters = Parameters("q"),
            Headers = Parameters("h"),
            RequestRepresentations = requestTypes.Select((t, i) => new RepresentationRow(t.Trim(), At(requestExamples, i))).Where(r => r.ContentType.Length > 0).ToList(),
            Responses = statuses.Select((s, i) => new ResponseRow(s.Trim(), At(descriptions, i), At(types, i).Trim(), At(examples, i))).Where(r => r.StatusCode.Length > 0).ToList(),
        };
    }

    /// <summary>Sets <c>request</c> and <c>responses</c> of <paramref name="properties"/> from the rows, keeping what the form does not show from <paramref name="stored"/>.</summary>
    public void ApplyTo(JsonObject properties, JsonObject? stored)
    {
        var storedRequest = stored?["request"] as JsonObject;
        var request = storedRequest?.DeepClone() as JsonObject ?? [];
        request["description"] = RequestDescription;
        request["queryParameters"] = Parameters(QueryParameters, storedRequest?["queryParameters"] as JsonArray);
        request["headers"] = Parameters(Headers, storedRequest?["headers"] as JsonArray);
        request["representations"] = Representations(RequestRepresentations, storedRequest?["representations"] as JsonArray);
        properties["request"] = request;

        var storedResponses = (stored?["responses"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var responses = new JsonArray();
        foreach (var group in Responses.GroupBy(r => r.StatusCode, StringComparer.Ordinal))
        {
            var previous = storedResponses.FirstOrDefault(r => r["statusCode"]?.ToString() == group.Key);
            var response = previous?.DeepClone() as JsonObject ?? new JsonObject { ["headers"] = new JsonArray() };
            // A status that is not a number goes to management as typed: its message names the field.
            response["statusCode"] = int.TryParse(group.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : group.Key;
            response["description"] = group.First().Description is { Length: > 0 } d ? d : ReasonPhrase(code);
            response["representations"] = Representations(
                group.Where(r => r.ContentType.Length > 0).Select(r => new RepresentationRow(r.ContentType, r.Example)).ToList(),
                previous?["representations"] as JsonArray);
            responses.Add(response);
        }

        properties["responses"] = responses;
    }

    private static JsonArray Parameters(IEnumerable<ParameterRow> rows, JsonArray? stored)
    {
        var result = new JsonArray();
        foreach (var row in rows)
        {
            var previous = (stored ?? []).OfType<JsonObject>().FirstOrDefault(p => string.Equals((string?)p["name"], row.Name, StringComparison.Ordinal));
            var parameter = previous?.DeepClone() as JsonObject ?? new JsonObject { ["values"] = new JsonArray() };
            parameter["name"] = row.Name;
            parameter["type"] = row.Type;
            parameter["required"] = row.Required;
            parameter["description"] = row.Description;
            if (row.DefaultValue.Length > 0)
            {
                parameter["defaultValue"] = row.DefaultValue;
            }
            else
            {
                parameter.Remove("defaultValue");
            }

            result.Add(parameter);
        }

        return result;
    }

    private static JsonArray Representations(IEnumerable<RepresentationRow> rows, JsonArray? stored)
    {
        var result = new JsonArray();
        foreach (var row in rows)
        {
            var previous = (stored ?? []).OfType<JsonObject>().FirstOrDefault(r => string.Equals((string?)r["contentType"], row.ContentType, StringComparison.OrdinalIgnoreCase));
            var representation = previous?.DeepClone() as JsonObject ?? [];
            representation["contentType"] = row.ContentType;
            representation.Remove("sample");
            var examples = representation["examples"] as JsonObject ?? [];
            if (row.Example.Trim().Length > 0)
            {
                var example = examples[DefaultExample] as JsonObject ?? [];
                example["value"] = ExampleValue(row.ContentType, row.Example);
                examples[DefaultExample] = example;
            }
            else
            {
                examples.Remove(DefaultExample);
            }

            if (examples.Count > 0)
            {
                representation["examples"] = examples;
            }
            else
            {
                representation.Remove("examples");
            }

            result.Add(representation);
        }

        return result;
    }

    private static List<ParameterRow> ParametersOf(JsonArray? parameters) => (parameters ?? []).OfType<JsonObject>()
        .Select(p => new ParameterRow((string?)p["name"] ?? "", (string?)p["type"] ?? "string", p["required"] is JsonValue r && r.TryGetValue<bool>(out var b) && b,
            (string?)p["defaultValue"] ?? "", (string?)p["description"] ?? ""))
        .ToList();

    /// <summary>The example the form shows: the <c>default</c> one (else the first, else the older <c>sample</c>), JSON indented.</summary>
    private static string ExampleText(JsonObject representation)
    {
        var examples = representation["examples"] as JsonObject;
        var value = (examples?[DefaultExample] ?? examples?.FirstOrDefault().Value)?["value"] ?? representation["sample"];
        return value switch
        {
            null => "",
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            _ => value.ToJsonString(new JsonSerializerOptions { WriteIndented = true }),
        };
    }

    /// <summary>An example as stored: JSON for a JSON content type when the text is JSON, the text otherwise.</summary>
    private static JsonNode? ExampleValue(string contentType, string text)
    {
        if (contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }) ?? JsonValue.Create(text);
            }
            catch (JsonException)
            {
                // Not JSON: kept as the text it is.
            }
        }

        return JsonValue.Create(text);
    }

    private static string ReasonPhrase(int code) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(code) is { Length: > 0 } phrase ? phrase : "";
}
