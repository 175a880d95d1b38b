using System.Text;
using System.Text.Json.Nodes;
using Tollgate.Management.Services;

namespace Tollgate.UnitTests.Management;

/// <summary>The branding's rules: hex colours, themes, logos that are what they say (and at most 256 KB), SVGs sanitized.</summary>
public sealed class PortalBrandingTests
{
    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];

    [Theory]
    [InlineData("#0F6CBD", "#0f6cbd")]
    [InlineData(" #abc ", "#aabbcc")]
    [InlineData("#123456", "#123456")]
    [InlineData("0f6cbd", null)]
    [InlineData("#12345", null)]
    [InlineData("#gggggg", null)]
    [InlineData("red", null)]
    [InlineData("#0f6cbd;background:url(x)", null)]
    [InlineData("", null)]
    public void NormalizeColor_TakesHashAndThreeOrSixHexDigits(string input, string? expected) =>
        Assert.Equal(expected, PortalBranding.NormalizeColor(input));

    [Fact]
    public void Check_CollectsEveryProblem_EachNamingItsField()
    {
        var (settings, logo, _, errors) = PortalBranding.Check(new JsonObject
        {
            ["primaryColor"] = "blue", ["defaultTheme"] = "sepia", ["logo"] = new JsonObject { ["contentType"] = "image/gif", ["value"] = "R0lG" }, ["font"] = "Comic",
        }, null, patch: false);
        Assert.Null(settings);
        Assert.Null(logo);
        Assert.Equal(["primaryColor", "defaultTheme", "logo.contentType", "font"], errors.Select(e => e.Target));
        Assert.Contains("#0f6cbd", errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_Patch_KeepsWhatItLeavesOut_AndPut_ResetsIt()
    {
        var current = new JsonObject { ["primaryColor"] = "#aa0000", ["defaultTheme"] = "dark", ["logo"] = new JsonObject { ["hash"] = "x" } };
        var (patched, _, keepLogo, errors) = PortalBranding.Check(new JsonObject { ["defaultTheme"] = "light" }, current, patch: true);
        Assert.Empty(errors);
        Assert.Equal("#aa0000", (string?)patched!["primaryColor"]);
        Assert.Equal("light", (string?)patched["defaultTheme"]);
        Assert.True(keepLogo);

        var (put, _, keepOnPut, _) = PortalBranding.Check(new JsonObject { ["primaryColor"] = "#ABC" }, current, patch: false);
        Assert.Equal("#aabbcc", (string?)put!["primaryColor"]);
        Assert.Equal("light", (string?)put["defaultTheme"]);
        Assert.False(keepOnPut);

        var (_, _, keepAfterRemoval, _) = PortalBranding.Check(new JsonObject { ["logo"] = null }, current, patch: true);
        Assert.False(keepAfterRemoval);
    }

    [Fact]
    public void Logo_MustBeWhatItsContentTypeSays_AndAtMost256KB()
    {
        JsonObject Logo(string type, byte[] content) => new() { ["logo"] = new JsonObject { ["contentType"] = type, ["value"] = Convert.ToBase64String(content) } };

        var (_, png, _, ok) = PortalBranding.Check(Logo("image/png", Png), null, patch: false);
        Assert.Empty(ok);
        Assert.Equal(Png, png!.Content);
        Assert.Equal(16, png.Hash.Length);

        var (_, _, _, notPng) = PortalBranding.Check(Logo("image/png", Encoding.UTF8.GetBytes("<svg xmlns='http://www.w3.org/2000/svg'/>")), null, patch: false);
        Assert.Equal("logo.value", Assert.Single(notPng).Target);
        Assert.Contains("not a PNG", notPng[0].Message, StringComparison.Ordinal);

        var (_, _, _, notJpeg) = PortalBranding.Check(Logo("image/jpeg", Png), null, patch: false);
        Assert.Contains("not a JPEG", Assert.Single(notJpeg).Message, StringComparison.Ordinal);

        var big = new byte[PortalBranding.MaxLogoBytes + 1];
        Png.CopyTo(big, 0);
        var (_, _, _, tooBig) = PortalBranding.Check(Logo("image/png", big), null, patch: false);
        Assert.Contains("larger than 256 KB", Assert.Single(tooBig).Message, StringComparison.Ordinal);

        var (_, _, _, notBase64) = PortalBranding.Check(new JsonObject { ["logo"] = new JsonObject { ["contentType"] = "image/png", ["value"] = "***" } }, null, patch: false);
        Assert.Equal("logo.value", Assert.Single(notBase64).Target);
    }

    [Fact]
    public void Svg_LosesScriptsHandlersForeignObjectsAndOutsideReferences_AndKeepsTheDrawing()
    {
        const string Svg = """
            <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40" height="40" onload="alert(1)">
              <script>alert(2)</script>
              <defs><linearGradient id="g"><stop offset="0" stop-color="#f00"/></linearGradient></defs>
              <rect width="40" height="40" fill="url(#g)" onclick="alert(3)"/>
              <a href="javascript:alert(4)"><circle r="4"/></a>
              <image xlink:href="https://tracker.example/pixel.png" width="1" height="1"/>
              <use href="#g"/>
              <foreignObject><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>
              <style>@import url(https://evil.example/x.css);</style>
              <text x="4" y="20" style="fill: url(https://evil.example/f)">Contoso</text>
            </svg>
            """;
        var clean = Encoding.UTF8.GetString(PortalBranding.SanitizeSvg(Encoding.UTF8.GetBytes(Svg))!);
        foreach (var gone in new[] { "onload", "onclick", "<script", "alert", "javascript:", "tracker.example", "foreignObject", "evil.example" })
        {
            Assert.DoesNotContain(gone, clean, StringComparison.OrdinalIgnoreCase);
        }

        foreach (var kept in new[] { "<rect", "fill=\"url(#g)\"", "<use href=\"#g\"", "Contoso", "linearGradient", "<circle" })
        {
            Assert.Contains(kept, clean, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("<html><body/></html>")]
    [InlineData("not xml at all")]
    [InlineData("<!DOCTYPE svg [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><svg xmlns=\"http://www.w3.org/2000/svg\">&x;</svg>")]
    public void Svg_ThatIsNotAnSvgDocument_OrHasADtd_IsRefused(string text)
    {
        Assert.Null(PortalBranding.SanitizeSvg(Encoding.UTF8.GetBytes(text)));
        var (content, problem) = PortalBranding.CheckImage(Encoding.UTF8.GetBytes(text), "image/svg+xml");
        Assert.Null(content);
        Assert.Contains("not an SVG", problem, StringComparison.Ordinal);
    }
}
