using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tollgate.Studio.Data;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.Tables;

namespace Tollgate.Studio.Learning;

/// <summary>One tensor input or output of an ONNX model, as its metadata describes it.</summary>
/// <param name="Name">The name in the graph; inputs are matched to columns by it, outputs become columns of it.</param>
/// <param name="ElementType">The tensor's element type.</param>
/// <param name="Dimensions">The shape; -1 for a dynamic (symbolic) dimension.</param>
public sealed record OnnxTensorInfo(string Name, TensorElementType ElementType, IReadOnlyList<int> Dimensions)
{
    /// <summary>A first dimension that is dynamic is the batch: one row per index. Otherwise each row is a whole tensor.</summary>
    public bool Batched => Dimensions.Count > 0 && Dimensions[0] < 0;

    /// <summary>The shape of one row's value: the dimensions without the batch.</summary>
    public IReadOnlyList<int> ItemShape => Batched ? Dimensions.Skip(1).ToArray() : Dimensions;

    /// <summary>Whether a row's value is one element (no dimension but the batch, or every other dimension 1): a plain cell.</summary>
    public bool IsScalar => ItemShape.All(d => d == 1);

    /// <summary>Whether a row's value has a known, fixed shape.</summary>
    public bool IsFixed => ItemShape.All(d => d >= 0);

    /// <summary>e.g. <c>float[N,3]</c>.</summary>
    public string Describe() =>
        $"{OnnxModel.TypeName(ElementType)}[{string.Join(",", Dimensions.Select((d, i) => d >= 0 ? d.ToString(CultureInfo.InvariantCulture) : i == 0 ? "N" : "?"))}]";
}

