using System.Text.Json.Nodes;
using Tollgate.Portal.Studio;

namespace Tollgate.UnitTests.Portal;

/// <summary>What Studio's pages compute themselves: Visualize's median, standard deviation and histogram, and the sample code's literals.</summary>
public sealed class StudioPagesTests
{
    private static List<JsonArray> Rows(params string?[] values) => values.Select(v => new JsonArray((JsonNode?)v)).ToList();

    [Fact]
    public void Profile_OfNumbers_HasTheMedian_TheSampleStandardDeviation_AndEqualWidthBins()
    {
        var profile = ColumnProfile.Of(Rows("1.5", "2", "3", "4", "100", null, ""), 0)!;
        Assert.Equal(3, profile.Median); // 1.5 2 3 4 100: the middle value
        Assert.Equal(43.5580, profile.StandardDeviation!.Value, 4);
        Assert.Equal(ColumnProfile.MaxBins, profile.Bins.Count);
        Assert.Equal(4, profile.Bins[0].Count);
        Assert.Equal(1, profile.Bins[^1].Count);
        Assert.Equal("1.5 to 11.35", profile.Bins[0].Label);

        var even = ColumnProfile.Of(Rows("1.5", "2.5", "10", "20"), 0)!;
        Assert.Equal(6.25, even.Median);
    }

    [Fact]
    public void Profile_OfFewIntegers_HasOneBarPerValue_AndOfText_TheMostFrequentValues_OrNoneWhenAllDiffer()
    {
        var ratings = ColumnProfile.Of(Rows("5", "4", "5", "1"), 0)!;
        Assert.Equal(["1: 1", "4: 1", "5: 2"], ratings.Bins.Select(b => $"{b.Label}: {b.Count}"));
        Assert.Equal("Histogram of Rating: 1: 1, 4: 1, 5: 2", ratings.Describe("Rating"));

        var words = ColumnProfile.Of(Rows("b", "a", "b", "c"), 0)!;
        Assert.Null(words.Median);
        Assert.Equal(["b: 2", "a: 1", "c: 1"], words.Bins.Select(b => $"{b.Label}: {b.Count}"));
        Assert.Empty(ColumnProfile.Of(Rows("x", "y"), 0)!.Bins);
        Assert.Null(ColumnProfile.Of(Rows(null, ""), 0));
    }

    [Fact]
    public void Samples_PutEveryTextInALiteral_SoQuotesAndBackslashesInNamesCannotBreakTheCode()
    {
        var code = new SampleCode();
        var model = new SampleModel("Say \"hi\" \\ bye", "http://127.0.0.1:5082/workspaces/w/services/s", "k+/=", "input1", ["Col\"2"], ["a \"b\""], "output1");
        var python = code.Render("rrs.py", model);
        Assert.Contains("url = \"http://127.0.0.1:5082/workspaces/w/services/s/execute?api-version=2.0&details=true\"", python);
        Assert.Contains("api_key = \"k+/=\"", python);
        Assert.Contains("# Request-response (RRS) sample for the web service \"Say \\\"hi\\\" \\\\ bye\".", python);
        var body = python.Split('\n').Single(l => l.StartsWith("body = json.loads(", StringComparison.Ordinal));
        var literal = body["body = json.loads(".Length..^1];
        var request = JsonNode.Parse(JsonNode.Parse(literal)!.GetValue<string>())!;
        Assert.Equal("a \"b\"", (string?)request["Inputs"]!["input1"]!["Values"]![0]![0]);
        Assert.Equal("Col\"2", (string?)request["Inputs"]!["input1"]!["ColumnNames"]![0]);
        foreach (var (_, _, file) in SampleCode.Kinds)
        {
            Assert.Contains("\"k+/=\"", code.Render(file, model));
        }
    }
}
