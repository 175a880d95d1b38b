using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Tollgate.FunctionalTests.Policies;

/// <summary>
/// <c>validate-content</c> with XML schemas (XSD) stored through the management API, as an instance schema named by
/// <c>schema-id</c> or as the API schema of the operation's representation, observed through the gateway.
/// </summary>
public sealed class ValidateContentXmlTests(PolicyHostFixture fixture) : IClassFixture<PolicyHostFixture>
{
    private const string Xsd = """
        <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
          <xs:element name="invoice">
            <xs:complexType>
              <xs:sequence>
                <xs:element name="customer" type="xs:string" />
                <xs:element name="qty" type="xs:positiveInteger" />
              </xs:sequence>
            </xs:complexType>
          </xs:element>
        </xs:schema>
        """;

    private const string Valid = "<invoice><customer>Contoso</customer><qty>3</qty></invoice>";

    private PolicyHost H => fixture.Host;

    private static string Invoices => $"{PolicyHost.Svc}/apis/invoices";

    /// <summary>API <c>invoices</c>: POST /invoices/new with an application/xml body described by the API schema <c>invoice-xsd</c>, or a SOAP 1.1 envelope.</summary>
    private async Task InvoicesApiAsync(string policy)
    {
        await H.Host.PutAsync(Invoices, new { properties = new { displayName = "Invoices", path = "invoices", serviceUrl = H.Backend.Url, protocols = new[] { "http" } } });
        await H.Host.PutAsync($"{Invoices}/schemas/invoice-xsd", new
        {
            properties = new { contentType = "application/vnd.ms-azure-apim.xsd+xml", document = new { value = Xsd } },
        });
        await H.Host.PutAsync($"{Invoices}/operations/create", new
        {
            properties = new
            {
                displayName = "Create invoice",
                method = "POST",
                urlTemplate = "/new",
                request = new
                {
                    representations = new object[]
                    {
                        new { contentType = "application/xml", schemaId = "invoice-xsd", typeName = "invoice" },
                        new { contentType = "text/xml" },
                    },
                },
            },
        });
        await H.Host.PutAsync($"{PolicyHost.Svc}/products/gold/apis/invoices", new { });
        await H.SetPolicyAsync("apis/invoices", policy);
    }

    private Task<HttpResponseMessage> PostAsync(string body, string contentType = "application/xml") =>
        H.SendAsync(HttpMethod.Post, "/invoices/new", body, configure: r => r.Content!.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType));

    private static async Task<string> MessageAsync(HttpResponseMessage response) => (string)(await PolicyHost.JsonAsync(response))["message"]!;

    [Fact]
    public async Task ValidateContent_WithAnInstanceXmlSchema_RefusesBodiesThatDoNotConform()
    {
        // Arrange: an instance-level XML schema (schemas/{id}, schemaType xml), named by schema-id.
        await H.Host.PutAsync($"{PolicyHost.Svc}/schemas/invoice", new { properties = new { schemaType = "xml", description = "Invoices", value = Xsd } });
        await InvoicesApiAsync(PolicyHost.Document(inbound: """
            <validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent" errors-variable-name="xmlErrors">
                <content type="application/xml" validate-as="xml" schema-id="invoice" action="prevent" />
            </validate-content>
            """));

        // Act / Assert: a conforming body is forwarded; the others are refused with APIM's message and position.
        using (var valid = await PostAsync(Valid))
        {
            Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        }

        using (var wrongType = await PostAsync("<invoice><customer>Contoso</customer><qty>three</qty></invoice>"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);
            var message = await MessageAsync(wrongType);
            Assert.StartsWith("Body of the request does not conform to the definition invoice, which is associated with the content type application/xml. The 'qty' element is invalid", message);
            Assert.EndsWith("Line: 1, Position: 50", message);
        }

        using (var missing = await PostAsync("<invoice><qty>3</qty></invoice>"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
            Assert.Contains("The element 'invoice' has invalid child element 'qty'. List of possible elements expected: 'customer'.", await MessageAsync(missing));
        }

        using (var otherRoot = await PostAsync("<order><customer>Contoso</customer></order>"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, otherRoot.StatusCode);
            Assert.EndsWith("The 'order' element is not declared. Line: 1, Position: 2", await MessageAsync(otherRoot));
        }

        // A DTD is never processed: the body is refused as not well-formed, its entity never expanded.
        using var dtd = await PostAsync("""<?xml version="1.0"?><!DOCTYPE invoice [<!ENTITY x "Contoso">]><invoice><customer>&x;</customer><qty>3</qty></invoice>""");
        Assert.Equal(HttpStatusCode.BadRequest, dtd.StatusCode);
        Assert.StartsWith("Body of the request is not well-formed XML for the content type application/xml.", await MessageAsync(dtd));
    }

    [Fact]
    public async Task ValidateContent_WithoutSchemaId_UsesTheApiXmlSchemaOfTheRepresentation_AndSoapBodies()
    {
        await InvoicesApiAsync(PolicyHost.Document(inbound: """
            <validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent">
                <content type="application/xml" validate-as="xml" action="prevent" />
            </validate-content>
            """));

        using (var valid = await PostAsync(Valid))
        {
            Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        }

        using (var refused = await PostAsync("<invoice><customer>Contoso</customer><qty>0</qty></invoice>"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.StartsWith("Body of the request does not conform to the definition invoice, which is associated with the content type application/xml. The 'qty' element is invalid", await MessageAsync(refused));
        }

        // SOAP: the payload inside the envelope's Body is checked against the instance schema.
        await H.Host.PutAsync($"{PolicyHost.Svc}/schemas/invoice", new { properties = new { schemaType = "xml", value = Xsd } });
        await H.SetPolicyAsync("apis/invoices", PolicyHost.Document(inbound: """
            <validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent">
                <content type="text/xml" validate-as="soap" schema-id="invoice" action="prevent" />
            </validate-content>
            """));
        const string Envelope = """<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>{0}</s:Body></s:Envelope>""";
        using (var soap = await PostAsync(string.Format(null, Envelope, Valid), "text/xml"))
        {
            Assert.Equal(HttpStatusCode.OK, soap.StatusCode);
        }

        using var badSoap = await PostAsync(string.Format(null, Envelope, "<invoice><customer>Contoso</customer></invoice>"), "text/xml");
        Assert.Equal(HttpStatusCode.BadRequest, badSoap.StatusCode);
        Assert.Contains("does not conform to the definition invoice, which is associated with the content type text/xml.", await MessageAsync(badSoap));
    }
}
