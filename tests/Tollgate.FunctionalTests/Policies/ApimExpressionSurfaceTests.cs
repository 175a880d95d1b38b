using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;

namespace Tollgate.FunctionalTests.Policies;

/// <summary>
/// APIM's expression surface through the real gateway (README "Policy expressions"): each group saved through the
/// management API as users paste it (APIM's own examples unchanged where there is one), then called.
/// </summary>
public sealed class ApimExpressionSurfaceTests(PolicyHostFixture fixture) : IClassFixture<PolicyHostFixture>
{
    private const string OnError = """
        <return-response>
          <set-status code="500" reason="Policy failed" />
          <set-body>@(context.LastError.Source + ":" + context.LastError.Reason + ":" + context.LastError.Message)</set-body>
        </return-response>
        """;

    private static readonly byte[] Key = Convert.FromBase64String("q83vASNFZ4mrze8BI0VniavN7wEjRWeJ");

    private static readonly byte[] Iv = Convert.FromBase64String("AAECAwQFBgcICQoLDA0ODw==");

    private PolicyHost H => fixture.Host;

    private static string Svc => PolicyHost.Svc;

    [Fact]
    public async Task ApimEncryptAndDecryptSnippets_Unchanged_EncryptAPathParameterAndDecryptAJsonBody()
    {
        await H.Host.PutAsync($"{Svc}/namedValues/aes-iv", new { properties = new { displayName = "AES-IV", value = Convert.ToBase64String(Iv), secret = true } });
        await H.Host.PutAsync($"{Svc}/namedValues/aes-key", new { properties = new { displayName = "AES-Key", value = Convert.ToBase64String(Key), secret = true } });
        await H.Host.PutAsync($"{Svc}/apis/echo/operations/goober", new
        {
            properties = new
            {
                displayName = "Goober",
                method = "GET",
                urlTemplate = "/goober/{Goober}",
                templateParameters = new[] { new { name = "Goober", type = "string", required = true } },
            },
        });
        await H.Host.PutAsync($"{Svc}/apis/echo/operations/decrypt", new { properties = new { displayName = "Decrypt", method = "POST", urlTemplate = "/decrypt" } });

        // APIM's "Encrypt data using expressions" snippet as published; the API's outbound shows the variable it sets.
        await H.SetPolicyAsync("apis/echo/operations/goober", """
            <!-- 
                The policy defined in this file shows how to encrypt a parameter using AES algorithm.
            -->

            <policies>
                <inbound>
                    <base />
                    <set-variable name="IV" value="{{AES-IV}}" />
                    <set-variable name="key" value="{{AES-Key}}" />
                    <set-variable name="encryptedParameter" value="@{

                        string goober = (string)context.Request.MatchedParameters["Goober"];
                        byte[] gooberBytes = Encoding.UTF8.GetBytes(goober);
                        
                        byte[] IV = Convert.FromBase64String((string)context.Variables["IV"]);
                        byte[] key = Convert.FromBase64String((string)context.Variables["key"]);
                        
                        byte[] encryptedBytes = gooberBytes.Encrypt("Aes", key, IV);
                        
                        return Convert.ToBase64String(encryptedBytes);
                    }" />
                </inbound>
                <backend>
                    <base />
                </backend>
                <outbound>
                    <base />
                </outbound>
                <on-error>
                    <base />
                </on-error>
            </policies>
            """);
        await H.SetApiPolicyAsync(outbound: """<set-header name="X-Encrypted" exists-action="override"><value>@(context.Variables.GetValueOrDefault<string>("encryptedParameter", ""))</value></set-header>""");

        // APIM's "Decrypt AES Data using policy expressions" snippet as published.
        await H.SetPolicyAsync("apis/echo/operations/decrypt", """
            <!--
                This policy snippet shows how to decrypt an AES 192 bit encrypted text and return it to caller. 
                The encrypted text is sent as a JSON element.
            -->
            <policies>
            	<inbound>
            		<base />
            		<set-variable name="IV" value="{{AES-IV}}" />
            		<set-variable name="key" value="{{AES-Key}}" />
            		<set-variable name="plainText" value="@{
                        byte[] inBytes = Convert.FromBase64String(context.Request.Body.As<JObject>().SelectToken("encrpText").ToString());
                        byte[] IV = Convert.FromBase64String((string)context.Variables["IV"]);
                        byte[] key = Convert.FromBase64String((string)context.Variables["key"]);
                        byte[] decryptedBytes = inBytes.Decrypt("Aes", key, IV);
                        return Encoding.UTF8.GetString(decryptedBytes);
                     }" />
            		<return-response>
            			<set-status code="200" reason="Success" />
            			<set-body>@{ 
                                string inBody = (string)context.Variables["plainText"];                     
                                return inBody; 
                            }</set-body>
            		</return-response>
            	</inbound>
            	<backend>
            		<base />
            	</backend>
            	<outbound>
            		<base />
            	</outbound>
            	<on-error>
            		<base />
            	</on-error>
            </policies>
            """);

        try
        {
            using var encrypted = await H.GetAsync("/echo/goober/peanut%20butter");
            Assert.Equal(HttpStatusCode.OK, encrypted.StatusCode);
            var cipher = encrypted.Headers.GetValues("X-Encrypted").Single();
            using var aes = Aes.Create();
            aes.Key = Key;
            Assert.Equal(Convert.ToBase64String(aes.EncryptCbc("peanut butter"u8, Iv)), cipher);

            using var decrypted = await H.SendAsync(HttpMethod.Post, "/echo/decrypt", new JsonObject { ["encrpText"] = cipher }.ToJsonString());
            Assert.Equal(HttpStatusCode.OK, decrypted.StatusCode);
            Assert.Equal("peanut butter", await decrypted.Content.ReadAsStringAsync());
        }
        finally
        {
            await H.Host.SendAsync(HttpMethod.Delete, $"{Svc}/apis/echo/operations/goober");
            await H.Host.SendAsync(HttpMethod.Delete, $"{Svc}/apis/echo/operations/decrypt");
        }
    }

