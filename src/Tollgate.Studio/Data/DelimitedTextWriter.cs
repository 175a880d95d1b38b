using Tollgate.Security;
using System.Collections;
using System.Collections.ObjectModel;
using System.Data.Common;
using Sylvan.Data.Csv;

namespace Tollgate.Studio.Data;

/// <summary>
/// Writes a stream of <see cref="DataBatch"/>es as CSV or TSV with a header row, one batch in memory at a time.
/// Cells use <see cref="CellText"/> (invariant culture, round-trip doubles, ISO 8601 dates, empty for missing);
/// Sylvan.Data.Csv quotes fields that need it (delimiter, quote, newline).
/// </summary>
public static class DelimitedTextWriter
{
    /// <summary>Writes the header and every row; returns the number of data rows written.</summary>
    /// <exception cref="InvalidOperationException">A batch's schema differs from <paramref name="schema"/>.</exception>
    public static async Task<long> WriteAsync(TextWriter writer, DataSchema schema, IAsyncEnumerable<DataBatch> batches, DelimitedTextOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(batches);
        options ??= DelimitedTextOptions.Csv;
        var csvOptions = new CsvDataWriterOptions
        {
            Delimiter = options.Delimiter,
            WriteHeaders = true,
            NewLine = "\n",
        };

        await using var source = new BatchDataReader(schema, batches, cancellationToken);
        await using (var csv = CsvDataWriter.Create(new NonClosingWriter(writer), csvOptions))
        {
            await csv.WriteAsync(source, cancellationToken).ConfigureAwait(false);
        }

        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        return source.RowsRead;
    }

