using System.Runtime.CompilerServices;
using System.Text;
using Sylvan.Data.Csv;

namespace Tollgate.Studio.Data;

/// <summary>
/// Reads a CSV or TSV file with a header row as a stream of <see cref="DataBatch"/>es, holding at most one batch
/// (plus the type-inference sample) in memory. Parsing of the delimited format is done by Sylvan.Data.Csv;
/// this class maps fields to typed columns. Row numbers in errors are 1-based records, the header being row 1.
/// </summary>
public sealed class DelimitedTextReader : IAsyncDisposable, IDisposable
{
    private readonly CsvDataReader _csv;
    private readonly TextReader _text;
    private readonly bool _ownsText;
    private readonly string[] _fileColumns;
    private readonly int[] _fieldOfColumn;
    private readonly int _batchSize;
    private Queue<(long Row, string?[] Cells)>? _sample;
    private long _recordsRead;
    private bool _started;

    private DelimitedTextReader(CsvDataReader csv, TextReader text, bool ownsText, DataSchema schema, string[] fileColumns, int[] fieldOfColumn, int batchSize)
    {
        _csv = csv;
        _text = text;
        _ownsText = ownsText;
        Schema = schema;
        _fileColumns = fileColumns;
        _fieldOfColumn = fieldOfColumn;
        _batchSize = batchSize;
        _recordsRead = 1;
    }

    /// <summary>The columns of the batches, given or inferred.</summary>
    public DataSchema Schema { get; }

    /// <summary>The number of data rows returned so far.</summary>
    public long RowsRead { get; private set; }

    /// <summary>Opens a file; the format (CSV or TSV) comes from <paramref name="options"/>, else from the file extension.</summary>
    public static Task<DelimitedTextReader> OpenFileAsync(string path, DelimitedTextOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return OpenStreamAsync(stream, options ?? DelimitedTextOptions.ForFile(path), cancellationToken);
    }

    /// <summary>
    /// Reads UTF-8 text from <paramref name="stream"/> (disposed with the reader): a byte sequence that is not UTF-8 is a
    /// <see cref="DataFormatException"/> naming its row, never text with replacement characters.
    /// </summary>
    public static Task<DelimitedTextReader> OpenStreamAsync(Stream stream, DelimitedTextOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return OpenAsync(new StreamReader(stream, Utf8Text.Strict, detectEncodingFromByteOrderMarks: true), options, ownsReader: true, cancellationToken);
    }

