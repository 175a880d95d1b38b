using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using Tollgate.Core.Resources;

namespace Tollgate.Management.Services;

/// <summary>A logo as stored: its bytes (an SVG already sanitized) and content type.</summary>
public sealed record BrandingLogo(byte[] Content, string ContentType)
{
    /// <summary>A short fingerprint of the content (for <c>ETag</c> and cache-busting addresses).</summary>
    public string Hash => Convert.ToHexStringLower(SHA256.HashData(Content))[..16];
}

/// <summary>
/// The developer portal's branding rules (<c>…/portalsettings/branding</c>, a Tollgate extension next to APIM's
/// <c>signin</c>, <c>signup</c> and <c>delegation</c> portal settings): a primary colour in hex, the default theme, and a
/// logo of at most <see cref="MaxLogoBytes"/> that must be what its content type says (PNG, JPEG or SVG). An SVG is
/// sanitized: no script, no event handler, no foreign object, no reference outside the document.
/// </summary>
public static partial class PortalBranding
{
    /// <summary>The largest logo accepted (decoded), 256 KB.</summary>
    public const int MaxLogoBytes = 256 * 1024;

    public static readonly IReadOnlyList<string> Themes = ["light", "dark"];

    public static readonly IReadOnlyList<string> LogoTypes = ["image/png", "image/jpeg", "image/svg+xml"];

