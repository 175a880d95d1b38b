using Tollgate.Security;
using Tollgate.Studio.Data;
using Tollgate.Studio.Storage;

namespace Tollgate.Studio.Datasets;

/// <summary>
/// The workspace's saved datasets: uploads of CSV/TSV files (checked row by row while they are stored) and the book
/// reviews sample, written on first start. Rows live in <c>{data}/studio/datasets/{id}.csv|tsv</c>.
/// </summary>
public sealed class DatasetService
{
    private readonly StudioStore _store;
    private readonly TimeProvider _time;
    private readonly string _directory;

    public DatasetService(StudioStore store, StudioOptions options, TimeProvider time)
    {
        _store = store;
        _time = time;
        _directory = Path.Combine(options.DataDirectory, "studio", "datasets");
    }

    public Task<IReadOnlyList<DatasetRecord>> ListAsync(CancellationToken cancellationToken) => _store.ListDatasetsAsync(cancellationToken);

    public Task<DatasetRecord?> FindAsync(string idOrName, CancellationToken cancellationToken) => _store.FindDatasetAsync(idOrName, cancellationToken);

    /// <summary>Stores the samples (book reviews, census income) unless datasets of their names exist.</summary>
    public async Task EnsureSampleAsync(CancellationToken cancellationToken)
    {
        await EnsureSampleAsync(SampleDatasets.BookReviewsName, SampleDatasets.BookReviewsSchema, SampleDatasets.BookReviews(cancellationToken: cancellationToken), cancellationToken);
        await EnsureSampleAsync(SampleDatasets.AdultCensusName, SampleDatasets.AdultCensusSchema, SampleDatasets.AdultCensus(cancellationToken: cancellationToken), cancellationToken);
    }

    private async Task EnsureSampleAsync(string name, DataSchema schema, IAsyncEnumerable<DataBatch> batches, CancellationToken cancellationToken)
    {
        if (await _store.FindDatasetAsync(name, cancellationToken) is not null)
        {
            return;
        }

        PrivateFiles.CreateDirectory(_directory, tightenExisting: true);
        var id = StudioIds.New();
        var file = Path.Combine(_directory, id + ".csv");
        var rows = await DelimitedTextWriter.WriteFileAsync(file, schema, batches, DelimitedTextOptions.Csv, cancellationToken);
        await _store.InsertDatasetAsync(new DatasetRecord(id, name, "csv", schema, rows, file, new FileInfo(file).Length, _time.GetUtcNow()), cancellationToken);
    }

    /// <summary>
    /// Stores an uploaded file: copies it, infers the column types from the first rows, then reads every row to check it
    /// (a broken quote or a cell of the wrong type anywhere is refused with its row number).
    /// </summary>
    /// <exception cref="DataFormatException">The file is not valid CSV/TSV for the inferred schema.</exception>
    /// <exception cref="InvalidOperationException">A dataset of that name exists.</exception>
    public async Task<DatasetRecord> UploadAsync(string name, string format, Stream content, CancellationToken cancellationToken)
    {
        if (await _store.FindDatasetAsync(name, cancellationToken) is not null)
        {
            throw new InvalidOperationException($"A dataset named '{name}' exists.");
        }

        PrivateFiles.CreateDirectory(_directory, tightenExisting: true);
        var id = StudioIds.New();
        var file = Path.Combine(_directory, id + "." + format);
        try
        {
            await using (var output = new FileStream(file, PrivateFiles.Options(FileMode.CreateNew, options: FileOptions.Asynchronous, bufferSize: 1 << 16)))
            {
                await content.CopyToAsync(output, cancellationToken);
            }

            var options = format == "tsv" ? DelimitedTextOptions.Tsv : DelimitedTextOptions.Csv;
            await using var reader = await DelimitedTextReader.OpenFileAsync(file, options, cancellationToken);
            long rows = 0;
            await foreach (var batch in reader.ReadBatchesAsync(cancellationToken))
            {
                rows += batch.RowCount;
            }

            var record = new DatasetRecord(id, name, format, reader.Schema, rows, file, new FileInfo(file).Length, _time.GetUtcNow());
            await _store.InsertDatasetAsync(record, cancellationToken);
            return record;
        }
        catch
        {
            File.Delete(file);
            throw;
        }
    }

    /// <summary>Streams the rows of a stored dataset with its stored schema.</summary>
    public async IAsyncEnumerable<DataBatch> ReadAsync(DatasetRecord dataset, int batchSize, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var options = (dataset.Format == "tsv" ? DelimitedTextOptions.Tsv : DelimitedTextOptions.Csv) with { Schema = dataset.Schema, BatchSize = batchSize };
        await using var reader = await DelimitedTextReader.OpenFileAsync(dataset.File, options, cancellationToken);
        await foreach (var batch in reader.ReadBatchesAsync(cancellationToken))
        {
            yield return batch;
        }
    }

    public async Task<bool> DeleteAsync(DatasetRecord dataset, CancellationToken cancellationToken)
    {
        var deleted = await _store.DeleteDatasetAsync(dataset.Id, cancellationToken);
        if (deleted)
        {
            File.Delete(dataset.File);
        }

        return deleted;
    }
}