    /// <summary>
    /// Reads the header (and, without a schema, the inference sample) from <paramref name="reader"/>.
    /// </summary>
    /// <exception cref="DataFormatException">The header is malformed or does not fit the schema, or a sampled row is malformed.</exception>
    public static async Task<DelimitedTextReader> OpenAsync(TextReader reader, DelimitedTextOptions? options = null, bool ownsReader = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        options ??= DelimitedTextOptions.Csv;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(options.InferenceRows);
        var csvOptions = new CsvDataReaderOptions
        {
            HasHeaders = true,
            Delimiter = options.Delimiter,
            CsvStyle = CsvStyle.Standard,
            OwnsReader = false,
        };

        CsvDataReader csv;
        try
        {
            csv = await CsvDataReader.CreateAsync(reader, csvOptions, cancellationToken).ConfigureAwait(false);
        }
        catch (CsvMissingHeadersException ex)
        {
            DisposeIf(reader, ownsReader);
            throw new DataFormatException(1, null, "The file is empty; a header row is required.", ex);
        }
        catch (CsvFormatException ex)
        {
            DisposeIf(reader, ownsReader);
            throw new DataFormatException(1, null, "The header row is malformed: " + ex.Message, ex);
        }
        catch (DecoderFallbackException ex)
        {
            DisposeIf(reader, ownsReader);
            throw NotUtf8(1, ex);
        }

        try
        {
            if (csv.FieldCount == 0)
            {
                throw new DataFormatException(1, null, "The file is empty; a header row is required.");
            }

            var fileColumns = new string[csv.FieldCount];
            for (var i = 0; i < fileColumns.Length; i++)
            {
                fileColumns[i] = csv.GetName(i);
            }

            var duplicate = fileColumns.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null)
            {
                throw new DataFormatException(1, duplicate.Key, "The column name appears more than once in the header.");
            }

            if (options.Schema is { } schema)
            {
                var fieldOfColumn = MapHeader(schema, fileColumns, options.IgnoreExtraColumns);
                return new DelimitedTextReader(csv, reader, ownsReader, schema, fileColumns, fieldOfColumn, options.BatchSize);
            }

            var identity = Enumerable.Range(0, fileColumns.Length).ToArray();
            var untyped = new DataSchema(fileColumns.Select(n => new ColumnSchema(n, ColumnType.String)));
            var sampler = new DelimitedTextReader(csv, reader, ownsReader, untyped, fileColumns, identity, options.BatchSize);
            var sample = new Queue<(long Row, string?[] Cells)>();
            while (sample.Count < options.InferenceRows && await sampler.ReadRecordAsync(cancellationToken).ConfigureAwait(false))
            {
                var row = new string?[fileColumns.Length];
                for (var i = 0; i < row.Length; i++)
                {
                    var span = csv.GetFieldSpan(i);
                    row[i] = span.IsEmpty ? null : span.ToString();
                }

                sample.Enqueue((sampler._recordsRead, row));
            }

            var inferred = new DataSchema(fileColumns.Select((n, i) => new ColumnSchema(n, TypeInference.Infer(sample.Select(r => r.Cells[i])))));
            return new DelimitedTextReader(csv, reader, ownsReader, inferred, fileColumns, identity, options.BatchSize)
            {
                _sample = sample,
                _recordsRead = sampler._recordsRead,
            };
        }
        catch
        {
            await csv.DisposeAsync().ConfigureAwait(false);
            DisposeIf(reader, ownsReader);
            throw;
        }
    }

    /// <summary>Opens <paramref name="path"/> and streams its batches, closing the file at the end.</summary>
    public static async IAsyncEnumerable<DataBatch> ReadFileAsync(string path, DelimitedTextOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var reader = await OpenFileAsync(path, options, cancellationToken).ConfigureAwait(false);
        await foreach (var batch in reader.ReadBatchesAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return batch;
        }
    }

    /// <summary>
    /// Streams the data rows in batches of at most <see cref="DelimitedTextOptions.BatchSize"/> rows. Can be enumerated once.
    /// </summary>
    /// <exception cref="DataFormatException">A record is malformed, has the wrong number of fields, or a cell does not parse as its column's type.</exception>
    public async IAsyncEnumerable<DataBatch> ReadBatchesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (_started)
        {
            throw new InvalidOperationException("The batches of a DelimitedTextReader can be read only once.");
        }

        _started = true;
        var builder = new DataBatchBuilder(Schema, _batchSize);
        var columns = builder.Columns;
        while (_sample is { Count: > 0 })
        {
            var (rowNumber, cells) = _sample.Dequeue();
            for (var c = 0; c < columns.Count; c++)
            {
                Append(columns[c], c, cells[_fieldOfColumn[c]], rowNumber);
            }

            if (++RowsRead % _batchSize == 0)
            {
                yield return builder.Build();
            }
        }

        _sample = null;
        while (await ReadRecordAsync(cancellationToken).ConfigureAwait(false))
        {
            for (var c = 0; c < columns.Count; c++)
            {
                var text = _csv.GetFieldSpan(_fieldOfColumn[c]);
                if (!columns[c].TryAppendText(text))
                {
                    throw BadCell(c, text, _recordsRead);
                }
            }

            if (++RowsRead % _batchSize == 0)
            {
                yield return builder.Build();
            }
        }

        if (RowsRead % _batchSize != 0)
        {
            yield return builder.Build();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _csv.DisposeAsync().ConfigureAwait(false);
        DisposeIf(_text, _ownsText);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _csv.Dispose();
        DisposeIf(_text, _ownsText);
    }

    private static void DisposeIf(TextReader reader, bool owns)
    {
        if (owns)
        {
            reader.Dispose();
        }
    }

    private static int[] MapHeader(DataSchema schema, string[] fileColumns, bool ignoreExtra)
    {
        var fieldOfColumn = new int[schema.Count];
        for (var c = 0; c < schema.Count; c++)
        {
            fieldOfColumn[c] = Array.IndexOf(fileColumns, schema[c].Name);
            if (fieldOfColumn[c] < 0)
            {
                throw new DataFormatException(1, schema[c].Name, "The column is missing from the header.");
            }
        }

        var extra = fileColumns.FirstOrDefault(n => schema.IndexOf(n) < 0);
        if (extra is not null && !ignoreExtra)
        {
            throw new DataFormatException(1, extra, "The header has a column that is not in the schema.");
        }

        return fieldOfColumn;
    }

    private void Append(DataColumnBuilder column, int c, string? text, long rowNumber)
    {
        if (!column.TryAppendText(text))
        {
            throw BadCell(c, text, rowNumber);
        }
    }

    private DataFormatException BadCell(int c, ReadOnlySpan<char> text, long rowNumber)
    {
        const int MaxShown = 50;
        var shown = text.Length > MaxShown ? string.Concat(text[..MaxShown], "…") : text.ToString();
        return new DataFormatException(rowNumber, Schema[c].Name, $"'{shown}' is not a valid {Schema[c].Type} value.");
    }

    private static DataFormatException NotUtf8(long row, DecoderFallbackException ex) =>
        new(row, null, "The text is not valid UTF-8 (an invalid byte sequence at or after this row); save the file as UTF-8.", ex);

    /// <summary>Advances to the next non-blank record, checking its field count; false at the end of the input.</summary>
    private async ValueTask<bool> ReadRecordAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            bool more;
            try
            {
                more = await _csv.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (CsvRecordTooLargeException ex)
            {
                throw new DataFormatException(_recordsRead + 1, null, "The record is too large (often an unterminated quote): " + ex.Message, ex);
            }
            catch (DecoderFallbackException ex)
            {
                throw NotUtf8(_recordsRead + 1, ex);
            }
            catch (CsvFormatException ex)
            {
                var column = ex.FieldOrdinal >= 0 && ex.FieldOrdinal < _fileColumns.Length ? _fileColumns[ex.FieldOrdinal] : null;
                throw new DataFormatException(_recordsRead + 1, column, "The record is malformed: " + ex.Message, ex);
            }

            if (!more)
            {
                return false;
            }

            _recordsRead++;
            var fields = _csv.RowFieldCount;
            if (fields == 1 && _fileColumns.Length > 1 && _csv.GetFieldSpan(0).IsEmpty)
            {
                continue; // a blank line
            }

            if (fields != _fileColumns.Length)
            {
                throw new DataFormatException(_recordsRead, null, $"The record has {fields} fields but the header has {_fileColumns.Length}.");
            }

            return true;
        }
    }
}
