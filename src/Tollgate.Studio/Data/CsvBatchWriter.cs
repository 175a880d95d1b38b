using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Tollgate.Studio.Data;

/// <summary>
/// Writes batches as CSV or TSV (UTF-8, header row, <c>\n</c> line ends) straight to a stream, batch by batch as they
/// come: the writer a graph pushes into. Int32 cells are formatted without allocating; text is quoted only when it
/// holds the delimiter, a quote or a line break. Same cell text as <see cref="DelimitedTextWriter"/> (<see cref="CellText"/>).
/// </summary>
public sealed class CsvBatchWriter : IAsyncDisposable
{
    private const int FlushAt = 1 << 16;
    private readonly Stream _stream;
    private readonly DataSchema _schema;
    private readonly byte _delimiter;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(FlushAt * 2);
    private int _length;
    private bool _headerWritten;

    public CsvBatchWriter(Stream stream, DataSchema schema, char delimiter = ',')
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        _schema = schema ?? throw new ArgumentNullException(nameof(schema));
        _delimiter = (byte)delimiter;
    }

    /// <summary>The data rows written so far.</summary>
    public long RowsWritten { get; private set; }

    /// <summary>Appends the rows of <paramref name="batch"/> (and the header before the first batch).</summary>
    public async ValueTask WriteAsync(DataBatch batch, CancellationToken cancellationToken)
    {
        if (!_headerWritten)
        {
            for (var c = 0; c < _schema.Count; c++)
            {
                if (c > 0)
                {
                    Put(_delimiter);
                }

                PutText(_schema[c].Name);
            }

            Put((byte)'\n');
            _headerWritten = true;
        }

        // Resolve each column once per batch: Int32 columns are written from their arrays (most hashed counts are one digit).
        var columns = batch.Columns;
        var count = columns.Count;
        var ints = new int[]?[count];
        var missing = new bool[]?[count];
        var sparse = new SparseInt32Column?[count];
        var cursor = new int[count];
        for (var c = 0; c < count; c++)
        {
            if (columns[c] is ValueColumn<int> column)
            {
                (ints[c], missing[c]) = column.Raw;
            }
            else if (columns[c] is SparseInt32Column s)
            {
                sparse[c] = s;
            }
        }

        for (var r = 0; r < batch.RowCount; r++)
        {
            Reserve(count * 12);
            for (var c = 0; c < count; c++)
            {
                if (c > 0)
                {
                    _buffer[_length++] = _delimiter;
                }

                if (sparse[c] is { } s)
                {
                    var i = cursor[c];
                    var nonZeroRows = s.NonZeroRows;
                    if (i < nonZeroRows.Length && nonZeroRows[i] == r)
                    {
                        cursor[c] = i + 1;
                        var v = s.NonZeroValues[i];
                        if ((uint)v < 10)
                        {
                            _buffer[_length++] = (byte)('0' + v);
                        }
                        else
                        {
                            Utf8Formatter.TryFormat(v, _buffer.AsSpan(_length), out var w);
                            _length += w;
                        }
                    }
                    else
                    {
                        _buffer[_length++] = (byte)'0';
                    }
                }
                else if (ints[c] is { } values)
                {
                    if (missing[c] is { } m && m[r])
                    {
                        continue;
                    }

                    var value = values[r];
                    if ((uint)value < 10)
                    {
                        _buffer[_length++] = (byte)('0' + value);
                    }
                    else
                    {
                        Utf8Formatter.TryFormat(value, _buffer.AsSpan(_length), out var written);
                        _length += written;
                    }
                }
                else if (columns[c].GetText(r) is { } text)
                {
                    PutText(text);
                    Reserve((count - c) * 12);
                }
            }

            _buffer[_length++] = (byte)'\n';
            if (_length >= FlushAt)
            {
                await _stream.WriteAsync(_buffer.AsMemory(0, _length), cancellationToken);
                _length = 0;
            }
        }

        RowsWritten += batch.RowCount;
    }

    /// <summary>Writes what is buffered (the header too, for an empty output) and flushes the stream.</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (!_headerWritten)
        {
            await WriteAsync(new DataBatch(_schema, _schema.Select(c => DataColumnBuilder.Create(c.Type, 1).Build()).ToArray()), cancellationToken);
        }

        await _stream.WriteAsync(_buffer.AsMemory(0, _length), cancellationToken);
        _length = 0;
        await _stream.FlushAsync(cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }

        return ValueTask.CompletedTask;
    }

    private void Put(byte b)
    {
        Reserve(1);
        _buffer[_length++] = b;
    }

    private void PutText(string text)
    {
        var quote = text.AsSpan().IndexOfAny(['"', '\n', '\r', (char)_delimiter]) >= 0;
        var escaped = quote ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
        Reserve(Encoding.UTF8.GetMaxByteCount(escaped.Length));
        _length += Encoding.UTF8.GetBytes(escaped, _buffer.AsSpan(_length));
    }

    private void Reserve(int bytes)
    {
        if (_length + bytes > _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + bytes));
            _buffer.AsSpan(0, _length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
    }
}
