using Ganss.Xss;
using Markdig;
using Microsoft.AspNetCore.Components;

namespace Tollgate.Portal.Developer;

/// <summary>Descriptions as APIM's portal shows them: Markdown rendered with Markdig, then sanitized (no script, no event handler, no javascript: link).</summary>
public static class Markdown
{
    /// <summary>Descriptions longer than this are cut before rendering (a page never renders megabytes).</summary>
    public const int MaxLength = 20_000;

    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();

    public static MarkupString Render(string? markdown)
    {
        if (string.IsNullOrWhiteSpace(markdown))
        {
            return new MarkupString("");
        }

        var text = markdown.Length > MaxLength ? markdown[..MaxLength] : markdown;
        var html = Markdig.Markdown.ToHtml(text, Pipeline);
        // A sanitizer per call: HtmlSanitizer is not documented as thread-safe.
        var sanitizer = new HtmlSanitizer();
        sanitizer.AllowedSchemes.Clear();
        sanitizer.AllowedSchemes.Add("https");
        sanitizer.AllowedSchemes.Add("http");
        sanitizer.AllowedSchemes.Add("mailto");
        return new MarkupString(sanitizer.Sanitize(html));
    }
}
