using Tollgate.Studio.Data;

namespace Tollgate.UnitTests.Studio.Data;

internal static class DataTestHelpers
{
    public static async Task<List<DataBatch>> ToListAsync(this IAsyncEnumerable<DataBatch> batches)
    {
        var list = new List<DataBatch>();
        await foreach (var batch in batches)
        {
            list.Add(batch);
        }

        return list;
    }

    public static async IAsyncEnumerable<DataBatch> AsAsync(params DataBatch[] batches)
    {
        foreach (var batch in batches)
        {
            await Task.Yield();
            yield return batch;
        }
    }

    /// <summary>All rows of the batches as boxed values (null = missing).</summary>
    public static List<object?[]> Rows(IEnumerable<DataBatch> batches)
    {
        var rows = new List<object?[]>();
        foreach (var batch in batches)
        {
            for (var r = 0; r < batch.RowCount; r++)
            {
                rows.Add(batch.Columns.Select(c => c.GetValue(r)).ToArray());
            }
        }

        return rows;
    }

    public static async Task<string> WriteToStringAsync(DataSchema schema, IAsyncEnumerable<DataBatch> batches, DelimitedTextOptions options)
    {
        using var writer = new StringWriter();
        await DelimitedTextWriter.WriteAsync(writer, schema, batches, options);
        return writer.ToString();
    }

    public static async Task<(DataSchema Schema, List<DataBatch> Batches)> ReadStringAsync(string text, DelimitedTextOptions options)
    {
        await using var reader = await DelimitedTextReader.OpenAsync(new StringReader(text), options);
        var batches = await reader.ReadBatchesAsync().ToListAsync();
        return (reader.Schema, batches);
    }
}