/// <summary>
/// An imported ONNX model, scored with ONNX Runtime. Each tensor input is fed by the dataset column of its name (exact,
/// then ignoring case); each tensor output becomes a column of its name.
/// </summary>
/// <remarks>
/// <para>A dynamic first dimension is the batch: row <c>i</c> is index <c>i</c>. A row's value (the rest of the shape) is a
/// plain cell when it has one element (shape <c>[N]</c>, <c>[N,1]</c>, <c>[]</c>, <c>[1]</c>); otherwise it is a JSON
/// array in a String cell, nested as the shape (<c>[[1,2],[3,4]]</c>) or flat in row-major order when the shape is fixed
/// (<c>[1,2,3,4]</c>). An input without a dynamic first dimension takes a whole tensor from each row, and the model runs
/// once per row. Outputs are written the same way: a one-element value as a Double / Int32 / Int64 / Boolean / String
/// cell, anything larger as a nested JSON array in a String cell.</para>
/// <para>Element types: float, double, int8/16/32/64, uint8/16/32/64, bool and string. Inputs that are not tensors (or of
/// another element type) make the model unusable (Error 0039 at import); outputs that are not tensors are left out.</para>
/// </remarks>
public sealed class OnnxModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string[] _outputNames;

    private OnnxModel(InferenceSession session, IReadOnlyList<OnnxTensorInfo> inputs, IReadOnlyList<OnnxTensorInfo> outputs)
    {
        _session = session;
        Inputs = inputs;
        Outputs = outputs;
        _outputNames = outputs.Select(o => o.Name).ToArray();
    }

    /// <summary>The tensor inputs, in graph order.</summary>
    public IReadOnlyList<OnnxTensorInfo> Inputs { get; }

    /// <summary>The tensor outputs that become columns, in graph order.</summary>
    public IReadOnlyList<OnnxTensorInfo> Outputs { get; }

    /// <summary>Loads a model from a file.</summary>
    /// <exception cref="StudioModuleException">Error 0082 when the file is not an ONNX model ONNX Runtime can load; Error 0039 when its inputs cannot be fed from columns.</exception>
    public static OnnxModel Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Create(options => new InferenceSession(path, options), path);
    }

    /// <summary>Loads a model from its bytes.</summary>
    /// <exception cref="StudioModuleException">As <see cref="Load(string)"/>.</exception>
    public static OnnxModel Load(byte[] model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Create(options => new InferenceSession(model, options), null);
    }

    private static OnnxModel Create(Func<SessionOptions, InferenceSession> open, string? path)
    {
        InferenceSession session;
        using (var options = new SessionOptions
        {
            // One thread per call: concurrent RRS calls and BES jobs are the parallelism; the runtime's own logging stays
            // quiet (its failures become module errors).
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL,
        })
        {
            try
            {
                session = open(options);
            }
            catch (Exception ex) when (ex is OnnxRuntimeException or InvalidOperationException or ArgumentException or FormatException or IOException)
            {
                // ONNX Runtime names the file it loaded; where Studio keeps its files is no business of the client's.
                var message = FirstLine(ex.Message);
                if (path is not null)
                {
                    message = message.Replace("Load model from " + path + " failed:", "", StringComparison.Ordinal).Replace(path, "the file", StringComparison.Ordinal).Trim();
                }

                throw new StudioModuleException(ModuleErrors.ModelDeserialization("the file is not an ONNX model ONNX Runtime can load: " + message));
            }
        }

        try
        {
            var inputs = new List<OnnxTensorInfo>();
            foreach (var name in session.InputNames)
            {
                var meta = session.InputMetadata[name];
                if (!meta.IsTensor || !IsSupported(meta.ElementDataType))
                {
                    throw new StudioModuleException(ModuleErrors.OperationNotSupported(
                        $"The ONNX model's input \"{name}\" is {(meta.IsTensor ? "a tensor of " + meta.ElementDataType : meta.OnnxValueType.ToString())}; Score Model feeds tensors of float, double, integers, bool and string from columns."));
                }

                inputs.Add(new OnnxTensorInfo(name, meta.ElementDataType, meta.Dimensions.ToArray()));
            }

            var outputs = session.OutputNames
                .Select(name => (name, meta: session.OutputMetadata[name]))
                .Where(o => o.meta.IsTensor && IsSupported(o.meta.ElementDataType))
                .Select(o => new OnnxTensorInfo(o.name, o.meta.ElementDataType, o.meta.Dimensions.ToArray()))
                .ToArray();
            if (outputs.Length == 0)
            {
                throw new StudioModuleException(ModuleErrors.OperationNotSupported("The ONNX model has no tensor output of a supported type (float, double, integers, bool, string) to score."));
            }

            return new OnnxModel(session, inputs, outputs);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The column type an output becomes.</summary>
    public static ColumnType OutputColumnType(OnnxTensorInfo output)
    {
        ArgumentNullException.ThrowIfNull(output);
        return !output.IsScalar ? ColumnType.String : output.ElementType switch
        {
            TensorElementType.Float or TensorElementType.Double => ColumnType.Double,
            TensorElementType.Int8 or TensorElementType.UInt8 or TensorElementType.Int16 or TensorElementType.UInt16 or TensorElementType.Int32 => ColumnType.Int32,
            TensorElementType.Int64 or TensorElementType.UInt32 or TensorElementType.UInt64 => ColumnType.Int64,
            TensorElementType.Bool => ColumnType.Boolean,
            _ => ColumnType.String,
        };
    }

    /// <summary>
    /// Scores <paramref name="table"/>: the model's outputs appended as columns (without <paramref name="append"/>, only
    /// them).
    /// </summary>
    /// <exception cref="StudioModuleException">
    /// Error 0001 naming the inputs no column matches; 0017 for a column whose type cannot feed its input; 0018 for a cell
    /// that is not a value of the input's shape; 1000 when ONNX Runtime fails.
    /// </exception>
    public DataTable Score(DataTable table, bool append = true)
    {
        ArgumentNullException.ThrowIfNull(table);
        var columns = Bind(table.Schema);
        var rows = table.RowCount;
        var values = new object?[Outputs.Count][];
        for (var o = 0; o < values.Length; o++)
        {
            values[o] = new object?[rows];
        }

        if (rows > 0)
        {
            // One run for the whole table when every input and output is batched with fixed item shapes; else one per row.
            if (Inputs.All(i => i.Batched && i.IsFixed) && Outputs.All(o => o.Batched))
            {
                Run(table, columns, 0, rows, values);
            }
            else
            {
                for (var r = 0; r < rows; r++)
                {
                    Run(table, columns, r, 1, values);
                }
            }
        }

        var output = append ? table.ToColumnList() : [];
        var taken = new HashSet<string>(output.Select(c => c.Schema.Name), StringComparer.Ordinal);
        for (var o = 0; o < Outputs.Count; o++)
        {
            var type = OutputColumnType(Outputs[o]);
            var builder = DataColumnBuilder.Create(type, rows);
            foreach (var value in values[o])
            {
                builder.AppendValue(value);
            }

            var unique = Outputs[o].Name;
            for (var n = 2; taken.Contains(unique); n++)
            {
                unique = $"{Outputs[o].Name} ({n})";
            }

            taken.Add(unique);
            output.Add((new ColumnSchema(unique, type), builder.Build(), ColumnMetadata.Default));
        }

        return DataTable.Create(output);
    }

    /// <summary>The column of each input (Error 0001 naming every input without one, 0017 for a column of the wrong type).</summary>
    private int[] Bind(DataSchema schema)
    {
        var indices = new int[Inputs.Count];
        var missing = new List<string>();
        for (var i = 0; i < Inputs.Count; i++)
        {
            var input = Inputs[i];
            indices[i] = schema.IndexOf(input.Name);
            if (indices[i] < 0)
            {
                for (var c = 0; c < schema.Count; c++)
                {
                    if (string.Equals(schema[c].Name, input.Name, StringComparison.OrdinalIgnoreCase))
                    {
                        indices[i] = c;
                        break;
                    }
                }
            }

            if (indices[i] < 0)
            {
                missing.Add(input.Name);
                continue;
            }

            var type = schema[indices[i]].Type;
            var fits = type == ColumnType.String
                || (input.IsScalar && input.ElementType != TensorElementType.String && type is ColumnType.Int32 or ColumnType.Int64 or ColumnType.Double or ColumnType.Boolean);
            if (!fits)
            {
                throw new StudioModuleException(ModuleErrors.ColumnTypeNotSupported(schema[indices[i]].Name, type, "Dataset"));
            }
        }

        return missing.Count > 0 ? throw new StudioModuleException(ModuleErrors.OnnxInputsNotFound(missing, Inputs.Select(i => i.Describe()))) : indices;
    }

    private void Run(DataTable table, int[] columns, int first, int count, object?[][] values)
    {
        var feeds = new List<NamedOnnxValue>(Inputs.Count);
        for (var i = 0; i < Inputs.Count; i++)
        {
            try
            {
                feeds.Add(Feed(Inputs[i], table, columns[i], first, count));
            }
            catch (OverflowException)
            {
                throw new StudioModuleException(ModuleErrors.CannotConvertCell(table.Schema[columns[i]].Name, first,
                    CellText.Format(table.GetValue(first, columns[i])!), Inputs[i].Describe() + " (a value out of the element type's range)", "Dataset"));
            }
        }

        try
        {
            using var results = _session.Run(feeds, _outputNames);
            var byName = results.ToDictionary(r => r.Name, StringComparer.Ordinal);
            for (var o = 0; o < Outputs.Count; o++)
            {
                var info = Outputs[o];
                var (shape, elements) = Read(byName[info.Name]);
                // The batch dimension is stripped when it is there (rows, or 1 for a single row); otherwise a row's value is the whole tensor.
                var perRow = info.Batched && shape.Length > 0 && shape[0] == count;
                if (!perRow && count != 1)
                {
                    throw new StudioModuleException(ModuleErrors.LibraryError(ScoreModelModule.Name,
                        $"output \"{info.Name}\" has {shape.FirstOrDefault()} rows for {count} input rows."));
                }

                var itemShape = perRow ? shape[1..] : shape;
                var itemSize = itemShape.Aggregate(1, (a, b) => a * b);
                if (info.IsScalar && itemSize != 1)
                {
                    // The metadata promised one element per row (a plain column); the run gave more.
                    throw new StudioModuleException(ModuleErrors.LibraryError(ScoreModelModule.Name,
                        $"output \"{info.Name}\" ({info.Describe()}) has {itemSize} elements per row, not 1."));
                }

                for (var r = 0; r < count; r++)
                {
                    var slice = new ArraySegment<object>(elements, perRow ? r * itemSize : 0, itemSize);
                    values[o][first + r] = info.IsScalar && itemSize == 1 ? Cell(info.ElementType, slice[0]) : ToJson(slice, itemShape);
                }
            }
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or ArgumentException or InvalidOperationException or IndexOutOfRangeException or NotSupportedException)
        {
            // Whatever ONNX Runtime refuses (a shape its graph does not take, an operator failing) is the module's error.
            throw new StudioModuleException(ModuleErrors.LibraryError(ScoreModelModule.Name, "ONNX Runtime: " + FirstLine(ex.Message)));
        }
    }

    // --- inputs: cells to tensors ------------------------------------------------------------------------------------------

    private static NamedOnnxValue Feed(OnnxTensorInfo input, DataTable table, int column, int first, int count)
    {
        var items = new List<object>();
        int[]? itemShape = null;
        var columnName = table.Schema[column].Name;
        for (var r = first; r < first + count; r++)
        {
            var (shape, elements) = Cell(input, table, column, r);
            if (itemShape is not null && !itemShape.SequenceEqual(shape))
            {
                throw new StudioModuleException(ModuleErrors.CannotConvertCell(columnName, r, CellText.Format(table.GetValue(r, column)!), $"{input.Describe()} (rows of one batch differ in shape)", "Dataset"));
            }

            itemShape = shape;
            items.AddRange(elements);
        }

        var dims = input.Batched ? new[] { count }.Concat(itemShape!).ToArray() : itemShape!;
        return input.ElementType switch
        {
            TensorElementType.Float => Tensor(input.Name, items.Select(v => (float)(double)v), dims),
            TensorElementType.Double => Tensor(input.Name, items.Select(v => (double)v), dims),
            TensorElementType.Int8 => Tensor(input.Name, items.Select(v => checked((sbyte)(long)v)), dims),
            TensorElementType.UInt8 => Tensor(input.Name, items.Select(v => checked((byte)(long)v)), dims),
            TensorElementType.Int16 => Tensor(input.Name, items.Select(v => checked((short)(long)v)), dims),
            TensorElementType.UInt16 => Tensor(input.Name, items.Select(v => checked((ushort)(long)v)), dims),
            TensorElementType.Int32 => Tensor(input.Name, items.Select(v => checked((int)(long)v)), dims),
            TensorElementType.UInt32 => Tensor(input.Name, items.Select(v => checked((uint)(long)v)), dims),
            TensorElementType.Int64 => Tensor(input.Name, items.Select(v => (long)v), dims),
            TensorElementType.UInt64 => Tensor(input.Name, items.Select(v => checked((ulong)(long)v)), dims),
            TensorElementType.Bool => Tensor(input.Name, items.Select(v => (bool)v), dims),
            _ => Tensor(input.Name, items.Select(v => (string)v), dims),
        };
    }

    private static NamedOnnxValue Tensor<T>(string name, IEnumerable<T> values, int[] dims) =>
        NamedOnnxValue.CreateFromTensor(name, new DenseTensor<T>(values.ToArray(), dims));

    /// <summary>One row's value for <paramref name="input"/>: its shape and elements (double, long, bool or string, as the element type wants).</summary>
    private static (int[] Shape, List<object> Elements) Cell(OnnxTensorInfo input, DataTable table, int column, int row)
    {
        var value = table.GetValue(row, column);
        var name = table.Schema[column].Name;
        StudioModuleException Bad(string? why = null) => new(ModuleErrors.CannotConvertCell(name, row, value is null ? "" : CellText.Format(value),
            input.Describe() + (why is null ? "" : $" ({why})"), "Dataset"));

        var itemShape = input.ItemShape.ToArray();
        if (input.IsScalar)
        {
            var shape = itemShape.Select(_ => 1).ToArray();
            if (value is string text && input.ElementType != TensorElementType.String && text.TrimStart().StartsWith('['))
            {
                // A one-element JSON array is accepted for a one-element input.
                var (s, e) = ParseJson(text, input.ElementType, Bad);
                return e.Count == 1 ? (shape, e) : throw Bad($"{e.Count} elements for 1");
            }

            return (shape, [Element(value, input.ElementType, Bad)]);
        }

        if (value is not string json)
        {
            throw Bad("a JSON array is needed");
        }

        var (nested, elements) = ParseJson(json, input.ElementType, Bad);
        if (nested.Length == itemShape.Length && nested.Zip(itemShape).All(p => p.Second < 0 || p.First == p.Second))
        {
            return (nested, elements);
        }

        if (input.IsFixed && nested.Length == 1 && elements.Count == itemShape.Aggregate(1, (a, b) => a * b))
        {
            return (itemShape, elements); // flat, row-major
        }

        throw Bad($"shape [{string.Join(",", nested)}]");
    }

    private static object Element(object? value, TensorElementType type, Func<string?, StudioModuleException> bad)
    {
        switch (type)
        {
            case TensorElementType.String:
                return value is null ? throw bad("missing") : value as string ?? CellText.Format(value) ?? "";
            case TensorElementType.Bool:
                return value switch
                {
                    bool b => b,
                    int i when i is 0 or 1 => i == 1,
                    long l when l is 0 or 1 => l == 1,
                    double d when d is 0 or 1 => d == 1,
                    string s when CellText.TryParseBoolean(s, out var b) => b,
                    string s when s.Trim() is "0" or "1" => s.Trim() == "1",
                    _ => throw bad(null),
                };
            case TensorElementType.Float or TensorElementType.Double:
                return value switch
                {
                    null => double.NaN, // a missing number is NaN, as for ML.NET
                    int i => (double)i,
                    long l => (double)l,
                    double d => d,
                    bool b => b ? 1.0 : 0.0,
                    string s when s.Trim().Length == 0 => double.NaN,
                    string s when CellText.TryParseDouble(s, out var d) => d,
                    _ => throw bad(null),
                };
            default:
                var whole = value switch
                {
                    int i => (long)i,
                    long l => l,
                    double d when d == Math.Floor(d) && d >= long.MinValue && d <= long.MaxValue => (long)d,
                    bool b => b ? 1L : 0L,
                    string s when CellText.TryParseInt64(s, out var l) => l,
                    _ => throw bad(null),
                };
                var (min, max) = type switch
                {
                    TensorElementType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
                    TensorElementType.UInt8 => (byte.MinValue, byte.MaxValue),
                    TensorElementType.Int16 => (short.MinValue, short.MaxValue),
                    TensorElementType.UInt16 => (ushort.MinValue, ushort.MaxValue),
                    TensorElementType.Int32 => (int.MinValue, int.MaxValue),
                    TensorElementType.UInt32 => (uint.MinValue, uint.MaxValue),
                    TensorElementType.UInt64 => (0L, long.MaxValue),
                    _ => (long.MinValue, long.MaxValue),
                };
                return whole >= min && whole <= max ? whole : throw bad($"{whole} is out of the range of {TypeName(type)}");
        }
    }

    /// <summary>A JSON array's nesting shape (checked rectangular) and its elements in row-major order; a JSON scalar has shape [].</summary>
    private static (int[] Shape, List<object> Elements) ParseJson(string text, TensorElementType type, Func<string?, StudioModuleException> bad)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            throw bad("not a JSON array");
        }

        using (document)
        {
            var elements = new List<object>();
            int[]? shape = null;
            void Walk(JsonElement element, List<int> path)
            {
                if (element.ValueKind == JsonValueKind.Array)
                {
                    var length = element.GetArrayLength();
                    var depth = path.Count;
                    path.Add(length);
                    if (length == 0)
                    {
                        Leaf(path);
                    }

                    foreach (var child in element.EnumerateArray())
                    {
                        Walk(child, path);
                    }

                    path.RemoveAt(depth);
                    if (shape is not null && (shape.Length <= depth || shape[depth] != length))
                    {
                        throw bad("not rectangular");
                    }

                    return;
                }

                Leaf(path);
                object? scalar = element.ValueKind switch
                {
                    JsonValueKind.Number => type is not (TensorElementType.Float or TensorElementType.Double or TensorElementType.String)
                        && element.TryGetInt64(out var l) ? (object)l : element.GetDouble(),
                    JsonValueKind.String => element.GetString(),
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => null,
                };
                if (scalar is null && type != TensorElementType.Float && type != TensorElementType.Double)
                {
                    throw bad("a null element");
                }

                elements.Add(Element(scalar, type, bad));
            }

            void Leaf(List<int> path)
            {
                if (shape is null)
                {
                    shape = path.ToArray();
                }
                else if (shape.Length != path.Count)
                {
                    throw bad("not rectangular");
                }
            }

            Walk(document.RootElement, []);
            return (shape ?? [], elements);
        }
    }

    // --- outputs: tensors to cells -----------------------------------------------------------------------------------------

    private static (int[] Shape, object[] Elements) Read(DisposableNamedOnnxValue value)
    {
        static (int[], object[]) Of<T>(DisposableNamedOnnxValue v, Func<T, object> convert)
        {
            var tensor = v.AsTensor<T>();
            return (tensor.Dimensions.ToArray(), tensor.ToArray().Select(convert).ToArray());
        }

        return value.ElementType switch
        {
            TensorElementType.Float => Of<float>(value, f => f),
            TensorElementType.Double => Of<double>(value, d => d),
            TensorElementType.Int8 => Of<sbyte>(value, x => (long)x),
            TensorElementType.UInt8 => Of<byte>(value, x => (long)x),
            TensorElementType.Int16 => Of<short>(value, x => (long)x),
            TensorElementType.UInt16 => Of<ushort>(value, x => (long)x),
            TensorElementType.Int32 => Of<int>(value, x => (long)x),
            TensorElementType.UInt32 => Of<uint>(value, x => (long)x),
            TensorElementType.Int64 => Of<long>(value, x => x),
            TensorElementType.UInt64 => Of<ulong>(value, x => unchecked((long)x)),
            TensorElementType.Bool => Of<bool>(value, x => x),
            _ => Of<string>(value, x => x),
        };
    }

    private static object? Cell(TensorElementType type, object element) => element switch
    {
        float f => (double)f,
        long l when OutputIsInt32(type) => (int)l,
        _ => element,
    };

    private static bool OutputIsInt32(TensorElementType type) =>
        type is TensorElementType.Int8 or TensorElementType.UInt8 or TensorElementType.Int16 or TensorElementType.UInt16 or TensorElementType.Int32;

    /// <summary>A nested JSON array of <paramref name="shape"/>; floats in their shortest round-trip form, NaN and infinities as strings.</summary>
    private static string ToJson(IReadOnlyList<object> elements, int[] shape)
    {
        var text = new StringBuilder();
        var index = 0;
        void Write(int depth)
        {
            if (depth == shape.Length)
            {
                var element = elements[index++];
                switch (element)
                {
                    case float f when float.IsFinite(f):
                        text.Append(f.ToString("R", CultureInfo.InvariantCulture));
                        break;
                    case double d when double.IsFinite(d):
                        text.Append(d.ToString("R", CultureInfo.InvariantCulture));
                        break;
                    case float or double:
                        text.Append('"').Append(Convert.ToString(element, CultureInfo.InvariantCulture)).Append('"');
                        break;
                    case long l:
                        text.Append(l.ToString(CultureInfo.InvariantCulture));
                        break;
                    case bool b:
                        text.Append(b ? "true" : "false");
                        break;
                    default:
                        text.Append(JsonSerializer.Serialize((string)element));
                        break;
                }

                return;
            }

            text.Append('[');
            for (var k = 0; k < shape[depth]; k++)
            {
                if (k > 0)
                {
                    text.Append(',');
                }

                Write(depth + 1);
            }

            text.Append(']');
        }

        Write(0);
        return text.ToString();
    }

    private static bool IsSupported(TensorElementType type) => type is TensorElementType.Float or TensorElementType.Double
        or TensorElementType.Int8 or TensorElementType.UInt8 or TensorElementType.Int16 or TensorElementType.UInt16
        or TensorElementType.Int32 or TensorElementType.UInt32 or TensorElementType.Int64 or TensorElementType.UInt64
        or TensorElementType.Bool or TensorElementType.String;

    internal static string TypeName(TensorElementType type) => type switch
    {
        TensorElementType.Float => "float",
        TensorElementType.Double => "double",
        TensorElementType.Bool => "bool",
        TensorElementType.String => "string",
        _ => type.ToString().ToLowerInvariant(),
    };

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}
