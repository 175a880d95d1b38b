using Tollgate.Studio.Data;

namespace Tollgate.UnitTests.Studio.Modules;

internal static class ModuleTestData
{
    public static DataSchema Schema(params (string Name, ColumnType Type)[] columns) =>
        new(columns.Select(c => new ColumnSchema(c.Name, c.Type)));

    public static DataBatch Batch(DataSchema schema, params object?[][] rows)
    {
        var builder = new DataBatchBuilder(schema);
        foreach (var row in rows)
        {
            builder.AppendRow(row);
        }

        return builder.Build();
    }

    public static async IAsyncEnumerable<DataBatch> AsAsync(params DataBatch[] batches)
    {
        foreach (var batch in batches)
        {
            await Task.Yield();
            yield return batch;
        }
    }

    public static async Task<List<DataBatch>> ToListAsync(IAsyncEnumerable<DataBatch> batches)
    {
        var list = new List<DataBatch>();
        await foreach (var batch in batches)
        {
            list.Add(batch);
        }

        return list;
    }
}
