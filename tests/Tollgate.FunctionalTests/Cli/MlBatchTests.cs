using System.Text;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.FunctionalTests.Studio;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Cli;

/// <summary><c>tollgate ml batch</c> against a real Studio and a real Azurite, side by side with the tutorial's BES sample client.</summary>
public sealed class MlBatchTests
{
    [Fact]
    public async Task Batch_OfAHundredThousandRows_ShowsItsStepsAndWritesWhatTheSampleClientWrites()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        await using var host = await StudioHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Studio:AllowedStorageHosts"] = $"127.0.0.1:{azurite.Port}" });
        var service = await host.PublishTutorialAsync();
        using var cli = new CliClient();
        var input = Path.Combine(cli.ConfigHome, "input.csv");
        var reviews = new[] { "This is a good day", "I loved this book", "Dull, and far too long", "Five \"stars\"" };
        var csv = new StringBuilder("Col1,Col2\n");
        for (var i = 0; i < 100_000; i++)
        {
            var review = $"{reviews[i % reviews.Length]} {i}";
            csv.Append(i % 5).Append(',').Append(review.IndexOfAny([',', '"']) >= 0 ? "\"" + review.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : review).Append('\n');
        }

        await File.WriteAllTextAsync(input, csv.ToString());

        var output = Path.Combine(cli.ConfigHome, "out", "scored.csv");
        var run = await cli.OkAsync("ml", "batch", service.ApiLocation, "--input", input, "--output", output,
            "--api-key", service.PrimaryKey, "--storage", azurite.ConnectionString, "--container", "cli");
        Assert.Matches(@"Upload: uploaded [\d,]+ bytes to cli/input/", run.Stderr);
        Assert.Matches(@"Job [0-9a-f-]+: submitted and started", run.Stderr);
        Assert.Contains(": finished", run.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"Download: wrote [\d,]+ bytes to .*scored\.csv", run.Stderr);

        var (code, sampleOutput) = await SampleClientTests.RunAsync("bes.py", new()
        {
            ["BES_URL"] = service.ApiLocation,
            ["API_KEY"] = service.PrimaryKey,
            ["STORAGE_CONNECTION_STRING"] = azurite.ConnectionString,
            ["STORAGE_CONTAINER"] = "sample",
            ["INPUT_FILE"] = input,
            ["OUTPUT_FILE"] = "sample.csv",
        }, cli.ConfigHome);
        Assert.True(code == 0, sampleOutput);

        var ours = await File.ReadAllBytesAsync(output);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(cli.ConfigHome, "sample.csv")), ours);
        var lines = Encoding.UTF8.GetString(ours).TrimEnd('\n').Split('\n');
        Assert.Equal(100_001, lines.Length);
        Assert.StartsWith("Col2,Col2_HashingFeature.0,", lines[0], StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(output)!, "*.partial"));
    }

    [Fact]
    public async Task Batch_WithBadInput_SaysWhatIsWrong_AndAFailedJobExitsNonZero()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        await using var host = await StudioHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Studio:AllowedStorageHosts"] = $"127.0.0.1:{azurite.Port}" });
        var service = await host.PublishTutorialAsync();
        using var cli = new CliClient();
        var input = Path.Combine(cli.ConfigHome, "input.csv");
        await File.WriteAllTextAsync(input, "Col1,Col2\n1,fine\n");
        string[] Args(params string[] extra) => ["ml", "batch", service.ApiLocation, "--input", input, "--output", Path.Combine(cli.ConfigHome, "o.csv"), .. extra];

        var noStorage = await cli.RunAsync(Args("--api-key", service.PrimaryKey));
        Assert.Equal(1, noStorage.Code);
        Assert.Contains("--storage", noStorage.Stderr, StringComparison.Ordinal);

        var badOutput = await cli.RunAsync(["ml", "batch", service.ApiLocation, "--input", input, "--output", "o.xlsx", "--api-key", service.PrimaryKey, "--storage", azurite.ConnectionString]);
        Assert.Matches("^tollgate: --output: o.xlsx is neither .csv nor .tsv", badOutput.Stderr);

        var wrongKey = await cli.RunAsync(Args("--api-key", "wrong", "--storage", azurite.ConnectionString));
        Assert.Equal(1, wrongKey.Code);
        Assert.Contains("401", wrongKey.Stderr, StringComparison.Ordinal);

        // A CSV without the column the service reads: the job fails and its details are shown.
        await File.WriteAllTextAsync(input, "Other\nx\n");
        var failed = await cli.RunAsync(Args("--api-key", service.PrimaryKey, "--storage", azurite.ConnectionString));
        Assert.Equal(1, failed.Code);
        Assert.Matches(@"tollgate: (The job [0-9a-f-]+ ended Failed: .+|.*Col2.*)", failed.Stderr);
        Assert.False(File.Exists(Path.Combine(cli.ConfigHome, "o.csv")));
    }
}
