using System.Text;
using Tollgate.Gateway.Policies.ValidateContent;

namespace Tollgate.UnitTests.Policies;

/// <summary>validate-content's XML schemas: compiled and applied with a reader that processes no DTD and resolves nothing.</summary>
public sealed class ValidateContentXmlSchemaTests
{
    private const string Xsd = """
        <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
          <xs:element name="point"><xs:complexType><xs:attribute name="x" type="xs:int" use="required" /></xs:complexType></xs:element>
        </xs:schema>
        """;

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Theory]
    [InlineData("<point x=\"1\" />", null)]
    [InlineData("<point x=\"a\" />", "The 'x' attribute is invalid")]
    [InlineData("<point />", "The required attribute 'x' is missing. Line: 1, Position: 2")]
    [InlineData("<line />", "The 'line' element is not declared. Line: 1, Position: 2")]
    public void Validate_ChecksTheRootAgainstTheSchema(string body, string? problem)
    {
        var validator = XmlSchemaValidator.Compile(Xsd);

        var result = validator.Validate(Bytes(body), soap: false);

        Assert.Null(validator.Problem);
        if (problem is null)
        {
            Assert.Null(result);
        }
        else
        {
            Assert.Contains(problem, result);
        }
    }

    [Fact]
    public void Validate_Soap_ChecksEachElementOfTheBody()
    {
        var validator = XmlSchemaValidator.Compile(Xsd);
        const string Envelope = """<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Header><other /></e:Header><e:Body>{0}</e:Body></e:Envelope>""";

        Assert.Null(validator.Validate(Bytes(string.Format(null, Envelope, "<point x=\"1\" /><point x=\"2\" />")), soap: true));
        Assert.Contains("The 'x' attribute is invalid", validator.Validate(Bytes(string.Format(null, Envelope, "<point x=\"1\" /><point x=\"b\" />")), soap: true));
    }

    [Fact]
    public void Validate_ABodyWithADtd_IsRefused_ItsEntitiesNeverExpanded()
    {
        var validator = XmlSchemaValidator.Compile(Xsd);

        var result = validator.Validate(Bytes("""<!DOCTYPE point [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><point x="&b;" />"""), soap: false);

        Assert.Contains("DTD", result);
    }

    [Fact]
    public void Compile_ASchemaWithADtd_OrThatIsNoSchema_IsAProblem()
    {
        Assert.Contains("DTD", XmlSchemaValidator.Compile("<!DOCTYPE xs:schema [<!ENTITY a \"a\">]>" + Xsd).Problem);
        Assert.NotNull(XmlSchemaValidator.Compile("<point />").Problem);
        Assert.NotNull(XmlSchemaValidator.Compile("not xml").Problem);
    }

    [Fact]
    public void Compile_AnIncludeOfAnotherLocation_IsNotFollowed()
    {
        // Nothing is fetched (no resolver): the type the include would declare is missing.
        const string Including = """
            <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
              <xs:include schemaLocation="http://127.0.0.1:9/types.xsd" />
              <xs:element name="point" type="pointType" />
            </xs:schema>
            """;

        Assert.Contains("pointType", XmlSchemaValidator.Compile(Including).Problem);
    }
}
