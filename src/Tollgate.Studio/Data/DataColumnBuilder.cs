namespace Tollgate.Studio.Data;

/// <summary>
/// Collects the cells of one column, then hands them over as an immutable <see cref="DataColumn"/>.
/// A builder is reusable: <see cref="Build"/> gives the cells away and starts an empty column.
/// </summary>
public abstract class DataColumnBuilder
{
    private protected DataColumnBuilder(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = Math.Max(capacity, 4);
    }

    /// <summary>The type of the column being built.</summary>
    public abstract ColumnType Type { get; }

    /// <summary>The number of cells appended since the last <see cref="Build"/>.</summary>
    public int Count { get; private protected set; }

    private protected int Capacity { get; }

    /// <summary>Creates a builder for a column of <paramref name="type"/>.</summary>
    public static DataColumnBuilder Create(ColumnType type, int capacity = DataBatch.DefaultSize) => type switch
    {
        ColumnType.String => new StringColumnBuilder(capacity),
        ColumnType.Int32 => new ValueColumnBuilder<int>(capacity, CellText.TryParseInt32),
        ColumnType.Int64 => new ValueColumnBuilder<long>(capacity, CellText.TryParseInt64),
        ColumnType.Double => new ValueColumnBuilder<double>(capacity, CellText.TryParseDouble),
        ColumnType.Boolean => new ValueColumnBuilder<bool>(capacity, CellText.TryParseBoolean),
        ColumnType.DateTime => new ValueColumnBuilder<DateTime>(capacity, CellText.TryParseDateTime),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown column type."),
    };

    /// <summary>Appends a missing cell.</summary>
    public abstract void AppendMissing();

    /// <summary>
    /// Parses <paramref name="text"/> (<see cref="CellText"/>) and appends it; empty text appends a missing cell.
    /// Returns false, appending nothing, when the text is not a valid value of the column type.
    /// </summary>
    public abstract bool TryAppendText(ReadOnlySpan<char> text);

    /// <summary>Appends a boxed value of the column's CLR type (or a string to parse), or a missing cell for null.</summary>
    /// <exception cref="ArgumentException">The value does not fit the column type.</exception>
    public abstract void AppendValue(object? value);

    /// <summary>Returns the appended cells as a column and starts a new, empty one.</summary>
    public abstract DataColumn Build();
}

/// <summary>Builds a <see cref="StringColumn"/>.</summary>
public sealed class StringColumnBuilder : DataColumnBuilder
{
    private string?[] _values;

    /// <summary>Creates a builder with room for <paramref name="capacity"/> cells (it grows as needed).</summary>
    public StringColumnBuilder(int capacity = DataBatch.DefaultSize)
        : base(capacity)
    {
        _values = new string?[Capacity];
    }

    /// <inheritdoc />
    public override ColumnType Type => ColumnType.String;

    /// <summary>Appends a cell; null is a missing cell.</summary>
    public void Append(string? value)
    {
        if (Count == _values.Length)
        {
            Array.Resize(ref _values, _values.Length * 2);
        }

        _values[Count++] = value;
    }

    /// <inheritdoc />
    public override void AppendMissing() => Append(null);

    /// <inheritdoc />
    public override bool TryAppendText(ReadOnlySpan<char> text)
    {
        Append(text.IsEmpty ? null : text.ToString());
        return true;
    }

    /// <inheritdoc />
    public override void AppendValue(object? value) => Append(value is null ? null : CellText.Format(value));

    /// <inheritdoc />
    public override DataColumn Build()
    {
        var column = new StringColumn(_values, Count);
        _values = new string?[Capacity];
        Count = 0;
        return column;
    }
}

/// <summary>Builds a <see cref="ValueColumn{T}"/>.</summary>
/// <typeparam name="T">The CLR value type of the column.</typeparam>
public sealed class ValueColumnBuilder<T> : DataColumnBuilder
    where T : struct
{
    private readonly TryParser _parse;
    private readonly ColumnType _type;
    private T[] _values;
    private bool[]? _missing;

    internal ValueColumnBuilder(int capacity, TryParser parse)
        : base(capacity)
    {
        _parse = parse;
        _values = new T[Capacity];
        _type = new ValueColumn<T>([], null, 0).Type;
    }

    /// <summary>Parses text as a <typeparamref name="T"/>.</summary>
    internal delegate bool TryParser(ReadOnlySpan<char> text, out T value);

    /// <inheritdoc />
    public override ColumnType Type => _type;

    /// <summary>Appends a cell; null is a missing cell.</summary>
    public void Append(T? value)
    {
        if (Count == _values.Length)
        {
            Array.Resize(ref _values, _values.Length * 2);
            if (_missing is not null)
            {
                Array.Resize(ref _missing, _values.Length);
            }
        }

        if (value is { } v)
        {
            _values[Count] = v;
        }
        else
        {
            _values[Count] = default;
            _missing ??= new bool[_values.Length];
            _missing[Count] = true;
        }

        Count++;
    }

    /// <inheritdoc />
    public override void AppendMissing() => Append(null);

    /// <inheritdoc />
    public override bool TryAppendText(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            Append(null);
            return true;
        }

        if (!_parse(text, out var value))
        {
            return false;
        }

        Append(value);
        return true;
    }

    /// <inheritdoc />
    public override void AppendValue(object? value)
    {
        switch (value)
        {
            case null:
                Append(null);
                break;
            case T typed:
                Append(typed);
                break;
            case string text when TryAppendText(text):
                break;
            default:
                throw new ArgumentException($"Value '{value}' ({value.GetType().Name}) is not a valid {Type}.", nameof(value));
        }
    }

    /// <inheritdoc />
    public override DataColumn Build()
    {
        var column = new ValueColumn<T>(_values, _missing, Count);
        _values = new T[Capacity];
        _missing = null;
        Count = 0;
        return column;
    }
}
