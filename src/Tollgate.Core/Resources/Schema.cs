using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tollgate.Core.Resources;

/// <summary>One problem with a request body, naming the field (<c>properties.urlTemplate</c>) it concerns.</summary>
public sealed record ValidationError(string Target, string Message);

/// <summary>The JSON type of a field in a resource's <c>properties</c>.</summary>
public enum FieldType
{
    String,
    Boolean,
    Integer,
    Number,
    StringArray,
    Object,
    ObjectArray,
    /// <summary>Any JSON value (examples, free-form objects).</summary>
    Any,
}

/// <summary>
/// A field of a resource contract: its type, whether it is required, its limits and default.
/// One definition drives request validation, defaults, secrets hiding and the OpenAPI document.
/// </summary>
public sealed record FieldSchema(string Name, FieldType Type)
{
    public bool Required { get; init; }

    public int? MaxLength { get; init; }

    public int? MinLength { get; init; }

    public long? Minimum { get; init; }

    public long? Maximum { get; init; }

    /// <summary>Allowed string values (compared case-insensitively, stored in the listed casing).</summary>
    public IReadOnlyList<string>? Values { get; init; }

    /// <summary>Value stored when a create request leaves the field out.</summary>
    public Func<JsonNode?>? Default { get; init; }

    /// <summary>Set by the server; ignored on input.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>A secret: accepted on input, never returned by GET.</summary>
    public bool Secret { get; init; }

    /// <summary>The shape of an <see cref="FieldType.Object"/> or of each element of an <see cref="FieldType.ObjectArray"/>.</summary>
    public ObjectSchema? Schema { get; init; }

    /// <summary>Extra check of a value that has the right JSON type; returns a message or null.</summary>
    public Func<JsonNode, string?>? Check { get; init; }

    public string? Description { get; init; }
}

/// <summary>An object shape: a list of fields.</summary>
public sealed record ObjectSchema(string Name, IReadOnlyList<FieldSchema> Fields)
{
    public FieldSchema? Find(string name) =>
        Fields.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>Validates JSON against an <see cref="ObjectSchema"/>, collecting every error instead of stopping at the first.</summary>
public static class SchemaValidator
{
    /// <summary>
    /// Returns the normalized object: known fields only, values type-checked, enum casing normalized,
    /// defaults applied when <paramref name="applyDefaults"/> is set. Errors go to <paramref name="errors"/>.
    /// </summary>
    public static JsonObject Validate(JsonObject input, ObjectSchema schema, string path, List<ValidationError> errors, bool applyDefaults)
    {
        var result = new JsonObject();
        foreach (var field in schema.Fields)
        {
            var target = path.Length == 0 ? field.Name : $"{path}.{field.Name}";
            var present = TryGetCaseInsensitive(input, field.Name, out var value);
            if (field.ReadOnly)
            {
                continue;
            }

            if (!present || value is null)
            {
                if (field.Required)
                {
                    errors.Add(new ValidationError(target, $"'{field.Name}' is required."));
                }
                else if (applyDefaults && field.Default is not null)
                {
                    result[field.Name] = field.Default();
                }
                else if (present)
                {
                    result[field.Name] = null;
                }

                continue;
            }

            var normalized = ValidateValue(value, field, target, errors);
            if (normalized is not null)
            {
                result[field.Name] = normalized;
            }
        }

        return result;
    }

