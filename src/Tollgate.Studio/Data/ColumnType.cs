namespace Tollgate.Studio.Data;

/// <summary>
/// The type of a dataset column. Every column is nullable: a cell may be missing whatever its type.
/// The names are those of the Studio (classic) DataTable model and of RRS <c>ColumnTypes</c>.
/// </summary>
public enum ColumnType
{
    /// <summary>Text (<see cref="string"/>).</summary>
    String,

    /// <summary>32-bit signed integer.</summary>
    Int32,

    /// <summary>64-bit signed integer.</summary>
    Int64,

    /// <summary>IEEE 754 double precision number.</summary>
    Double,

    /// <summary><c>True</c> / <c>False</c>.</summary>
    Boolean,

    /// <summary>Date and time (ISO 8601 in text form).</summary>
    DateTime,
}
