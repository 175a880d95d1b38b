using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tollgate.Studio.Data;
using Tollgate.Studio.Experiments;

namespace Tollgate.Studio.WebServices;

/// <summary>
/// Observation points of RRS calls, for tests that must hold a call's concurrency slot without sleeping. Not registered
/// in production.
/// </summary>
public sealed class RequestResponseHooks
{
    /// <summary>Awaited once a call holds its concurrency slot, before it parses and runs: endpoint id, the call's token.</summary>
    public Func<string, CancellationToken, ValueTask>? WhileHoldingSlot { get; set; }

    /// <summary>Called as a call's body arrives: the call, the bytes read so far.</summary>
    public Action<HttpContext, long>? BodyProgress { get; set; }
}

/// <summary>
/// RRS (docs/studio-protocol.md §1): parses the table form (<c>ColumnNames</c> + <c>Values</c>) or the list-of-dicts form
/// (chosen by the body's shape), coerces each value to its input column's type by column name, runs the frozen graph
/// in-process and writes the table form (<c>details=true</c> adds <c>ColumnTypes</c>) or, with <c>format=swagger</c>,
/// rows as objects. Every cell is a string or null.
/// </summary>
public static class RequestResponseService
{
    /// <summary>Parses a request body into one batch per input, and the GlobalParameters.</summary>
    /// <exception cref="StudioError">The body is not valid for the service.</exception>
    public static (Dictionary<string, DataBatch> Inputs, Dictionary<string, object?> GlobalParameters) Parse(ReadOnlyMemory<byte> body, ScoringService service)
    {
        if (body.IsEmpty)
        {
            throw StudioError.BadArgument("RequestIsEmpty", "The request body is empty; it must be a JSON object with Inputs.");
        }

        // The JSON reader does not check the UTF-8 inside strings (reading such a string later throws), so the whole body is checked first.
        if (Utf8Text.FirstInvalidByte(body.Span) is var invalid and >= 0)
        {
            throw StudioError.BadUserArgument("InputParseError", $"Parsing of input vector failed. The request body is not valid UTF-8 text (an invalid byte sequence at byte {invalid + 1}).");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw StudioError.BadArgument("RequestBodyInvalid",
                $"The request body is not valid JSON: {ex.Message.Split(" Path:")[0].TrimEnd('.')} (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw StudioError.BadArgument("RequestBodyInvalid", "The request body must be a JSON object with Inputs.");
            }

            var globalParameters = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (Property(root, "GlobalParameters") is { } gp && gp.ValueKind != JsonValueKind.Null)
            {
                if (gp.ValueKind != JsonValueKind.Object)
                {
                    throw StudioError.BadArgument("RequestBodyInvalid", "GlobalParameters must be an object of parameter name to value.", "GlobalParameters");
                }

                foreach (var p in gp.EnumerateObject())
                {
                    globalParameters[p.Name] = GlobalParameterValue.Read(p);
                }
            }

            var inputs = new Dictionary<string, DataBatch>(StringComparer.Ordinal);
            var given = Property(root, "Inputs");
            if (given is not { ValueKind: JsonValueKind.Object } inputsElement)
            {
                if (service.InputNames.Count == 0 && given is null or { ValueKind: JsonValueKind.Null })
                {
                    return (inputs, globalParameters);
                }

                throw StudioError.BadArgument("MissingRequestInput", $"No input was provided. The request needs Inputs with: {string.Join(", ", service.InputNames)}.");
            }

            var unknown = inputsElement.EnumerateObject().Select(p => p.Name).Where(n => !service.InputNames.Contains(n)).ToArray();
            if (unknown.Length > 0)
            {
                throw StudioError.BadArgument("InvalidInputNames",
                    $"Input name(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))} are not valid. The web service's inputs are: {string.Join(", ", service.InputNames.DefaultIfEmpty("(none)"))}.",
                    unknown[0]);
            }

            foreach (var input in service.Default.Inputs)
            {
                var name = input.PortName!;
                if (!inputsElement.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
                {
                    throw StudioError.BadArgument("MissingRequestInput", $"Input '{name}' was not provided.", name);
                }

                inputs[name] = value.ValueKind switch
                {
                    JsonValueKind.Object => ParseTable(name, value, input.OutputSchema!),
                    JsonValueKind.Array => ParseRecords(name, value, input.OutputSchema!),
                    _ => throw StudioError.BadArgument("RequestBodyInvalid", $"Input '{name}' must be an object with ColumnNames and Values, or an array of row objects.", name),
                };
            }

            return (inputs, globalParameters);
        }
    }

    private static JsonElement? Property(JsonElement obj, string name)
    {
        if (obj.TryGetProperty(name, out var exact))
        {
            return exact;
        }

        foreach (var p in obj.EnumerateObject())
        {
            if (p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return p.Value;
            }
        }

        return null;
    }

    private static DataBatch ParseTable(string input, JsonElement table, DataSchema schema)
    {
        if (Property(table, "ColumnNames") is not { ValueKind: JsonValueKind.Array } namesElement
            || namesElement.EnumerateArray().Any(n => n.ValueKind != JsonValueKind.String))
        {
            throw StudioError.BadUserArgument("InputParseError", $"Input '{input}' needs ColumnNames, an array of column name strings.", input);
        }

        var names = namesElement.EnumerateArray().Select(n => n.GetString()!).ToArray();
        var fieldOf = MapColumns(input, schema, names);
        if (Property(table, "Values") is not { ValueKind: JsonValueKind.Array } values)
        {
            throw StudioError.BadUserArgument("InputParseError", $"Input '{input}' needs Values, an array of rows.", input);
        }

        var builder = new DataBatchBuilder(schema, Math.Max(values.GetArrayLength(), 1));
        var row = 0;
        var cells = new JsonElement[names.Length];
        foreach (var rowElement in values.EnumerateArray())
        {
            if (rowElement.ValueKind != JsonValueKind.Array || rowElement.GetArrayLength() != names.Length)
            {
                throw StudioError.BadUserArgument("InputParseError",
                    $"Parsing of input vector failed. Row {row} of input '{input}' has {(rowElement.ValueKind == JsonValueKind.Array ? rowElement.GetArrayLength() : 0)} values but ColumnNames has {names.Length}.",
                    input);
            }

            var k = 0;
            foreach (var cell in rowElement.EnumerateArray())
            {
                cells[k++] = cell;
            }

            for (var c = 0; c < schema.Count; c++)
            {
                AppendCell(builder.Columns[c], fieldOf[c] < 0 ? null : cells[fieldOf[c]], input, row, schema[c]);
            }

            row++;
        }

        return builder.Build();
    }

    private static DataBatch ParseRecords(string input, JsonElement records, DataSchema schema)
    {
        var builder = new DataBatchBuilder(schema, Math.Max(records.GetArrayLength(), 1));
        var row = 0;
        foreach (var record in records.EnumerateArray())
        {
            if (record.ValueKind != JsonValueKind.Object)
            {
                throw StudioError.BadUserArgument("InputParseError", $"Parsing of input vector failed. Row {row} of input '{input}' is not an object of column name to value.", input);
            }

            for (var c = 0; c < schema.Count; c++)
            {
                JsonElement? cell = record.TryGetProperty(schema[c].Name, out var v) ? v : null;
                AppendCell(builder.Columns[c], cell, input, row, schema[c]);
            }

            row++;
        }

        return builder.Build();
    }

    /// <summary>
    /// The position of each schema column in the request's columns, matched by name (ordinal, then ignoring case).
    /// [I] A schema column missing from the request is <c>InputMismatchError</c>; request columns the service does not
    /// read are ignored.
    /// </summary>
    private static int[] MapColumns(string input, DataSchema schema, string[] names)
    {
        var fieldOf = new int[schema.Count];
        var missing = new List<string>();
        for (var c = 0; c < schema.Count; c++)
        {
            fieldOf[c] = Array.IndexOf(names, schema[c].Name);
            if (fieldOf[c] < 0)
            {
                fieldOf[c] = Array.FindIndex(names, n => n.Equals(schema[c].Name, StringComparison.OrdinalIgnoreCase));
            }

            if (fieldOf[c] < 0)
            {
                missing.Add(schema[c].Name);
            }
        }

        if (missing.Count > 0)
        {
            throw StudioError.BadUserArgument("InputMismatchError",
                $"Input '{input}' is missing column(s) {string.Join(", ", missing.Select(m => $"'{m}'"))}. Expected columns: {string.Join(", ", schema.Names)}.", input);
        }

        return fieldOf;
    }

    private static void AppendCell(DataColumnBuilder column, JsonElement? cell, string input, int row, ColumnSchema schema)
    {
        var ok = cell?.ValueKind switch
        {
            null or JsonValueKind.Null or JsonValueKind.Undefined => Missing(column),
            JsonValueKind.String => schema.Type == ColumnType.String ? AppendString(column, cell.Value.GetString()!) : column.TryAppendText(cell.Value.GetString()),
            JsonValueKind.Number => column.TryAppendText(cell.Value.GetRawText()),
            JsonValueKind.True => column.TryAppendText("True"),
            JsonValueKind.False => column.TryAppendText("False"),
            // [I] An array in a String column is kept as its JSON text: how an ONNX model's tensor input travels.
            JsonValueKind.Array when schema.Type == ColumnType.String => AppendString(column, cell.Value.GetRawText()),
            _ => false,
        };
        if (!ok)
        {
            throw StudioError.BadUserArgument("InputParseError",
                $"Parsing of input vector failed. Row {row}, column '{schema.Name}' of input '{input}': {cell?.GetRawText()} is not a valid {schema.Type} value.", input);
        }

        static bool Missing(DataColumnBuilder column)
        {
            column.AppendMissing();
            return true;
        }

        static bool AppendString(DataColumnBuilder column, string text)
        {
            ((StringColumnBuilder)column).Append(text);
            return true;
        }
    }

    /// <summary>Runs the graph on the request's batches and returns each Web service output's batches by name.</summary>
    /// <exception cref="StudioError"><c>ModuleExecutionError</c> when a module fails on the rows.</exception>
    public static async Task<Dictionary<string, List<DataBatch>>> ExecuteAsync(CompiledGraph graph, ScoringService service,
        Dictionary<string, DataBatch> inputs, Func<Storage.DatasetRecord, IAsyncEnumerable<DataBatch>> readDataset, CancellationToken cancellationToken)
    {
        ScoringService.ThrowIfErrors(graph);
        if (graph.Outputs.FirstOrDefault(o => o.IsModelOutput) is { } model)
        {
            throw new StudioError("InvalidOperation", new StudioErrorDetail("ModelOutputRequiresBatch",
                $"Output '{model.PortName}' returns a trained model: call this training web service through BES (POST …/jobs), whose job writes the model to an .ilearner blob.",
                model.PortName));
        }

        var outputs = graph.Outputs.ToDictionary(o => o.PortName!, _ => new List<DataBatch>(), StringComparer.Ordinal);
        var execution = new GraphExecution(graph)
        {
            OnOutput = (node, _, batch, _) =>
            {
                if (node.Kind == NodeKind.WebServiceOutput)
                {
                    outputs[node.PortName!].Add(batch);
                }

                return ValueTask.CompletedTask;
            },
        };
        await execution.StartAsync(cancellationToken);
        foreach (var source in graph.Sources)
        {
            if (source.Kind == NodeKind.WebServiceInput)
            {
                await execution.PushAsync(source, inputs[source.PortName!], cancellationToken);
                await execution.CompleteAsync(source, cancellationToken);
            }
            else
            {
                await execution.PushAsync(source, readDataset(source.Dataset!), cancellationToken);
            }
        }

        var failure = execution.RuntimeErrors.FirstOrDefault();
        if (failure.Key is not null)
        {
            throw new StudioError("ModuleExecutionError", new StudioErrorDetail("ModuleExecutionError", failure.Value.FullMessage, failure.Key.Module.Definition.Name));
        }

        _ = service;
        return outputs;
    }

    /// <summary>Writes the RRS response body.</summary>
    public static void WriteResults(IBufferWriter<byte> buffer, CompiledGraph graph, Dictionary<string, List<DataBatch>> outputs, bool details, bool swagger, bool omitNamesWithoutDetails)
    {
        using var json = new Utf8JsonWriter(buffer);
        json.WriteStartObject();
        json.WriteStartObject("Results");
        foreach (var output in graph.Outputs)
        {
            var batches = outputs[output.PortName!];
            var schema = batches.FirstOrDefault()?.Schema ?? output.OutputSchema ?? new DataSchema();
            if (swagger)
            {
                json.WriteStartArray(output.PortName!);
                foreach (var batch in batches)
                {
                    for (var r = 0; r < batch.RowCount; r++)
                    {
                        json.WriteStartObject();
                        for (var c = 0; c < schema.Count; c++)
                        {
                            json.WritePropertyName(schema[c].Name);
                            WriteCell(json, batch[c], r);
                        }

                        json.WriteEndObject();
                    }
                }

                json.WriteEndArray();
                continue;
            }

            json.WriteStartObject(output.PortName!);
            json.WriteString("type", "table");
            json.WriteStartObject("value");
            if (details || !omitNamesWithoutDetails)
            {
                json.WriteStartArray("ColumnNames");
                foreach (var column in schema)
                {
                    json.WriteStringValue(column.Name);
                }

                json.WriteEndArray();
            }

            if (details)
            {
                json.WriteStartArray("ColumnTypes");
                foreach (var column in schema)
                {
                    json.WriteStringValue(column.Type.ToString());
                }

                json.WriteEndArray();
            }

            json.WriteStartArray("Values");
            foreach (var batch in batches)
            {
                for (var r = 0; r < batch.RowCount; r++)
                {
                    json.WriteStartArray();
                    for (var c = 0; c < schema.Count; c++)
                    {
                        WriteCell(json, batch[c], r);
                    }

                    json.WriteEndArray();
                }
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteCell(Utf8JsonWriter json, DataColumn column, int row)
    {
        int? number = column switch
        {
            SparseInt32Column sparse => sparse[row],
            ValueColumn<int> ints when !ints.IsMissing(row) => ints.Values[row],
            _ => null,
        };
        if (number is { } value)
        {
            Span<byte> digits = stackalloc byte[16];
            System.Buffers.Text.Utf8Formatter.TryFormat(value, digits, out var n);
            json.WriteStringValue(digits[..n]);
            return;
        }

        var text = column.GetText(row);
        if (text is null)
        {
            json.WriteNullValue();
        }
        else
        {
            json.WriteStringValue(text);
        }
    }
}
