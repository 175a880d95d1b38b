using Tollgate.Studio.Data;
using Tollgate.Studio.Storage;

namespace Tollgate.Studio.Datasets;

/// <summary>
/// The workspace's saved datasets: uploads of CSV/TSV files (checked row by row while they are stored) and the book
/// reviews sample, written on first start. Rows live in <c>datasets/{id}.csv|tsv</c> of the <see cref="StudioFileStore"/>
/// (under <c>{data}/studio</c>, or in the workspace's blob storage when Studio runs on several nodes).
/// </summary>
public sealed class DatasetService
{
    private readonly StudioStore _store;
    private readonly TimeProvider _time;
    private readonly StudioFileStore _files;

    public DatasetService(StudioStore store, StudioFileStore files, TimeProvider time)
    {
        _store = store;
        _files = files;
        _time = time;
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

        var id = StudioIds.New();
        var file = _files.Locate($"datasets/{id}.csv");
        long rows = 0;
        var size = await _files.WriteAsync(file, async (stream, ct) =>
        {
            await using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), leaveOpen: true);
            rows = await DelimitedTextWriter.WriteAsync(writer, schema, batches, DelimitedTextOptions.Csv, ct);
        }, cancellationToken);
        try
        {
            await _store.InsertDatasetAsync(new DatasetRecord(id, name, "csv", schema, rows, file, size, _time.GetUtcNow()), cancellationToken);
        }
        catch (Exception ex) when (_store.IsUniqueViolation(ex))
        {
            // Another node stored the sample first.
            await _files.DeleteAsync(file, CancellationToken.None);
        }
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

        var id = StudioIds.New();
        var file = _files.Locate($"datasets/{id}.{format}");
        try
        {
            var size = await _files.WriteAsync(file, (output, ct) => content.CopyToAsync(output, ct), cancellationToken);
            var options = format == "tsv" ? DelimitedTextOptions.Tsv : DelimitedTextOptions.Csv;
            await using var reader = await DelimitedTextReader.OpenStreamAsync(await _files.OpenReadAsync(file, cancellationToken), options, cancellationToken);
            long rows = 0;
            await foreach (var batch in reader.ReadBatchesAsync(cancellationToken))
            {
                rows += batch.RowCount;
            }

            var record = new DatasetRecord(id, name, format, reader.Schema, rows, file, size, _time.GetUtcNow());
            try
            {
                await _store.InsertDatasetAsync(record, cancellationToken);
            }
            catch (Exception ex) when (_store.IsUniqueViolation(ex))
            {
                // Another node stored a dataset of that name meanwhile.
                throw new InvalidOperationException($"A dataset named '{name}' exists.", ex);
            }

            return record;
        }
        catch
        {
            await _files.DeleteAsync(file, CancellationToken.None);
            throw;
        }
    }

    /// <summary>Streams the rows of a stored dataset with its stored schema.</summary>
    public async IAsyncEnumerable<DataBatch> ReadAsync(DatasetRecord dataset, int batchSize, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var options = (dataset.Format == "tsv" ? DelimitedTextOptions.Tsv : DelimitedTextOptions.Csv) with { Schema = dataset.Schema, BatchSize = batchSize };
        await using var reader = await DelimitedTextReader.OpenStreamAsync(await _files.OpenReadAsync(dataset.File, cancellationToken), options, cancellationToken);
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
            await _files.DeleteAsync(dataset.File, cancellationToken);
        }

        return deleted;
    }
}
