namespace Tollgate.Studio.Data;

/// <summary>Metadata of a stored dataset; the rows themselves are read as a stream of <see cref="DataBatch"/>.</summary>
/// <param name="Name">The dataset's display name.</param>
/// <param name="Schema">The columns.</param>
/// <param name="RowCount">The number of data rows (the header not counted).</param>
/// <param name="SourceFile">The file the rows are stored in, or null for a generated dataset.</param>
public sealed record Dataset(string Name, DataSchema Schema, long RowCount, string? SourceFile);
