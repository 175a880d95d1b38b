using Tollgate.Studio.Data;
using static Tollgate.UnitTests.Studio.Data.DataTestHelpers;

namespace Tollgate.UnitTests.Studio.Data;

public sealed class DelimitedTextTests
{
    private static readonly DataSchema AllTypes = new(
        new ColumnSchema("S", ColumnType.String),
        new ColumnSchema("I", ColumnType.Int32),
        new ColumnSchema("L", ColumnType.Int64),
        new ColumnSchema("D", ColumnType.Double),
        new ColumnSchema("B", ColumnType.Boolean),
        new ColumnSchema("T", ColumnType.DateTime));

    private static DataBatch AllTypesBatch()
    {
        var builder = new DataBatchBuilder(AllTypes);
        builder.AppendRow("plain", 1, 5_000_000_000L, 0.1, true, new DateTime(2024, 2, 29, 13, 45, 30, 123, DateTimeKind.Unspecified).AddTicks(4567));
        builder.AppendRow("comma, \"quote\"\nnew line", -2147483648, long.MinValue, 1.0 / 3.0, false, new DateTime(1999, 12, 31, 0, 0, 0, DateTimeKind.Utc));
        builder.AppendRow(null, null, null, null, null, null);
        builder.AppendRow("  padded\ttab  ", int.MaxValue, long.MaxValue, -1.5e-300, true, new DateTime(2000, 1, 1));
        builder.AppendRow("x", 0, 7_000_000_000L, double.MaxValue, null, null);
        return builder.Build();
    }

    public static TheoryData<char> Delimiters => new() { ',', '\t' };

    [Theory]
    [MemberData(nameof(Delimiters))]
    public async Task RoundTrip_WithSchema_KeepsEveryTypeAndMissingValue(char delimiter)
    {
        var options = new DelimitedTextOptions { Delimiter = delimiter };
        var batch = AllTypesBatch();
        var text = await WriteToStringAsync(AllTypes, AsAsync(batch), options);

        var (schema, batches) = await ReadStringAsync(text, options with { Schema = AllTypes });

        Assert.Equal(AllTypes, schema);
        Assert.Equal(Rows([batch]), Rows(batches));
    }

    [Theory]
    [MemberData(nameof(Delimiters))]
    public async Task RoundTrip_WithInference_FindsEveryType(char delimiter)
    {
        var options = new DelimitedTextOptions { Delimiter = delimiter };
        var batch = AllTypesBatch();
        var text = await WriteToStringAsync(AllTypes, AsAsync(batch), options);

        var (schema, batches) = await ReadStringAsync(text, options);

        Assert.Equal(AllTypes, schema);
        Assert.Equal(Rows([batch]), Rows(batches));
    }

    [Fact]
    public async Task Write_UsesInvariantRoundTripIsoAndEmptyForMissing()
    {
        var text = await WriteToStringAsync(AllTypes, AsAsync(AllTypesBatch()), DelimitedTextOptions.Csv);
        var lines = text.Split('\n');

        Assert.Equal("S,I,L,D,B,T", lines[0]);
        Assert.Equal("plain,1,5000000000,0.1,True,2024-02-29T13:45:30.1234567", lines[1]);
        Assert.StartsWith("\"comma, \"\"quote\"\"", lines[2]);
        Assert.Contains(",-2147483648,-9223372036854775808,0.3333333333333333,False,1999-12-31T00:00:00.0000000Z", text);
        Assert.Contains("\n,,,,,\n", text);
        Assert.Contains("1.7976931348623157E+308", text);
    }

    [Fact]
    public async Task Read_QuotedFieldsWithCommasQuotesAndNewlines()
    {
        const string csv = "Col1,Col2\n1,\"a, b\"\n2,\"say \"\"hi\"\"\"\n3,\"two\nlines\"\n4,plain\n";

        var (schema, batches) = await ReadStringAsync(csv, DelimitedTextOptions.Csv);

        Assert.Equal(new DataSchema(new ColumnSchema("Col1", ColumnType.Int32), new ColumnSchema("Col2", ColumnType.String)), schema);
        Assert.Equal(
            [[1, "a, b"], [2, "say \"hi\""], [3, "two\nlines"], [4, "plain"]],
            Rows(batches));
    }

