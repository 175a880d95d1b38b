using System.Collections;

namespace Tollgate.Studio.Data;

/// <summary>One column of a <see cref="DataSchema"/>: its name and type.</summary>
/// <param name="Name">The column name, compared ordinally (case-sensitive).</param>
/// <param name="Type">The column type.</param>
public sealed record ColumnSchema(string Name, ColumnType Type)
{
    /// <summary>The column name.</summary>
    public string Name { get; } = Name ?? throw new ArgumentNullException(nameof(Name));
}

/// <summary>
/// The ordered, immutable list of columns of a table. Column names are unique (ordinal comparison).
/// Two schemas are equal when they have the same columns in the same order.
/// </summary>
public sealed class DataSchema : IReadOnlyList<ColumnSchema>, IEquatable<DataSchema>
{
    private readonly ColumnSchema[] _columns;
    private readonly Dictionary<string, int> _indexByName;

    /// <summary>Creates a schema from the given columns, in order.</summary>
    /// <exception cref="ArgumentException">A column is null or two columns have the same name.</exception>
    public DataSchema(IEnumerable<ColumnSchema> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        _columns = columns.ToArray();
        _indexByName = new Dictionary<string, int>(_columns.Length, StringComparer.Ordinal);
        for (var i = 0; i < _columns.Length; i++)
        {
            var column = _columns[i] ?? throw new ArgumentException($"Column {i} is null.", nameof(columns));
            if (!_indexByName.TryAdd(column.Name, i))
            {
                throw new ArgumentException($"Column name '{column.Name}' appears more than once.", nameof(columns));
            }
        }
    }

    /// <summary>Creates a schema from the given columns, in order.</summary>
    public DataSchema(params ColumnSchema[] columns)
        : this((IEnumerable<ColumnSchema>)columns)
    {
    }

    /// <summary>The number of columns.</summary>
    public int Count => _columns.Length;

    /// <summary>The column at <paramref name="index"/>.</summary>
    public ColumnSchema this[int index] => _columns[index];

    /// <summary>The column names, in order.</summary>
    public IEnumerable<string> Names => _columns.Select(c => c.Name);

    /// <summary>The index of the column named <paramref name="name"/> (ordinal), or -1.</summary>
    public int IndexOf(string name) => _indexByName.TryGetValue(name, out var i) ? i : -1;

    /// <inheritdoc />
    public IEnumerator<ColumnSchema> GetEnumerator() => ((IEnumerable<ColumnSchema>)_columns).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public bool Equals(DataSchema? other) =>
        other is not null && (ReferenceEquals(this, other) || _columns.AsSpan().SequenceEqual(other._columns));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as DataSchema);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var column in _columns)
        {
            hash.Add(column);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(", ", _columns.Select(c => $"{c.Name}:{c.Type}"));
}