    /// <summary>Writes to <paramref name="path"/> (created or overwritten); the format comes from <paramref name="options"/>, else the extension.</summary>
    public static async Task<long> WriteFileAsync(string path, DataSchema schema, IAsyncEnumerable<DataBatch> batches, DelimitedTextOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var stream = new FileStream(path, PrivateFiles.Options(FileMode.Create, options: FileOptions.Asynchronous, bufferSize: 1 << 16));
        await using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false));
        return await WriteAsync(writer, schema, batches, options ?? DelimitedTextOptions.ForFile(path), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Presents batches to Sylvan's writer as a forward-only reader of string (text-form) columns.</summary>
    private sealed class BatchDataReader : DbDataReader, IDbColumnSchemaGenerator
    {
        private readonly DataSchema _schema;
        private readonly IAsyncEnumerator<DataBatch> _batches;
        private DataBatch? _batch;
        private int _row;
        private bool _done;

        public BatchDataReader(DataSchema schema, IAsyncEnumerable<DataBatch> batches, CancellationToken cancellationToken)
        {
            _schema = schema;
            _batches = batches.GetAsyncEnumerator(cancellationToken);
        }

        public long RowsRead { get; private set; }

        public override int FieldCount => _schema.Count;

        public override object this[int ordinal] => GetValue(ordinal);

        public override object this[string name] => GetValue(GetOrdinal(name));

        public override int RecordsAffected => -1;

        public override bool HasRows => true;

        public override bool IsClosed => _done;

        public override int Depth => 0;

        public override async Task<bool> ReadAsync(CancellationToken cancellationToken)
        {
            while (!_done)
            {
                if (_batch is not null && ++_row < _batch.RowCount)
                {
                    RowsRead++;
                    return true;
                }

                if (!await _batches.MoveNextAsync().ConfigureAwait(false))
                {
                    _done = true;
                    _batch = null;
                    return false;
                }

                _batch = _batches.Current;
                if (!_batch.Schema.Equals(_schema))
                {
                    throw new InvalidOperationException($"A batch has schema ({_batch.Schema}) but the output's is ({_schema}).");
                }

                _row = -1;
            }

            return false;
        }

        public override bool Read() => ReadAsync(CancellationToken.None).GetAwaiter().GetResult();

        public override bool NextResult() => false;

        public override Task<bool> NextResultAsync(CancellationToken cancellationToken) => Task.FromResult(false);

        public override string GetName(int ordinal) => _schema[ordinal].Name;

        public override int GetOrdinal(string name) =>
            _schema.IndexOf(name) is var i and >= 0 ? i : throw new IndexOutOfRangeException($"No column named '{name}'.");

        public override Type GetFieldType(int ordinal) => typeof(string);

        public override string GetDataTypeName(int ordinal) => "string";

        public override bool IsDBNull(int ordinal) => Current.Columns[ordinal].IsMissing(_row);

        public override string GetString(int ordinal) =>
            Current.Columns[ordinal].GetText(_row) ?? throw new InvalidCastException("The cell is missing.");

        public override object GetValue(int ordinal) => (object?)Current.Columns[ordinal].GetText(_row) ?? DBNull.Value;

        public override int GetValues(object[] values)
        {
            var n = Math.Min(values.Length, FieldCount);
            for (var i = 0; i < n; i++)
            {
                values[i] = GetValue(i);
            }

            return n;
        }

        public override bool GetBoolean(int ordinal) => throw new NotSupportedException();

        public override byte GetByte(int ordinal) => throw new NotSupportedException();

        public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) => throw new NotSupportedException();

        public override char GetChar(int ordinal) => throw new NotSupportedException();

        public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length)
        {
            var text = GetString(ordinal);
            if (buffer is null)
            {
                return text.Length;
            }

            var count = (int)Math.Clamp(text.Length - dataOffset, 0, length);
            text.CopyTo((int)dataOffset, buffer, bufferOffset, count);
            return count;
        }

        public override DateTime GetDateTime(int ordinal) => throw new NotSupportedException();

        public override decimal GetDecimal(int ordinal) => throw new NotSupportedException();

        public override double GetDouble(int ordinal) => throw new NotSupportedException();

        public override float GetFloat(int ordinal) => throw new NotSupportedException();

        public override Guid GetGuid(int ordinal) => throw new NotSupportedException();

        public override short GetInt16(int ordinal) => throw new NotSupportedException();

        public override int GetInt32(int ordinal) => throw new NotSupportedException();

        public override long GetInt64(int ordinal) => throw new NotSupportedException();

        public override IEnumerator GetEnumerator() => throw new NotSupportedException();

        public ReadOnlyCollection<DbColumn> GetColumnSchema() =>
            _schema.Select((c, i) => (DbColumn)new TextColumn(c.Name, i)).ToList().AsReadOnly();

        public override async ValueTask DisposeAsync()
        {
            await _batches.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }

        private DataBatch Current => _batch ?? throw new InvalidOperationException("No current row.");
    }

    /// <summary>Forwards to the caller's writer, which Sylvan's writer would otherwise close when disposed.</summary>
    private sealed class NonClosingWriter : TextWriter
    {
        private readonly TextWriter _inner;

        public NonClosingWriter(TextWriter inner)
            : base(System.Globalization.CultureInfo.InvariantCulture)
        {
            _inner = inner;
        }

        public override System.Text.Encoding Encoding => _inner.Encoding;

        public override void Write(char value) => _inner.Write(value);

        public override void Write(char[] buffer, int index, int count) => _inner.Write(buffer, index, count);

        public override void Write(ReadOnlySpan<char> buffer) => _inner.Write(buffer);

        public override void Write(string? value) => _inner.Write(value);

        public override Task WriteAsync(char[] buffer, int index, int count) => _inner.WriteAsync(buffer, index, count);

        public override Task WriteAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default) =>
            _inner.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(string? value) => _inner.WriteAsync(value);

        public override void Flush() => _inner.Flush();

        public override Task FlushAsync() => _inner.FlushAsync();

        public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

        protected override void Dispose(bool disposing)
        {
            // The caller owns the inner writer.
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>A nullable string column, as the writer sees every column.</summary>
    private sealed class TextColumn : DbColumn
    {
        public TextColumn(string name, int ordinal)
        {
            ColumnName = name;
            ColumnOrdinal = ordinal;
            DataType = typeof(string);
            DataTypeName = "string";
            AllowDBNull = true;
        }
    }
}
