using System.Text.Json.Nodes;
using Tollgate.Portal.Analytics;
using Tollgate.Portal.Developer;

namespace Tollgate.UnitTests.Portal;

/// <summary>What the developer portal computes from the branding (colours, theme) and from the usage reports (totals).</summary>
public sealed class DeveloperBrandingTests
{
    [Theory]
    [InlineData("#0f6cbd", "#ffffff")] // Tollgate's blue: white text
    [InlineData("#ffd700", "#242424")] // gold: dark text
    [InlineData("#ffffff", "#242424")]
    [InlineData("#000000", "#ffffff")]
    [InlineData("#8a2be2", "#ffffff")]
    public void TextOnTheBrandColour_IsWhateverReadsBetter(string brand, string text)
    {
        var rgb = BrandColors.Parse(brand)!.Value;
        Assert.Equal(text, BrandColors.TextOn(rgb));
        Assert.True(BrandColors.Contrast(rgb, BrandColors.Parse(text)!.Value) >= 4.5, $"{text} on {brand} has too little contrast");
    }

    [Fact]
    public void Contrast_IsWcags_AndShadesDarken()
    {
        Assert.Equal(21, BrandColors.Contrast((0, 0, 0), (255, 255, 255)), 3);
        Assert.Equal(1, BrandColors.Contrast((10, 20, 30), (10, 20, 30)), 3);
        Assert.Equal("#0d5ca1", BrandColors.Format(BrandColors.Shade(BrandColors.Parse("#0f6cbd")!.Value, 0.15)));
        Assert.Equal((170, 187, 204), BrandColors.Parse("#abc")!.Value);
        Assert.Null(BrandColors.Parse("#abcd"));
        Assert.Null(BrandColors.Parse("blue"));
    }

    [Fact]
    public void Branding_FromManagement_GivesCssVariablesAndTheTheme_TheVisitorsChoiceFirst()
    {
        var branding = Branding.From(JsonNode.Parse("""{"properties":{"primaryColor":"#ffd700","defaultTheme":"dark","logo":{"contentType":"image/png","hash":"abc123"}}}""") as JsonObject);
        Assert.Equal(new Branding("#ffd700", "dark", "abc123"), branding);
        Assert.Equal("--tg-brand: #ffd700; --tg-brand-hover: #d9b700; --tg-on-brand: #242424;", branding.CssVariables());
        Assert.Equal("dark", branding.ThemeFor(null));
        Assert.Equal("light", branding.ThemeFor("light"));
        Assert.Equal("dark", branding.ThemeFor("<script>"));

        // Nothing set, or what is not a colour: the portal's own colours, never an injected style.
        Assert.Equal("", Branding.From(null).CssVariables());
        Assert.Equal("", Branding.From(JsonNode.Parse("""{"properties":{"primaryColor":"red;}body{display:none"}}""") as JsonObject).CssVariables());
        Assert.Equal("light", Branding.From(JsonNode.Parse("""{"properties":{"defaultTheme":"sepia"}}""") as JsonObject).DefaultTheme);
    }

    [Fact]
    public void UsageTotals_AddTheClasses_AndWeighTheResponseTimeByCalls()
    {
        var rows = new[]
        {
            JsonNode.Parse("""{"callCountTotal":3,"callCountSuccess":2,"callCountBlocked":1,"callCountFailed":0,"bandwidth":300,"apiTimeAvg":10.0}""")!.AsObject(),
            JsonNode.Parse("""{"callCountTotal":1,"callCountSuccess":0,"callCountBlocked":0,"callCountFailed":1,"bandwidth":100,"apiTimeAvg":50.0}""")!.AsObject(),
            JsonNode.Parse("""{"callCountTotal":0}""")!.AsObject(),
        };
        var totals = UsageTotals.Of(rows);
        Assert.Equal(new UsageTotals(4, 2, 1, 1, 400, 20), totals);
        Assert.Equal(0, UsageTotals.Of([]).AvgMs);
        Assert.Equal("1.5 KB", UsageTotals.Bytes(1536));
        Assert.Equal("1 minute", UsageTotals.Period(60));
        Assert.Equal("7 days", UsageTotals.Period(604800));
        Assert.Equal("90 seconds", UsageTotals.Period(90));
    }

    [Fact]
    public void Buckets_FillTheRangeWithEmptyBuckets_AlignedOnTheEpoch_KeepingTheReportsRows()
    {
        var from = new DateTimeOffset(2026, 12, 4, 10, 20, 0, TimeSpan.Zero);
        var to = from.AddHours(1);
        var rows = new[]
        {
            JsonNode.Parse("""{"timestamp":"2026-12-04T10:45:00Z","callCountTotal":7}""")!.AsObject(),
            JsonNode.Parse("""{"timestamp":"2026-12-04T10:52:00Z","callCountTotal":1}""")!.AsObject(), // not on the grid: kept
        };
        var buckets = UsageTotals.Buckets(rows, from, to, TimeSpan.FromMinutes(15));
        Assert.Equal(["10:15", "10:30", "10:45", "10:52", "11:00", "11:15"], buckets.Select(b => b.Start.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal([0L, 0, 7, 1, 0, 0], buckets.Select(b => ReportQuery.Count(b.Row, "callCountTotal")));
        Assert.Equal("2026-12-04T10:15:00Z", (string?)buckets[0].Row["timestamp"]);
        Assert.Equal(8, UsageTotals.Of(buckets.Select(b => b.Row)).Calls);

        var days = UsageTotals.Buckets([], from.AddDays(-30), from, TimeSpan.FromDays(1));
        Assert.Equal(31, days.Count);
        Assert.All(days, d => Assert.Equal(TimeSpan.Zero, d.Start.TimeOfDay));
    }
}