    [Fact]
    public async Task ApimFormUrlEncodedExamples_Unchanged_ReadTheFormAndSendJsonOrFormToTheBackend()
    {
        // set-body's "Access the body as URL-encoded form data", as published.
        await H.SetApiPolicyAsync(inbound: """
            <set-body> 
            @{ 
                var inBody = context.Request.Body.AsFormUrlEncodedContent();
                return JsonConvert.SerializeObject(inBody); 
            } 
            </set-body>
            """);

        using (var response = await PostFormAsync("name=Ada+Lovelace&tag=a&tag=b%26c"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("""{"name":["Ada Lovelace"],"tag":["a","b&c"]}""", H.Backend.Last.Body.Trim());
        }

        // set-body's "Access and return body as URL-encoded form data", as published.
        await H.SetApiPolicyAsync(inbound: """
            <set-body> 
            @{ 
                var body = context.Request.Body.AsFormUrlEncodedContent();
                body["newKey"].Add("newValue");
                return body.ToFormUrlEncodedContent(); 
            } 
            </set-body>
            """);

        using (var response = await PostFormAsync("name=Ada+Lovelace&tag=a"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("name=Ada+Lovelace&tag=a&newKey=newValue", H.Backend.Last.Body.Trim());
        }

        // ToQueryString (the IMessageBody reference); preserveContent leaves the body to the backend.
        await H.SetApiPolicyAsync(inbound: """<set-header name="X-Query" exists-action="override"><value>@(context.Request.Body.AsFormUrlEncodedContent(preserveContent: true).ToQueryString())</value></set-header>""");
        using (var response = await PostFormAsync("q=a+b&page=2"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("?q=a+b&page=2", H.Backend.Last.Header("X-Query"));
            Assert.Equal("q=a+b&page=2", H.Backend.Last.Body.Trim());
        }
    }

    [Fact]
    public async Task XmlBodies_AreReadWithXLinq_AndADocumentTypeDeclarationFailsTheExpression()
    {
        await H.SetApiPolicyAsync(
            inbound: """
                <set-body>@{
                    var order = XDocument.Parse(context.Request.Body.As<string>());
                    var writer = new StringWriter();
                    new XElement("total", order.Root.Elements("line").Sum(l => (int)l.Attribute("qty"))).Save(writer);
                    var reader = new StringReader(writer.ToString());
                    reader.ReadLine();
                    return reader.ReadToEnd() + "|" + (order.Root.FirstNode.NodeType == XmlNodeType.Element);
                }</set-body>
                """,
            onError: OnError);

        using (var response = await PostAsync("<order><line qty=\"2\"/><line qty=\"3\"/></order>", "application/xml"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("<total>5</total>|True", H.Backend.Last.Body.Trim());
        }

        // A billion-laughs body: XDocument.Parse in an expression runs without DTD processing.
        const string Laughs = """<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><order>&b;</order>""";
        using (var response = await PostAsync(Laughs, "application/xml"))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            Assert.StartsWith("set-body:ExpressionValueEvaluationFailure:", body, StringComparison.Ordinal);
            Assert.Contains("DTD", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task XmlDocumentReadsASoapResponse_WithSelectSingleNode_AndSetBodyAnswersJson()
    {
        // A backend answering SOAP; the outbound set-body reads it with XmlDocument and XPath (namespaces by local-name(),
        // as APIM's snippets do without an XmlNamespaceManager) and answers JSON.
        H.Backend.Response = ("text/xml; charset=utf-8", """<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetQuoteResponse xmlns="urn:quotes"><Quote symbol="MSFT"><Price>412.5</Price></Quote><Quote symbol="AAPL"><Price>190.25</Price></Quote></GetQuoteResponse></soap:Body></soap:Envelope>""");
        try
        {
            await H.SetApiPolicyAsync(outbound: """
                <set-header name="Content-Type" exists-action="override"><value>application/json</value></set-header>
                <set-body>@{
                    XmlDocument doc = new XmlDocument();
                    doc.LoadXml(context.Response.Body.As<string>());
                    var quotes = doc.SelectNodes("/*[local-name()='Envelope']/*[local-name()='Body']/*[local-name()='GetQuoteResponse']/*[local-name()='Quote']");
                    var result = new JObject();
                    foreach (XmlNode quote in quotes)
                    {
                        result[quote.Attributes["symbol"].Value] = decimal.Parse(quote.SelectSingleNode("*[local-name()='Price']").InnerText, System.Globalization.NumberStyles.Number);
                    }
                    result["count"] = quotes.Count;
                    return result.ToString(Formatting.None);
                }</set-body>
                """);

            using var response = await H.GetAsync();

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("""{"MSFT":412.5,"AAPL":190.25,"count":2}""", await response.Content.ReadAsStringAsync());
        }
        finally
        {
            H.Backend.Response = null;
        }
    }

    [Fact]
    public async Task HostileXPathOrXmlDocument_FailsTheExpressionAs500_AndTheGatewayKeepsServing()
    {
        // The client's body is the XPath, or the document: what a policy that trusts its input gets from a hostile client.
        await H.SetApiPolicyAsync(inbound: """
            <choose>
                <when condition="@(context.Request.Headers.GetValueOrDefault("X-Part", "") == "document")">
                    <return-response><set-status code="200" reason="OK" /><set-body>@{ var d = new XmlDocument(); d.LoadXml(context.Request.Body.As<string>()); return d.DocumentElement.InnerText.Length.ToString(); }</set-body></return-response>
                </when>
                <otherwise>
                    <return-response><set-status code="200" reason="OK" /><set-body>@{ var d = new XmlDocument(); d.LoadXml("<r>" + string.Concat(Enumerable.Repeat("<e>1</e>", 2000)) + "</r>"); return d.SelectNodes(context.Request.Body.As<string>()).Count.ToString(); }</set-body></return-response>
                </otherwise>
            </choose>
            """);

        async Task<(HttpStatusCode Status, string Body)> PostAsync(string body, string part)
        {
            using var response = await H.SendAsync(HttpMethod.Post, "/echo/items", body, configure: r => r.Headers.Add("X-Part", part));
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        const string InternalError = """{"statusCode":500,"message":"Internal server error"}""";
        Assert.Equal((HttpStatusCode.OK, "2000"), await PostAsync("/r/e", "xpath"));

        // 100,000 nested parentheses: .NET's XPath parser recurses once per level; the text is refused before it.
        Assert.Equal((HttpStatusCode.InternalServerError, InternalError), await PostAsync(new string('(', 100_000) + "1" + new string(')', 100_000), "xpath"));
        // Within the length limit, 40 open brackets.
        Assert.Equal((HttpStatusCode.InternalServerError, InternalError), await PostAsync("/r[" + new string('(', 40) + "1" + new string(')', 40) + "]", "xpath"));
        // Polynomial work inside one call (8·10^9 node visits): stopped by the budget in the middle of it.
        Assert.Equal((HttpStatusCode.InternalServerError, InternalError), await PostAsync("//*[count(//*[count(//*) > 1]) > 1]", "xpath"));

        Assert.Equal((HttpStatusCode.OK, "5"), await PostAsync("<a><b>hello</b></a>", "document"));
        const string Laughs = """<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;"><!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">]><a>&i;</a>""";
        Assert.Equal((HttpStatusCode.InternalServerError, InternalError), await PostAsync(Laughs, "document"));
        Assert.Equal((HttpStatusCode.InternalServerError, InternalError), await PostAsync(string.Concat(Enumerable.Repeat("<a>", 100_000)) + string.Concat(Enumerable.Repeat("</a>", 100_000)), "document"));

        Assert.Equal((HttpStatusCode.OK, "1"), await PostAsync("/r/e[1]", "xpath"));

        // on-error sees why: the limit is named.
        await H.SetApiPolicyAsync(
            inbound: """<return-response><set-body>@{ var d = new XmlDocument(); d.LoadXml("<r/>"); return d.SelectNodes(context.Request.Body.As<string>()).Count.ToString(); }</set-body></return-response>""",
            onError: OnError);
        var (status, message) = await PostAsync(new string('(', 100_000) + "1" + new string(')', 100_000), "xpath");
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.StartsWith("set-body:ExpressionValueEvaluationFailure:", message, StringComparison.Ordinal);
        Assert.Contains("limited to 1,024 characters (MaxXPathLength)", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task XmlApisApimDoesNotAllow_AreRefusedOnSave_NamingTheType()
    {
        var body = await H.RefusedAsync(inbound: """<set-header name="X-Xml"><value>@{ var d = new XmlDocument(); d.XmlResolver = null; d.LoadXml("<a/>"); return d.OuterXml; }</value></set-header>""");
        Assert.Contains("System.Xml.XmlDocument.XmlResolver", body, StringComparison.Ordinal);
        Assert.Contains("not allowed", body, StringComparison.Ordinal);

        body = await H.RefusedAsync(inbound: """<set-header name="X-Xml"><value>@(System.Xml.XPath.Extensions.XPathSelectElement(XElement.Parse("<a><b/></a>"), "b").Name.LocalName)</value></set-header>""");
        Assert.Contains("System.Xml.XPath.Extensions", body, StringComparison.Ordinal);

        body = await H.RefusedAsync(inbound: """<set-header name="X-Xml"><value>@(context.GraphQL.ToString())</value></set-header>""");
        Assert.Contains("Tollgate runs no GraphQL APIs", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LocalFunctions_RunInABlock_AndRunawayRecursionFailsTheExpression()
    {
        await H.SetApiPolicyAsync(
            inbound: """
                <set-header name="X-Fib" exists-action="override">
                    <value>@{
                        int Fib(int n) => n < 2 ? n : Fib(n - 1) + Fib(n - 2);
                        string Label(int n) { return "fib(" + n + ")=" + Fib(n); }
                        return Label(int.Parse(context.Request.MatchedParameters.GetValueOrDefault("id", "0")));
                    }</value>
                </set-header>
                """,
            onError: OnError);

        using (var response = await H.GetAsync("/echo/items/10"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("fib(10)=55", H.Backend.Last.Header("X-Fib"));
        }

        await H.SetApiPolicyAsync(
            inbound: """<set-header name="X-Loop"><value>@{ int Down(int n) { return Down(n + 1); } return Down(0).ToString(); }</value></set-header>""",
            onError: OnError);
        using (var response = await H.GetAsync())
        {
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.StartsWith("set-header:ExpressionValueEvaluationFailure:", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // A forbidden type inside a local function is refused on save like anywhere else, at its line and column.
        var xml = "<policies>\n<inbound>\n<set-body>@{\n    string Read(System.IO.FileInfo f) { return f.Name; }\n    return Read(null);\n}</set-body>\n</inbound>\n</policies>";
        using var refused = await H.Host.SendAsync(HttpMethod.Put, $"{Svc}/apis/echo/operations/any/policies/policy", new { properties = new { format = "rawxml", value = xml } });
        var error = await ArmAssert.ErrorAsync(refused, HttpStatusCode.BadRequest);
        var messages = string.Join("\n", error["details"]!.AsArray().Select(d => (string)d!["message"]!));
        Assert.Contains("System.IO.FileInfo", messages, StringComparison.Ordinal);
        Assert.Contains("Line 4, column 17", messages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContextMembersOfTheReference_GiveTheInstancesValues()
    {
        await H.Host.PutAsync($"{Svc}/backends/primary-backend", new { properties = new { url = H.Backend.Url, protocol = "http" } });
        await H.SetApiPolicyAsync(inbound: """
            <set-backend-service backend-id="primary-backend" />
            <set-variable name="backend" value="@(context.Backend.Id + "/" + context.Backend.Type)" />
            <return-response>
                <set-status code="200" reason="OK" />
                <set-body>@{
                    var user = context.User;
                    return new JObject(
                        new JProperty("region", context.Deployment.Region),
                        new JProperty("serviceId", context.Deployment.ServiceId),
                        new JProperty("gateway", context.Deployment.Gateway.Id + "/" + context.Deployment.Gateway.InstanceId + "/" + context.Deployment.Gateway.IsManaged),
                        new JProperty("carbon", context.Deployment.SustainabilityInfo.CurrentCarbonIntensity.ToString()),
                        new JProperty("workspace", context.Workspace == null),
                        new JProperty("backend", (string)context.Variables["backend"]),
                        new JProperty("id", context.Request.MatchedParameters.GetValueOrDefault("id", "none")),
                        new JProperty("missing", context.Request.MatchedParameters.GetValueOrDefault("nope", "none")),
                        new JProperty("limit", context.Product.SubscriptionsLimit),
                        new JProperty("productGroups", string.Join(",", context.Product.Groups.Select(g => g.Id + "=" + g.Name))),
                        new JProperty("userGroups", string.Join(",", user.Groups.Select(g => g.Id + "=" + g.Name))),
                        new JProperty("identities", string.Join(",", user.Identities.Select(i => i.Provider + ":" + i.Id))),
                        new JProperty("note", user.Note),
                        new JProperty("registered", user.RegistrationDate.Year),
                        new JProperty("started", context.Subscription.StartDate.HasValue),
                        new JProperty("ended", context.Subscription.EndDate.HasValue)).ToString(Formatting.None);
                }</set-body>
            </return-response>
            """);
        await H.Host.PutAsync($"{Svc}/products/gold", new { properties = new { displayName = "Gold", subscriptionRequired = true, state = "published", subscriptionsLimit = 3 } });
        await H.Host.PutAsync($"{Svc}/products/gold/groups/developers", new { });

        using var response = await H.GetAsync("/echo/items/42");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var json = (JsonObject)JsonNode.Parse(body)!;
        Assert.Equal("local", (string?)json["region"]);
        Assert.Equal("/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/policies", (string?)json["serviceId"]);
        Assert.Equal("managed/managed/True", (string?)json["gateway"]);
        Assert.Equal("NotAvailable", (string?)json["carbon"]);
        Assert.True((bool)json["workspace"]!);
        Assert.Equal("primary-backend/Single", (string?)json["backend"]);
        Assert.Equal("42", (string?)json["id"]);
        Assert.Equal("none", (string?)json["missing"]);
        Assert.Equal(3, (int)json["limit"]!);
        Assert.Equal("developers=Developers", (string?)json["productGroups"]);
        Assert.Contains("administrators=Administrators", (string?)json["userGroups"], StringComparison.Ordinal);
        Assert.Equal("Azure:admin@contoso.example", (string?)json["identities"]);
        Assert.Null((string?)json["note"]);
        Assert.True((int)json["registered"]! >= 2026);
        Assert.True((bool)json["started"]!);
        Assert.False((bool)json["ended"]!);
    }

    [Fact]
    public async Task ApimJwtAndBasicSnippets_TheirExpressionsUnchanged_ReadTheTokenAndTheCredentials()
    {
        // "Parse a JWT token using expressions" (APIM's policy snippets): validate-jwt and the condition as published,
        // the when branch answering with the Jwt's members.
        await H.SetApiPolicyAsync(inbound: """
            <validate-jwt header-name="Authorization" failed-validation-httpcode="401" failed-validation-error-message="Unauthorized" require-expiration-time="true" require-scheme="Bearer" require-signed-tokens="true" clock-skew="0" output-token-variable-name="valid-jwt">
                <issuer-signing-keys>
                    <key>bXlzZWNyZXR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHQ=</key>
                </issuer-signing-keys>
            </validate-jwt>
            <choose>
                <when condition="@{
                    var jwt = (Jwt)context.Variables["valid-jwt"];
                    var permissions = jwt.Claims["permissions"];
                    return Array.Exists(permissions, element => element == "sendEmail");
                }">
                    <return-response>
                        <set-status code="200" reason="OK" />
                        <set-body>@{
                            var jwt = context.Variables.GetValueOrDefault<Jwt>("valid-jwt");
                            var again = context.Request.Headers.GetValueOrDefault("Authorization", "").AsJwt();
                            Jwt parsed;
                            return string.Join("|", jwt.Subject, jwt.Algorithm, jwt.Type, jwt.Issuer, jwt.Id, string.Join(",", jwt.Audiences),
                                jwt.IssuedAt.Value.ToString("yyyy-MM-dd"), jwt.NotBefore.HasValue, jwt.ExpirationTime > context.Timestamp,
                                jwt.Claims.GetValueOrDefault("permissions", ""), jwt.Claims.GetValueOrDefault("missing", "none"),
                                again.Subject, "x.y".TryParseJwt(out parsed));
                        }</set-body>
                    </return-response>
                </when>
                <otherwise />
            </choose>
            """);

        var expires = H.Time.GetUtcNow().AddHours(1).ToUnixTimeSeconds();
        var withEmail = Hs256Jwt($$"""{"sub":"1234567890","name":"John Doe","iat":1516239022,"exp":{{expires}},"iss":"contoso","jti":"t-1","aud":["a","b"],"permissions":["sendEmail","sendText"]}""");
        using (var response = await H.GetAsync(configure: r => r.Headers.TryAddWithoutValidation("Authorization", "Bearer " + withEmail)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("1234567890|HS256|JWT|contoso|t-1|a,b|2018-01-18|False|True|sendEmail,sendText|none|1234567890|False", await response.Content.ReadAsStringAsync());
        }

        var textOnly = Hs256Jwt($$"""{"sub":"1234567890","exp":{{expires}},"permissions":["sendText"]}""");
        using (var response = await H.GetAsync(configure: r => r.Headers.TryAddWithoutValidation("Authorization", "Bearer " + textOnly)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("/items/42", H.Backend.Last.Path);
        }

        // "Perform basic authentication" (APIM's policy snippets): its AsBasic condition as published, with its named values.
        await H.Host.PutAsync($"{Svc}/namedValues/userid", new { properties = new { displayName = "UserId", value = "ada" } });
        await H.Host.PutAsync($"{Svc}/namedValues/password", new { properties = new { displayName = "Password", value = "s3cret:pw", secret = true } });
        await H.SetApiPolicyAsync(inbound: """
            <choose>
                <when condition="@(context.Request.Headers.GetValueOrDefault("Authorization").AsBasic()==null 
                || context.Request.Headers.GetValueOrDefault("Authorization").AsBasic().Password==null 
                || context.Request.Headers.GetValueOrDefault("Authorization").AsBasic().UserId==null 
                || context.Request.Headers.GetValueOrDefault("Authorization").AsBasic().UserId!="{{UserId}}" 
                || context.Request.Headers.GetValueOrDefault("Authorization").AsBasic().Password!="{{Password}}")">
                    <return-response>
                        <set-status code="401" reason="Not authorized" />
                    </return-response>
                </when>
            </choose>
            <set-header name="X-User" exists-action="override"><value>@{ BasicAuthCredentials c; return context.Request.Headers.GetValueOrDefault("Authorization", "").TryParseBasic(out c) ? c.UserId : "none"; }</value></set-header>
            """);

        using (var denied = await H.GetAsync(configure: r => r.Headers.TryAddWithoutValidation("Authorization", "Basic " + Convert.ToBase64String("ada:wrong"u8.ToArray()))))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        }

        using (var allowed = await H.GetAsync(configure: r => r.Headers.TryAddWithoutValidation("Authorization", "Basic " + Convert.ToBase64String("ada:s3cret:pw"u8.ToArray()))))
        {
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
            Assert.Equal("ada", H.Backend.Last.Header("X-User"));
        }
    }

    private static string Hs256Jwt(string payload)
    {
        static string Part(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var unsigned = Part("""{"alg":"HS256","typ":"JWT"}"""u8.ToArray()) + "." + Part(Encoding.UTF8.GetBytes(payload));
        var key = Convert.FromBase64String("bXlzZWNyZXR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHQ=");
        return unsigned + "." + Part(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(unsigned)));
    }

    private Task<HttpResponseMessage> PostFormAsync(string form) => PostAsync(form, "application/x-www-form-urlencoded");

    private Task<HttpResponseMessage> PostAsync(string body, string contentType) =>
        H.SendAsync(HttpMethod.Post, "/echo/items", configure: request =>
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        });
}
