using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using Tollgate.Studio.Data;
using Tollgate.Studio.Modules;

// Feature Hashing of the same 1,000,000-row CSV (bitsize 10, n-grams 2), in one process, interleaved:
//   tollgate-hash   : Sylvan CSV reader -> typed batches -> FeatureHashingModule (dense 1024 Int32 counts per row)
//   tollgate-csv    : the same, then CsvBatchWriter to a null stream (what BES does, without the blob upload)
//   mlnet-ngrams    : ML.NET LoadFromTextFile -> ProduceHashedWordBags(10 bits, 2-grams, all lengths): its tokenizer and
//                     n-gram hashing transform in one, read through a row cursor (sparse float vector of 1024 per row).
//                     (ProduceHashedNgrams itself needs key-typed tokens, i.e. a MapValueToKey dictionary pass first.)
// Usage: HashingBench [rows=1000000] [reps=3] [file]
var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
var reps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
var file = args.Length > 2 ? args[2] : Path.Combine(Path.GetTempPath(), $"tollgate-hashing-{rows}.csv");
if (!File.Exists(file))
{
    var phrases = new[] { "This is a good day", "I loved this book", "The plot never gets going", "A wonderful story and highly recommended", "Not for everyone 2015" };
    using var writer = new StreamWriter(file, false, new UTF8Encoding(false));
    writer.Write("Col1,Col2\n");
    for (var i = 0; i < rows; i++)
    {
        writer.Write($"{i % 5 + 1},{phrases[i % phrases.Length]} number {i}\n");
    }
}

var bits = int.TryParse(Environment.GetEnvironmentVariable("BITS"), out var b) ? b : 10;
var schema = new DataSchema(new ColumnSchema("Col1", ColumnType.Int32), new ColumnSchema("Col2", ColumnType.String));

async Task<long> Tollgate(bool writeCsv)
{
    var options = DelimitedTextOptions.Csv with { Schema = schema, BatchSize = 1024 };
    await using var reader = await DelimitedTextReader.OpenFileAsync(file, options);
    var module = new FeatureHashingModule(schema, ColumnSelection.ByName("Col2"), bits, 2);
    await using var csv = new CsvBatchWriter(Stream.Null, module.OutputSchema);
    long n = 0;
    long check = 0;
    await foreach (var batch in reader.ReadBatchesAsync())
    {
        var output = module.Transform(batch);
        n += output.RowCount;
        check += (int)output[2].GetValue(0)!;
        if (writeCsv)
        {
            await csv.WriteAsync(output, CancellationToken.None);
        }
    }

    await csv.CompleteAsync(CancellationToken.None);
    return n + (check < 0 ? 1 : 0);
}

long MlNet()
{
    var ml = new MLContext(seed: 0);
    var data = ml.Data.LoadFromTextFile<ReviewRow>(file, separatorChar: ',', hasHeader: true);
    var pipeline = ml.Transforms.Text.ProduceHashedWordBags("Features", "Col2", numberOfBits: bits, ngramLength: 2, useAllLengths: true);
    var transformed = pipeline.Fit(data).Transform(data);
    var column = transformed.Schema["Features"];
    using var cursor = transformed.GetRowCursor([column]);
    var getter = cursor.GetGetter<VBuffer<float>>(column);
    VBuffer<float> features = default;
    long n = 0;
    while (cursor.MoveNext())
    {
        getter(ref features);
        n++;
    }

    return n;
}

var results = new Dictionary<string, List<double>> { ["tollgate-hash"] = [], ["tollgate-csv"] = [], ["mlnet-ngrams"] = [] };
Console.WriteLine($"file {file} ({new FileInfo(file).Length / 1e6:F0} MB, {rows} rows), warming up…");
await Tollgate(false);
MlNet();
for (var r = 0; r < reps; r++)
{
    foreach (var name in results.Keys)
    {
        var clock = Stopwatch.StartNew();
        var n = name switch
        {
            "tollgate-hash" => await Tollgate(false),
            "tollgate-csv" => await Tollgate(true),
            _ => MlNet(),
        };
        var seconds = clock.Elapsed.TotalSeconds;
        if (n != rows)
        {
            throw new InvalidOperationException($"{name} saw {n} rows, expected {rows}");
        }

        results[name].Add(rows / seconds);
        Console.WriteLine($"rep {r + 1} {name,-14} {seconds,7:F2} s  {rows / seconds,12:N0} rows/s");
    }
}

Console.WriteLine();
Console.WriteLine("| pipeline | median rows/s | ÷ ML.NET |");
Console.WriteLine("|---|---:|---:|");
var mlnet = Median(results["mlnet-ngrams"]);
foreach (var (name, values) in results)
{
    Console.WriteLine($"| {name} | {Median(values):N0} | {Median(values) / mlnet:F2} |");
}

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

internal sealed class ReviewRow
{
    [LoadColumn(0)]
    public int Col1 { get; set; }

    [LoadColumn(1)]
    public string Col2 { get; set; } = "";
}