    [Fact]
    public void Inference_PicksNarrowestTypeInOrder()
    {
        Assert.Equal(ColumnType.Int32, TypeInference.Infer(["1", null, "", "-7", " 3 "]));
        Assert.Equal(ColumnType.Int64, TypeInference.Infer(["1", "2147483648"]));
        Assert.Equal(ColumnType.Double, TypeInference.Infer(["1", "2147483648", "1.5", "1e10", "NaN"]));
        Assert.Equal(ColumnType.Boolean, TypeInference.Infer(["true", "False", "TRUE"]));
        Assert.Equal(ColumnType.DateTime, TypeInference.Infer(["2024-01-02", "2024-01-02T03:04:05Z", "2024-01-02 03:04:05.5"]));
        Assert.Equal(ColumnType.String, TypeInference.Infer(["1", "true"]));
        Assert.Equal(ColumnType.String, TypeInference.Infer(["01/02/2024"]));
        Assert.Equal(ColumnType.String, TypeInference.Infer(["1,5"]));
        Assert.Equal(ColumnType.String, TypeInference.Infer([null, ""]));
        Assert.Equal(ColumnType.String, TypeInference.Infer([]));
    }

    [Fact]
    public async Task Inference_UsesOnlyTheFirstRows_ThenBadCellNamesRowAndColumn()
    {
        var csv = "N,Text\n" + string.Concat(Enumerable.Range(1, 20).Select(i => $"{i},t{i}\n")) + "oops,t21\n";

        var (schema, _) = await ReadStringAsync("N,Text\n1,a\n", DelimitedTextOptions.Csv with { InferenceRows = 10 });
        Assert.Equal(ColumnType.Int32, schema[0].Type);

        var ex = await Assert.ThrowsAsync<DataFormatException>(() => ReadStringAsync(csv, DelimitedTextOptions.Csv with { InferenceRows = 10, BatchSize = 4 }));
        Assert.Equal(22, ex.RowNumber);
        Assert.Equal("N", ex.ColumnName);
        Assert.Contains("Row 22, column 'N'", ex.Message);
    }

    [Fact]
    public async Task BadInt32Cell_WithGivenSchema_NamesRowAndColumn()
    {
        var schema = new DataSchema(new ColumnSchema("Col1", ColumnType.Int32), new ColumnSchema("Col2", ColumnType.String));
        const string csv = "Col1,Col2\n1,a\n2,b\nthree,c\n";

        var ex = await Assert.ThrowsAsync<DataFormatException>(() => ReadStringAsync(csv, DelimitedTextOptions.Csv with { Schema = schema }));

        Assert.Equal(4, ex.RowNumber);
        Assert.Equal("Col1", ex.ColumnName);
        Assert.Equal("Row 4, column 'Col1': 'three' is not a valid Int32 value.", ex.Message);
    }

    [Fact]
    public async Task BadCellInInferenceSample_NamesRow()
    {
        var schema = new DataSchema(new ColumnSchema("Col1", ColumnType.Int32), new ColumnSchema("Col2", ColumnType.String));
        const string csv = "Col2,Col1\na,1\nb,99999999999\n";

        var ex = await Assert.ThrowsAsync<DataFormatException>(() => ReadStringAsync(csv, DelimitedTextOptions.Csv with { Schema = schema }));

        Assert.Equal(3, ex.RowNumber);
        Assert.Equal("Col1", ex.ColumnName);
    }

    [Theory]
    [InlineData("Col1,Col2\n1,ok\n2,\"unterminated\n3,x\n")]
    [InlineData("Col1,Col2\n1,ok\n2,\"closed\"junk\n3,x\n")]
    public async Task BrokenQuote_NamesRow(string csv)
    {
        var ex = await Assert.ThrowsAsync<DataFormatException>(() => ReadStringAsync(csv, DelimitedTextOptions.Csv));

        Assert.Equal(3, ex.RowNumber);
        Assert.StartsWith("Row 3", ex.Message);
    }

    [Fact]
    public async Task WrongFieldCount_NamesRow()
    {
        var ex = await Assert.ThrowsAsync<DataFormatException>(() => ReadStringAsync("A,B\n1,2\n3\n", DelimitedTextOptions.Csv));

        Assert.Equal(3, ex.RowNumber);
        Assert.Contains("1 fields but the header has 2", ex.Message);
    }

    [Fact]
    public async Task HeaderNotMatchingSchema_IsRow1()
    {
        var schema = new DataSchema(new ColumnSchema("Col1", ColumnType.Int32));

        var ex = await Assert.ThrowsAsync<DataFormatException>(() => ReadStringAsync("Other\n1\n", DelimitedTextOptions.Csv with { Schema = schema }));

        Assert.Equal(1, ex.RowNumber);
        Assert.Equal("Col1", ex.ColumnName);
    }

    [Fact]
    public async Task HeaderOnly_GivesNoBatchesAndStringColumns()
    {
        var (schema, batches) = await ReadStringAsync("A,B\n", DelimitedTextOptions.Csv);

        Assert.Equal(["A", "B"], schema.Names);
        Assert.All(schema, c => Assert.Equal(ColumnType.String, c.Type));
        Assert.Empty(batches);
    }

