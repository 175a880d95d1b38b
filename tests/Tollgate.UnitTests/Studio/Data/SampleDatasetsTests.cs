using Tollgate.Studio.Data;
using static Tollgate.UnitTests.Studio.Data.DataTestHelpers;

namespace Tollgate.UnitTests.Studio.Data;

public sealed class SampleDatasetsTests
{
    [Fact]
    public async Task BookReviews_HasTheOriginalShape()
    {
        var batches = await SampleDatasets.BookReviews().ToListAsync();
        var rows = Rows(batches);

        Assert.Equal(["Col1", "Col2"], SampleDatasets.BookReviewsSchema.Names);
        Assert.Equal([ColumnType.Int32, ColumnType.String], SampleDatasets.BookReviewsSchema.Select(c => c.Type));
        Assert.All(batches, b => Assert.Equal(SampleDatasets.BookReviewsSchema, b.Schema));
        Assert.Equal(SampleDatasets.BookReviewsRowCount, rows.Count);
        Assert.Equal(SampleDatasets.BookReviewsDataset.RowCount, rows.Count);
        Assert.True(rows.Count >= 2000);
        Assert.Equal(2, batches.Count);
        Assert.All(rows, r => Assert.InRange((int)r[0]!, 1, 5));
        Assert.All(rows, r => Assert.False(string.IsNullOrWhiteSpace((string?)r[1])));
        Assert.Equal([1, 2, 3, 4, 5], rows.Select(r => (int)r[0]!).Distinct().Order());
        Assert.True(rows.Select(r => (string)r[1]!).Distinct().Count() > 1000);
    }

    [Fact]
    public async Task BookReviews_IsDeterministic()
    {
        var first = Rows(await SampleDatasets.BookReviews().ToListAsync());
        var second = Rows(await SampleDatasets.BookReviews(batchSize: 1000).ToListAsync());

        Assert.Equal(first, second);
        Assert.StartsWith("The first book in the series was a pleasa", (string?)first[0][1]);
    }

    [Fact]
    public async Task BookReviews_RoundTripsThroughCsv()
    {
        var csv = await WriteToStringAsync(SampleDatasets.BookReviewsSchema, SampleDatasets.BookReviews(), DelimitedTextOptions.Csv);

        var (schema, batches) = await ReadStringAsync(csv, DelimitedTextOptions.Csv);

        Assert.Equal(SampleDatasets.BookReviewsSchema, schema);
        Assert.Equal(Rows(await SampleDatasets.BookReviews().ToListAsync()), Rows(batches));
    }
}
