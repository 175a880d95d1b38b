using System.Globalization;
using System.Text.Json.Nodes;

namespace Tollgate.Portal.Developer;

/// <summary>
/// The developer portal's branding as management keeps it (<c>…/portalsettings/branding</c>): the primary colour, the
/// default theme and the logo's fingerprint; the organization name is the instance's <c>publisherName</c>.
/// </summary>
public sealed record Branding(string? PrimaryColor, string DefaultTheme, string? LogoHash)
{
    /// <summary>The cookie holding the theme a visitor picked (<c>light</c> or <c>dark</c>).</summary>
    public const string ThemeCookie = "tollgate-theme";

    public static readonly Branding Default = new(null, "light", null);

    /// <summary>Reads the management API's answer; anything unexpected is the default.</summary>
    public static Branding From(JsonObject? body)
    {
        var p = body?["properties"] as JsonObject;
        if (p is null)
        {
            return Default;
        }

        var color = (p["primaryColor"] as JsonValue)?.TryGetValue<string>(out var c) == true ? BrandColors.Parse(c) is null ? null : c : null;
        var theme = (string?)(p["defaultTheme"] as JsonValue) is "dark" ? "dark" : "light";
        var hash = p["logo"] is JsonObject logo ? (string?)logo["hash"] : null;
        return new Branding(color, theme, hash);
    }

    /// <summary>The theme shown: the visitor's choice when it is one, else the publisher's default.</summary>
    public string ThemeFor(string? cookie) => cookie is "light" or "dark" ? cookie : DefaultTheme;

    /// <summary>
    /// The CSS custom properties the layout sets (<c>--tg-brand</c>, its hover shade, the text colour on it), or ""
    /// for the portal's own colours.
    /// </summary>
    public string CssVariables()
    {
        if (PrimaryColor is null || BrandColors.Parse(PrimaryColor) is not { } rgb)
        {
            return "";
        }

        var hover = BrandColors.Format(BrandColors.Shade(rgb, 0.15));
        return $"--tg-brand: {PrimaryColor}; --tg-brand-hover: {hover}; --tg-on-brand: {BrandColors.TextOn(rgb)};";
    }
}

/// <summary>Colour arithmetic for the branding: parsing <c>#rrggbb</c>, shades, and a readable text colour (WCAG contrast).</summary>
public static class BrandColors
{
    /// <summary>The colour of <c>#rrggbb</c> or <c>#rgb</c>, else null.</summary>
    public static (int R, int G, int B)? Parse(string? hex)
    {
        var h = hex?.Trim() ?? "";
        if (h.Length == 4 && h[0] == '#')
        {
            h = $"#{h[1]}{h[1]}{h[2]}{h[2]}{h[3]}{h[3]}";
        }

        if (h.Length != 7 || h[0] != '#' || !int.TryParse(h.AsSpan(1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var n))
        {
            return null;
        }

        return ((n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
    }

    public static string Format((int R, int G, int B) c) => $"#{c.R:x2}{c.G:x2}{c.B:x2}";

    /// <summary>The colour darkened by <paramref name="amount"/> (0 to 1).</summary>
    public static (int R, int G, int B) Shade((int R, int G, int B) c, double amount) =>
        ((int)Math.Round(c.R * (1 - amount)), (int)Math.Round(c.G * (1 - amount)), (int)Math.Round(c.B * (1 - amount)));

    /// <summary>WCAG relative luminance.</summary>
    public static double Luminance((int R, int G, int B) c)
    {
        static double Channel(int v)
        {
            var s = v / 255.0;
            return s <= 0.03928 ? s / 12.92 : Math.Pow((s + 0.055) / 1.055, 2.4);
        }

        return 0.2126 * Channel(c.R) + 0.7152 * Channel(c.G) + 0.0722 * Channel(c.B);
    }

    /// <summary>WCAG contrast ratio of two colours (1 to 21).</summary>
    public static double Contrast((int R, int G, int B) a, (int R, int G, int B) b)
    {
        var (l1, l2) = (Luminance(a), Luminance(b));
        return (Math.Max(l1, l2) + 0.05) / (Math.Min(l1, l2) + 0.05);
    }

    /// <summary>White or near-black, whichever reads better on <paramref name="background"/>.</summary>
    public static string TextOn((int R, int G, int B) background) =>
        Contrast(background, (255, 255, 255)) >= Contrast(background, (0x24, 0x24, 0x24)) ? "#ffffff" : "#242424";
}