    private static JsonNode? ValidateValue(JsonNode value, FieldSchema field, string target, List<ValidationError> errors)
    {
        var before = errors.Count;
        JsonNode? normalized = null;
        switch (field.Type)
        {
            case FieldType.String:
                if (value.GetValueKind() != JsonValueKind.String)
                {
                    errors.Add(new ValidationError(target, $"'{field.Name}' must be a string."));
                    return null;
                }

                var s = value.GetValue<string>();
                if (field.Values is not null)
                {
                    var match = field.Values.FirstOrDefault(v => string.Equals(v, s, StringComparison.OrdinalIgnoreCase));
                    if (match is null)
                    {
                        errors.Add(new ValidationError(target, $"'{field.Name}' must be one of: {string.Join(", ", field.Values)}."));
                        return null;
                    }

                    s = match;
                }

                if (field.MaxLength is { } max && s.Length > max)
                {
                    errors.Add(new ValidationError(target, $"'{field.Name}' must be at most {max} characters long."));
                }

                if (field.MinLength is { } min && s.Length < min)
                {
                    errors.Add(new ValidationError(target, min == 1 ? $"'{field.Name}' must not be empty." : $"'{field.Name}' must be at least {min} characters long."));
                }

                normalized = JsonValue.Create(s);
                break;
            case FieldType.Boolean:
                if (value.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                {
                    errors.Add(new ValidationError(target, $"'{field.Name}' must be a boolean (true or false)."));
                    return null;
                }

                normalized = JsonValue.Create(value.GetValue<bool>());
                break;
            case FieldType.Integer:
                // Parse the number's text: values built in memory (JsonValue.Create(200)) are not backed by a long.
                if (value.GetValueKind() != JsonValueKind.Number || !long.TryParse(value.ToJsonString(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n))
                {
                    errors.Add(new ValidationError(target, $"'{field.Name}' must be an integer."));
                    return null;
                }

                if ((field.Minimum is { } lo && n < lo) || (field.Maximum is { } hi && n > hi))
                {
                    errors.Add(new ValidationError(target, $"'{field.Name}' must be between {field.Minimum?.ToString() ?? "-∞"} and {field.Maximum?.ToString() ?? "∞"}."));
                }

                normalized = JsonValue.Create(n);
                break;
            case FieldType.Number:
                if (value.GetValueKind() != JsonValueKind.Number)
                {
                    errors.Add(new ValidationError(target, $"'{field.Name}' must be a number."));
                    return null;
                }

                normalized = value.DeepClone();
                break;
            case FieldType.StringArray:
                if (value is not JsonArray sa)
                {
                    errors.Add(new ValidationError(target, $"'{field.Name}' must be an array of strings."));
                    return null;
                }

                var outArray = new JsonArray();
                for (var i = 0; i < sa.Count; i++)
                {
                    var item = sa[i];
                    if (item is null || item.GetValueKind() != JsonValueKind.String)
                    {
                        errors.Add(new ValidationError($"{target}[{i}]", $"'{field.Name}' must contain only strings."));
                        continue;
                    }

                    var str = item.GetValue<string>();
                    if (field.Values is not null)
                    {
                        var match = field.Values.FirstOrDefault(v => string.Equals(v, str, StringComparison.OrdinalIgnoreCase));
                        if (match is null)
                        {
                            errors.Add(new ValidationError($"{target}[{i}]", $"'{str}' is not allowed; use one of: {string.Join(", ", field.Values)}."));
                            continue;
                        }

                        str = match;
                    }

                    outArray.Add(str);
                }

                normalized = outArray;
                break;
            case FieldType.Object:
                if (value is not JsonObject obj)
                {
                    errors.Add(new ValidationError(target, $"'{field.Name}' must be an object."));
                    return null;
                }

                normalized = field.Schema is null ? obj.DeepClone() : Validate(obj, field.Schema, target, errors, applyDefaults: true);
                break;
            case FieldType.ObjectArray:
                if (value is not JsonArray oa)
                {
                    errors.Add(new ValidationError(target, $"'{field.Name}' must be an array of objects."));
                    return null;
                }

                var list = new JsonArray();
                for (var i = 0; i < oa.Count; i++)
                {
                    if (oa[i] is not JsonObject element)
                    {
                        errors.Add(new ValidationError($"{target}[{i}]", $"'{field.Name}' must contain only objects."));
                        continue;
                    }

                    list.Add(field.Schema is null ? element.DeepClone() : Validate(element, field.Schema, $"{target}[{i}]", errors, applyDefaults: true));
                }

                normalized = list;
                break;
            case FieldType.Any:
                normalized = value.DeepClone();
                break;
        }

        if (errors.Count == before && field.Check is not null && normalized is not null && field.Check(normalized) is { } problem)
        {
            errors.Add(new ValidationError(target, problem));
        }

        return errors.Count == before ? normalized : null;
    }

    private static bool TryGetCaseInsensitive(JsonObject obj, string name, out JsonNode? value)
    {
        if (obj.TryGetPropertyValue(name, out value))
        {
            return true;
        }

        foreach (var (key, v) in obj)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                value = v;
                return true;
            }
        }

        value = null;
        return false;
    }
}
