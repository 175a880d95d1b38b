using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;

namespace Tollgate.FunctionalTests.Cli;

/// <summary><c>tollgate ml invoke</c> against a real Studio with the tutorial's web service published.</summary>
public sealed class MlInvokeTests : PublishedTutorialTests
{
    private string ServiceUrl => Host.Url.TrimEnd('/') + Host.ServicePath(Service.EndpointId);

    [Fact]
    public async Task Invoke_WithCsvOrJsonRows_PrintsTheScores()
    {
        using var cli = new CliClient();
        var csv = Path.Combine(cli.ConfigHome, "rows.csv");
        await File.WriteAllTextAsync(csv, "Col2\nThis is a good day\n\"I loved this book, truly\"\n");

        var table = await cli.OkAsync("ml", "invoke", ServiceUrl, "--api-key", Service.PrimaryKey, "--input", csv, "--output", "csv");
        var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("Col2,Col2_HashingFeature.0,", lines[0], StringComparison.Ordinal);
        Assert.Equal("This is a good day,1,1,2,2,0,2,0,1", lines[1].Trim());
        Assert.Equal(3, lines.Length);

        var json = Path.Combine(cli.ConfigHome, "rows.json");
        await File.WriteAllTextAsync(json, """[{"Col2":"This is a good day"}]""");
        var answer = JsonNode.Parse((await cli.OkAsync("ml", "invoke", ServiceUrl, "--api-key", Service.PrimaryKey, "--input", json, "--output", "json")).Stdout)!;
        Assert.Equal("2", (string?)answer["Results"]!["output1"]!["value"]!["Values"]![0]![3]);
        Assert.Contains("Col2_HashingFeature.7", (await cli.OkAsync("ml", "invoke", ServiceUrl, "--api-key", Service.PrimaryKey, "-i", csv)).Stdout, StringComparison.Ordinal);

        var wrong = await cli.RunAsync("ml", "invoke", ServiceUrl, "--api-key", "wrong", "--input", csv);
        Assert.Equal(1, wrong.Code);
        Assert.Matches("^tollgate: .*Unauthorized.*\n$", wrong.Stderr);
        var broken = Path.Combine(cli.ConfigHome, "broken.json");
        await File.WriteAllTextAsync(broken, "[{\"Col2\":\n");
        Assert.Matches("^tollgate: .*broken.json:2: not valid JSON", (await cli.RunAsync("ml", "invoke", ServiceUrl, "--api-key", Service.PrimaryKey, "--input", broken)).Stderr);
    }
}
