using System.Text.RegularExpressions;
using Tollgate.Management.Mail;

namespace Tollgate.UnitTests.Management;

/// <summary>APIM's e-mail templates: the catalogue, and how parameters are substituted into subjects and HTML bodies.</summary>
public sealed partial class EmailTemplateTests
{
    [Fact]
    public void Parameters_AreSubstituted_AsTheyAreInTheSubject_AndHtmlEncodedInTheBody()
    {
        var values = new Dictionary<string, string?>
        {
            ["DevFirstName"] = "Ada <script>alert(1)</script>",
            ["OrganizationName"] = "Contoso & Sons",
            ["ConfirmUrl"] = "http://portal.example/confirm?token=abc&x=\"1\"",
        };

        var (subject, body) = EmailTemplates.Render(
            "Welcome to $OrganizationName, $DevFirstName",
            "<p>Dear $DevFirstName,</p><a href=\"$ConfirmUrl\">$ConfirmUrl</a> costs $5 $Unknown",
            values);

        Assert.Equal("Welcome to Contoso & Sons, Ada <script>alert(1)</script>", subject);
        Assert.Equal("<p>Dear Ada &lt;script&gt;alert(1)&lt;/script&gt;,</p><a href=\"http://portal.example/confirm?token=abc&amp;x=&quot;1&quot;\">http://portal.example/confirm?token=abc&amp;x=&quot;1&quot;</a> costs $5 $Unknown", body);
    }

    [Fact]
    public void ALongerParameterName_IsNotTakenForAShorterOne()
    {
        var (_, body) = EmailTemplates.Render("", "$DevPortalUrl and $DevPortalHost", new Dictionary<string, string?> { ["DevPortalUrl"] = "U", ["DevPortalHost"] = "H", ["DevPortal"] = "X" });
        Assert.Equal("U and H", body);
    }

    [Fact]
    public void ALineBreakInAValue_NeverReachesTheSubjectHeader()
    {
        var (subject, _) = EmailTemplates.Render("Hello $DevFirstName", "", new Dictionary<string, string?> { ["DevFirstName"] = "Ada\r\nBcc: x@example.com" });
        Assert.DoesNotContain('\n', subject);
        Assert.DoesNotContain('\r', subject);
    }

    [Fact]
    public void EveryDefaultTemplate_UsesOnlyTheParametersItDeclares()
    {
        Assert.Equal(EmailTemplates.All.Count, EmailTemplates.All.Select(t => t.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        foreach (var template in EmailTemplates.All)
        {
            var declared = template.Parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            foreach (Match m in ParameterPattern().Matches(template.Subject + template.Body))
            {
                Assert.True(declared.Contains(m.Groups[1].Value), $"{template.Name} uses ${m.Groups[1].Value} but does not declare it.");
            }

            Assert.NotEmpty(template.Title);
            Assert.NotEmpty(template.Description);
        }

        Assert.Contains("ConfirmUrl", EmailTemplates.Find("confirmsignupidentitydefault")!.Parameters.Select(p => p.Name));
        Assert.Null(EmailTemplates.Find("nope"));
    }

    [Fact]
    public void ThePlainTextAlternative_KeepsParagraphsAndLinks_WithoutTags()
    {
        var text = EmailTemplates.PlainText("<p>Dear Ada &amp; co,</p><p>Open <a href=\"http://x/confirm?token=t\">http://x/confirm?token=t</a>.<br />Thanks</p>");
        Assert.Equal("Dear Ada & co,\n\nOpen http://x/confirm?token=t.\nThanks\n", text);
    }

    [Fact]
    public void ThePlainTextAlternative_LeavesOutScriptsStylesAndComments_EvenUnclosed()
    {
        var text = EmailTemplates.PlainText("<head><title>t</title></head><style>p { color: red }</style><p>Hi Ada</p><!-- note --><SCRIPT type=\"x\">alert('x')</script ><p>Bye</p>");
        Assert.Equal("Hi Ada\n\nBye\n", text);
        Assert.Equal("Hi\n", EmailTemplates.PlainText("<p>Hi</p><script>" + new string('<', 100_000)));
    }

    [GeneratedRegex(@"\$([A-Za-z][A-Za-z0-9]*)")]
    private static partial Regex ParameterPattern();
}