    [Fact]
    public async Task Batches_HaveTheRequestedSize()
    {
        var csv = "N\n" + string.Concat(Enumerable.Range(0, 10).Select(i => $"{i}\n"));

        var (_, batches) = await ReadStringAsync(csv, DelimitedTextOptions.Csv with { BatchSize = 4, InferenceRows = 3 });

        Assert.Equal([4, 4, 2], batches.Select(b => b.RowCount));
        Assert.Equal(Enumerable.Range(0, 10).Cast<object?>(), Rows(batches).Select(r => r[0]));
    }

    [Fact]
    public async Task Write_RejectsBatchOfAnotherSchema()
    {
        var other = new DataSchema(new ColumnSchema("X", ColumnType.Int32));

        await Assert.ThrowsAsync<InvalidOperationException>(() => WriteToStringAsync(other, AsAsync(AllTypesBatch()), DelimitedTextOptions.Csv));
    }

    [Fact]
    public async Task Streaming_OneMillionRows_ReadAndWrite_InBoundedMemory()
    {
        const int rows = 1_000_000;
        var schema = new DataSchema(
            new ColumnSchema("Id", ColumnType.Int32),
            new ColumnSchema("Value", ColumnType.Double),
            new ColumnSchema("Text", ColumnType.String));
        var dir = Directory.CreateTempSubdirectory("tollgate-data-");
        try
        {
            var input = Path.Combine(dir.FullName, "input.csv");
            var output = Path.Combine(dir.FullName, "output.tsv");
            // Bounded memory, checked without reading the process's heap (other tests run beside this one): every
            // batch goes out of reach once the next few are read and written, and the output grows as it streams.
            var writtenBatches = new List<WeakReference>();
            Assert.Equal(rows, await DelimitedTextWriter.WriteFileAsync(input, schema, Streamed(Generate(schema, rows), writtenBatches, null)));

            var readBatches = new List<WeakReference>();
            var outputSizes = new List<long>();
            await using (var reader = await DelimitedTextReader.OpenFileAsync(input))
            {
                Assert.Equal(schema, reader.Schema);
                var written = await DelimitedTextWriter.WriteFileAsync(output, reader.Schema, Streamed(reader.ReadBatchesAsync(), readBatches, () => outputSizes.Add(new FileInfo(output).Length)));
                Assert.Equal(rows, written);
                Assert.Equal(rows, reader.RowsRead);
            }

            Assert.Equal((rows + DataBatch.DefaultSize - 1) / DataBatch.DefaultSize, readBatches.Count);
            Assert.True(outputSizes.Count >= 3 && outputSizes[0] > 0 && outputSizes.Zip(outputSizes.Skip(1)).All(p => p.Second > p.First),
                $"The output did not grow while streaming: {string.Join(", ", outputSizes)} bytes.");
            Assert.True(new FileInfo(output).Length > 20_000_000);

            // Every BatchesBehind-th batch: a full collection, then every batch read more than BatchesBehind batches ago
            // must be gone (a reader or writer that kept rows would keep their batches).
            static async IAsyncEnumerable<DataBatch> Streamed(IAsyncEnumerable<DataBatch> batches, List<WeakReference> seen, Action? checkpoint)
            {
                const int BatchesBehind = 8;
                await foreach (var batch in batches)
                {
                    seen.Add(new WeakReference(batch));
                    if (seen.Count % (4 * BatchesBehind) == 0)
                    {
                        GC.Collect();
                        GC.WaitForPendingFinalizers();
                        GC.Collect();
                        var kept = seen.Take(seen.Count - BatchesBehind).Count(w => w.IsAlive);
                        Assert.True(kept == 0, $"{kept} batches read before batch {seen.Count - BatchesBehind} are still reachable.");
                        checkpoint?.Invoke();
                    }

                    yield return batch;
                }
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async IAsyncEnumerable<DataBatch> Generate(DataSchema schema, int rows)
    {
        var builder = new DataBatchBuilder(schema);
        var ids = (ValueColumnBuilder<int>)builder.Columns[0];
        var values = (ValueColumnBuilder<double>)builder.Columns[1];
        var texts = (StringColumnBuilder)builder.Columns[2];
        for (var i = 0; i < rows; i++)
        {
            ids.Append(i);
            values.Append(i * 0.25);
            texts.Append(i % 10 == 0 ? null : "row, " + i);
            if (ids.Count == DataBatch.DefaultSize || i == rows - 1)
            {
                yield return builder.Build();
                await Task.Yield();
            }
        }
    }
}
