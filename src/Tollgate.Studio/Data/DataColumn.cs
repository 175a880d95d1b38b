using System.Globalization;

namespace Tollgate.Studio.Data;

/// <summary>
/// One column of a <see cref="DataBatch"/>: an immutable array of cells of one <see cref="ColumnType"/>, any of which may be missing.
/// </summary>
public abstract class DataColumn
{
    private protected DataColumn()
    {
    }

    /// <summary>The type of every cell.</summary>
    public abstract ColumnType Type { get; }

    /// <summary>The number of cells (rows).</summary>
    public abstract int Length { get; }

    /// <summary>Whether the cell at <paramref name="row"/> is missing.</summary>
    public abstract bool IsMissing(int row);

    /// <summary>The boxed value at <paramref name="row"/>, or null when missing.</summary>
    public abstract object? GetValue(int row);

    /// <summary>The cell's text form (<see cref="CellText"/>), or null when missing.</summary>
    public abstract string? GetText(int row);

    /// <summary>The CLR type of the values of a column type.</summary>
    public static Type ClrType(ColumnType type) => type switch
    {
        ColumnType.String => typeof(string),
        ColumnType.Int32 => typeof(int),
        ColumnType.Int64 => typeof(long),
        ColumnType.Double => typeof(double),
        ColumnType.Boolean => typeof(bool),
        ColumnType.DateTime => typeof(DateTime),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown column type."),
    };
}

/// <summary>A <see cref="ColumnType.String"/> column; a missing cell is null.</summary>
public sealed class StringColumn : DataColumn
{
    private readonly string?[] _values;
    private readonly int _length;

    internal StringColumn(string?[] values, int length)
    {
        _values = values;
        _length = length;
    }

    /// <inheritdoc />
    public override ColumnType Type => ColumnType.String;

    /// <inheritdoc />
    public override int Length => _length;

    /// <summary>The cells; null marks a missing value.</summary>
    public ReadOnlySpan<string?> Values => _values.AsSpan(0, _length);

    /// <summary>The cell at <paramref name="row"/>, or null when missing.</summary>
    public string? this[int row] => Values[row];

    /// <inheritdoc />
    public override bool IsMissing(int row) => Values[row] is null;

    /// <inheritdoc />
    public override object? GetValue(int row) => Values[row];

    /// <inheritdoc />
    public override string? GetText(int row) => Values[row];
}

/// <summary>
/// A column of a value type (<see cref="ColumnType.Int32"/> = <see cref="int"/>, <see cref="ColumnType.Int64"/> = <see cref="long"/>,
/// <see cref="ColumnType.Double"/> = <see cref="double"/>, <see cref="ColumnType.Boolean"/> = <see cref="bool"/>,
/// <see cref="ColumnType.DateTime"/> = <see cref="DateTime"/>). The value array holds <c>default</c> where a cell is missing.
/// </summary>
/// <typeparam name="T">The CLR value type.</typeparam>
public sealed class ValueColumn<T> : DataColumn
    where T : struct
{
    private static readonly ColumnType ColumnTypeOfT = typeof(T) switch
    {
        var t when t == typeof(int) => ColumnType.Int32,
        var t when t == typeof(long) => ColumnType.Int64,
        var t when t == typeof(double) => ColumnType.Double,
        var t when t == typeof(bool) => ColumnType.Boolean,
        var t when t == typeof(DateTime) => ColumnType.DateTime,
        _ => (ColumnType)(-1),
    };

    private readonly T[] _values;
    private readonly bool[]? _missing;
    private readonly int _length;

    internal ValueColumn(T[] values, bool[]? missing, int length)
    {
        if ((int)ColumnTypeOfT < 0)
        {
            throw new NotSupportedException($"{typeof(T).Name} is not a column value type.");
        }

        _values = values;
        _missing = missing;
        _length = length;
    }

    /// <inheritdoc />
    public override ColumnType Type => ColumnTypeOfT;

    /// <inheritdoc />
    public override int Length => _length;

    /// <summary>The raw values; check <see cref="IsMissing"/> (a missing cell holds <c>default</c>).</summary>
    public ReadOnlySpan<T> Values => _values.AsSpan(0, _length);

    /// <summary>The value array (at least <see cref="Length"/> long) and the missing flags (null: none missing), for writers.</summary>
    internal (T[] Values, bool[]? Missing) Raw => (_values, _missing);

    /// <summary>Whether any cell of the column is missing.</summary>
    public bool HasMissing => _missing is not null && Array.IndexOf(_missing, true, 0, _length) >= 0;

    /// <summary>The cell at <paramref name="row"/>, or null when missing.</summary>
    public T? this[int row] => IsMissing(row) ? null : Values[row];

    /// <inheritdoc />
    public override bool IsMissing(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, _length);
        return _missing is not null && _missing[row];
    }

    /// <inheritdoc />
    public override object? GetValue(int row) => IsMissing(row) ? null : _values[row];

    /// <inheritdoc />
    public override string? GetText(int row)
    {
        if (IsMissing(row))
        {
            return null;
        }

        var value = _values[row];
        if (typeof(T) == typeof(int))
        {
            return ((int)(object)value).ToString(CultureInfo.InvariantCulture);
        }

        if (typeof(T) == typeof(long))
        {
            return ((long)(object)value).ToString(CultureInfo.InvariantCulture);
        }

        if (typeof(T) == typeof(double))
        {
            return CellText.Format((double)(object)value);
        }

        if (typeof(T) == typeof(bool))
        {
            return CellText.Format((bool)(object)value);
        }

        return CellText.Format((DateTime)(object)value);
    }
}

/// <summary>
/// A <see cref="ColumnType.Int32"/> column that is mostly zero, stored as its non-zero cells (ascending rows and their
/// values) in slices of arrays shared by several columns: Feature Hashing's 2^bits count columns, where a row touches a
/// handful of buckets. Reads as an ordinary Int32 column with no missing cells.
/// </summary>
public sealed class SparseInt32Column : DataColumn
{
    private readonly int[] _rows;
    private readonly int[] _values;
    private readonly int _start;
    private readonly int _count;
    private readonly int _length;

    internal SparseInt32Column(int[] rows, int[] values, int start, int count, int length)
    {
        _rows = rows;
        _values = values;
        _start = start;
        _count = count;
        _length = length;
    }

    /// <inheritdoc />
    public override ColumnType Type => ColumnType.Int32;

    /// <inheritdoc />
    public override int Length => _length;

    /// <summary>The rows of the non-zero cells, ascending.</summary>
    public ReadOnlySpan<int> NonZeroRows => _rows.AsSpan(_start, _count);

    /// <summary>The values of the non-zero cells, in the order of <see cref="NonZeroRows"/>.</summary>
    public ReadOnlySpan<int> NonZeroValues => _values.AsSpan(_start, _count);

    /// <summary>The cell at <paramref name="row"/>.</summary>
    public int this[int row]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(row);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, _length);
            var i = NonZeroRows.BinarySearch(row);
            return i >= 0 ? NonZeroValues[i] : 0;
        }
    }

    /// <inheritdoc />
    public override bool IsMissing(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, _length);
        return false;
    }

    /// <inheritdoc />
    public override object? GetValue(int row) => this[row];

    /// <inheritdoc />
    public override string? GetText(int row) => this[row].ToString(CultureInfo.InvariantCulture);
}