    private static readonly HashSet<string> DroppedSvgElements = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "foreignObject", "iframe", "embed", "object", "audio", "video", "handler", "listener",
    };

    /// <summary>A colour as the store keeps it (<c>#rrggbb</c>, lower case), or null when it is not <c>#rgb</c> or <c>#rrggbb</c>.</summary>
    public static string? NormalizeColor(string? text)
    {
        var value = text?.Trim() ?? "";
        if (!HexColor().IsMatch(value))
        {
            return null;
        }

        value = value.ToLowerInvariant();
        return value.Length == 4 ? $"#{value[1]}{value[1]}{value[2]}{value[2]}{value[3]}{value[3]}" : value;
    }

    /// <summary>
    /// Checks the <c>properties</c> of a PUT or PATCH (<paramref name="current"/> is what is stored; a PATCH keeps what it
    /// leaves out) and returns what to store, or every problem, each naming its field.
    /// </summary>
    public static (JsonObject? Settings, BrandingLogo? Logo, bool KeepLogo, IReadOnlyList<ValidationError> Errors) Check(JsonObject properties, JsonObject? current, bool patch)
    {
        var errors = new List<ValidationError>();
        var settings = new JsonObject
        {
            ["primaryColor"] = patch ? current?["primaryColor"]?.DeepClone() : null,
            ["defaultTheme"] = patch ? current?["defaultTheme"]?.DeepClone() ?? "light" : "light",
        };

        if (Field(properties, "primaryColor", out var color))
        {
            if (color is null)
            {
                settings["primaryColor"] = null;
            }
            else if (color is JsonValue v && v.GetValueKind() == JsonValueKind.String && NormalizeColor(v.GetValue<string>()) is { } normalized)
            {
                settings["primaryColor"] = normalized;
            }
            else
            {
                errors.Add(new ValidationError("primaryColor", "'primaryColor' must be a hex colour: # and 6 (or 3) hex digits, such as #0f6cbd."));
            }
        }

        if (Field(properties, "defaultTheme", out var theme))
        {
            var text = theme is JsonValue t && t.GetValueKind() == JsonValueKind.String ? t.GetValue<string>().Trim().ToLowerInvariant() : null;
            if (text is not null && Themes.Contains(text))
            {
                settings["defaultTheme"] = text;
            }
            else if (theme is null)
            {
                settings["defaultTheme"] = "light";
            }
            else
            {
                errors.Add(new ValidationError("defaultTheme", "'defaultTheme' must be 'light' or 'dark'."));
            }
        }

        BrandingLogo? logo = null;
        var keepLogo = patch;
        if (Field(properties, "logo", out var logoNode))
        {
            keepLogo = false;
            if (logoNode is JsonObject logoObject)
            {
                logo = CheckLogo(logoObject, errors);
            }
            else if (logoNode is not null)
            {
                errors.Add(new ValidationError("logo", "'logo' must be an object {\"contentType\": \"image/png\", \"value\": \"<base64>\"}, or null to remove it."));
            }
        }

        foreach (var unknown in properties.Select(p => p.Key).Where(k => k is not ("primaryColor" or "defaultTheme" or "logo")))
        {
            errors.Add(new ValidationError(unknown, $"'{unknown}' is not a branding setting: use primaryColor, defaultTheme and logo (the organization name is the instance's publisherName)."));
        }

        return errors.Count > 0 ? (null, null, false, errors) : (settings, logo, keepLogo, []);
    }

    private static BrandingLogo? CheckLogo(JsonObject logo, List<ValidationError> errors)
    {
        var contentType = (logo["contentType"] as JsonValue)?.TryGetValue<string>(out var ct) == true ? ct.Trim().ToLowerInvariant() : null;
        if (contentType is null || !LogoTypes.Contains(contentType))
        {
            errors.Add(new ValidationError("logo.contentType", $"'logo.contentType' must be one of {string.Join(", ", LogoTypes)}."));
            return null;
        }

        var base64 = (logo["value"] as JsonValue)?.TryGetValue<string>(out var b) == true ? b : null;
        if (string.IsNullOrEmpty(base64))
        {
            errors.Add(new ValidationError("logo.value", "'logo.value' is required: the image, base64-encoded."));
            return null;
        }

        // A quick bound before decoding: 4 characters per 3 bytes.
        if (base64.Length > (MaxLogoBytes + 2) / 3 * 4 + 4)
        {
            errors.Add(new ValidationError("logo.value", $"The logo is larger than {MaxLogoBytes / 1024} KB."));
            return null;
        }

        byte[] content;
        try
        {
            content = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            errors.Add(new ValidationError("logo.value", "'logo.value' is not base64."));
            return null;
        }

        if (content.Length > MaxLogoBytes)
        {
            errors.Add(new ValidationError("logo.value", $"The logo is larger than {MaxLogoBytes / 1024} KB."));
            return null;
        }

        var (checkedContent, problem) = CheckImage(content, contentType);
        if (problem is not null)
        {
            errors.Add(new ValidationError("logo.value", problem));
            return null;
        }

        return new BrandingLogo(checkedContent!, contentType);
    }

    /// <summary>
    /// Checks that <paramref name="content"/> is what <paramref name="contentType"/> says by its first bytes (PNG, JPEG)
    /// or by parsing it (SVG, then sanitized); returns the content to store, or why it is refused.
    /// </summary>
    public static (byte[]? Content, string? Problem) CheckImage(byte[] content, string contentType)
    {
        switch (contentType)
        {
            case "image/png":
                return content.AsSpan().StartsWith((byte[])[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) ? (content, null) : (null, "The logo is not a PNG image.");
            case "image/jpeg":
                return content.AsSpan().StartsWith((byte[])[0xFF, 0xD8, 0xFF]) ? (content, null) : (null, "The logo is not a JPEG image.");
            case "image/svg+xml":
                var svg = SanitizeSvg(content);
                return svg is null ? (null, "The logo is not an SVG image (an XML document whose root is <svg>, without a DTD).") : (svg, null);
            default:
                return (null, $"'{contentType}' is not an accepted logo type.");
        }
    }

    /// <summary>
    /// An SVG without what can run script or reach outside the document: script, foreignObject and embedding
    /// elements are removed, and so are event handler attributes (<c>on…</c>) and <c>href</c>s that are not
    /// <c>#fragment</c> links or embedded PNG/JPEG images. Null when it is not an SVG document (DTDs are refused).
    /// </summary>
    public static byte[]? SanitizeSvg(byte[] content)
    {
        XDocument document;
        try
        {
            using var stream = new MemoryStream(content);
            using var reader = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreProcessingInstructions = true });
            document = XDocument.Load(reader);
        }
        catch (XmlException)
        {
            return null;
        }

        if (document.Root is not { } root || root.Name.LocalName != "svg")
        {
            return null;
        }

        root.DescendantsAndSelf().Where(e => DroppedSvgElements.Contains(e.Name.LocalName)).ToList().ForEach(e => e.Remove());
        foreach (var element in root.DescendantsAndSelf())
        {
            element.Attributes().Where(Unsafe).ToList().ForEach(a => a.Remove());
        }

        // <style> may import or reach outside through url(…): only local references are kept.
        foreach (var style in root.Descendants().Where(e => e.Name.LocalName == "style").ToList())
        {
            if (style.Value.Contains("@import", StringComparison.OrdinalIgnoreCase) || ExternalUrl().IsMatch(style.Value))
            {
                style.Remove();
            }
        }

        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), OmitXmlDeclaration = false, Indent = false };
        using var output = new MemoryStream();
        using (var writer = XmlWriter.Create(output, settings))
        {
            document.Save(writer);
        }

        return output.ToArray();

        static bool Unsafe(XAttribute a)
        {
            var name = a.Name.LocalName;
            if (name.StartsWith("on", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            var value = a.Value.Trim();
            if (name is "href" or "src")
            {
                return !(value.StartsWith('#') || value.StartsWith("data:image/png", StringComparison.OrdinalIgnoreCase) || value.StartsWith("data:image/jpeg", StringComparison.OrdinalIgnoreCase));
            }

            return ExternalUrl().IsMatch(value) || value.Contains("javascript:", StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>The branding resource as GET shows it.</summary>
    public static JsonObject ToJson(string baseId, JsonObject? stored, BrandingLogoInfo? logo) => new()
    {
        ["id"] = $"{baseId}/portalsettings/branding",
        ["type"] = "Microsoft.ApiManagement/service/portalsettings",
        ["name"] = "branding",
        ["properties"] = new JsonObject
        {
            ["primaryColor"] = stored?["primaryColor"]?.DeepClone(),
            ["defaultTheme"] = stored?["defaultTheme"]?.DeepClone() ?? "light",
            ["logo"] = logo is null ? null : new JsonObject
            {
                ["contentType"] = logo.ContentType,
                ["size"] = logo.Size,
                ["hash"] = logo.Hash,
                ["updated"] = logo.Updated.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            },
        },
    };

    private static bool Field(JsonObject properties, string name, out JsonNode? value)
    {
        foreach (var (key, node) in properties)
        {
            if (string.Equals(key, name, StringComparison.Ordinal))
            {
                value = node;
                return true;
            }
        }

        value = null;
        return false;
    }

    [GeneratedRegex("^#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")]
    private static partial Regex HexColor();

    [GeneratedRegex(@"url\(\s*['""]?\s*(?!#)[^)]", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalUrl();
}

/// <summary>What GET says of a stored logo.</summary>
public sealed record BrandingLogoInfo(string ContentType, int Size, string Hash, DateTimeOffset Updated);
