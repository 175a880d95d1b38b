using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Newtonsoft.Json.Linq;
using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Expressions;

namespace Tollgate.UnitTests.Policies.Expressions;

/// <summary>
/// APIM's documented expression surface (README "Policy expressions", the table of types and members): each type of
/// APIM's list compiles, the helpers APIM adds (Encrypt/Decrypt, AsFormUrlEncodedContent, VerifyNoRevocation,
/// MatchedParameters.GetValueOrDefault, ...) give APIM's results, and what Tollgate refuses is refused naming it.
/// </summary>
public sealed class PolicyExpressionApimSurfaceTests
{
    private static readonly byte[] Key = Convert.FromBase64String("q83vASNFZ4mrze8BI0VniavN7wEjRWeJ"); // 24 bytes: AES-192, as APIM's snippet

    private static readonly byte[] Iv = Convert.FromBase64String("AAECAwQFBgcICQoLDA0ODw==");

    private static IReadOnlyList<PolicyError> Check(string code, ExpressionResultType type = ExpressionResultType.Object) =>
        PolicyExpressionCompiler.Default.Check([new PolicyExpressionSource("policies/inbound/set-variable[1]/@value", code, type)]);

    private static object? Evaluate(string code, IProxyContext? context = null) => PolicyExpressionEvaluationTests.Evaluate(code, context);

    private static T Stopped<T>(string code, IProxyContext? context = null)
        where T : Exception
    {
        using var compiled = PolicyExpressionCompiler.Default.Compile([new PolicyExpressionSource("policies/inbound/set-body[1]", code)]);
        return Assert.Throws<T>(() => compiled.Expressions[0].Evaluate(context ?? new TestProxyContext()));
    }

    // One use of every type of APIM's list ("API Management policy expressions", .NET Framework types allowed), as written in APIM.
    [Theory]
    [InlineData("@(JsonConvert.SerializeObject(new JObject(new JProperty(\"a\", new JArray(1, 2))), Formatting.None))")]
    [InlineData("@(JsonConvert.DeserializeObject<JObject>(\"{\\\"a\\\":1}\")[\"a\"].Value<int>())")]
    [InlineData("@(new JConstructor(\"Date\", 1).ToString() + new JRaw(\"1\").ToString() + JTokenType.Array + new JValue(1))")]
    [InlineData("@(JToken.Parse(\"[1]\").Children().Values<int>().First())")]
    [InlineData("@(Array.IndexOf(new[] { 1, 2 }, 2) + BitConverter.GetBytes(1).Length + (bool.Parse(\"true\") ? 1 : 0) + byte.MaxValue + char.GetNumericValue('1'))")]
    [InlineData("@{ var d = new Dictionary<string, int>(); var h = new HashSet<int>(); ICollection<int> c = h; IDictionary<string, int> i = d; IReadOnlyCollection<int> r = new List<int>(); IReadOnlyDictionary<string, int> rd = d; ISet<int> s = h; var q = new Queue<int>(); var st = new Stack<int>(); IList<int> l = new List<int>(); IEnumerator<int> e = l.GetEnumerator(); return new KeyValuePair<string, int>(\"a\", c.Count + i.Count + r.Count + rd.Count + s.Count + q.Count + st.Count).Key; }")]
    [InlineData("@(Convert.ToBase64String(new byte[] { 1 }) + new DateTime(2026, 1, 2).AddDays(1).ToString(\"yyyy-MM-dd\") + DateTime.UtcNow.Year + DateTimeKind.Utc)")]
    [InlineData("@(\"\" + DateTimeOffset.UtcNow.ToUnixTimeSeconds() + decimal.One + double.Epsilon + (Enum.TryParse(\"Monday\", out DayOfWeek day) ? day.ToString() : \"\"))")]
    [InlineData("@(new Exception(\"x\").Message + Guid.NewGuid() + short.MaxValue + int.MaxValue + long.MaxValue)")]
    [InlineData("@(new StringReader(\"a\\nb\").ReadLine() + new StringWriter().ToString() + Enumerable.Range(0, 3).Sum() + Math.Round(1.5, MidpointRounding.AwayFromZero))")]
    [InlineData("@(IPAddress.Parse(\"10.0.0.1\").AddressFamily + \" \" + WebUtility.UrlEncode(\"a b\") + new Nullable<int>(1) + new Random(1).Next(5) + sbyte.MinValue)")]
    [InlineData("@(CipherMode.CBC + \" \" + PaddingMode.PKCS7 + HashAlgorithmName.SHA256.Name + new HMACSHA256(new byte[] { 1 }).ComputeHash(new byte[] { 2 }).Length)")]
    [InlineData("@(new HMACMD5().HashSize + new HMACSHA1().HashSize + new HMACSHA384().HashSize + new HMACSHA512().HashSize + MD5.Create().HashSize)")]
    [InlineData("@(new Oid(\"2.5.29.17\").Value + RSAEncryptionPadding.OaepSHA256 + RSASignaturePadding.Pkcs1 + RSA.Create().KeySize)")]
    [InlineData("@(SHA1.Create().HashSize + SHA256.Create().HashSize + SHA384.Create().HashSize + SHA512.Create().HashSize + new SHA256Managed().HashSize + new SHA1Managed().HashSize + new SHA384Managed().HashSize + new SHA512Managed().HashSize)")]
    [InlineData("@{ var r = new RNGCryptoServiceProvider(); var b = new byte[4]; r.GetBytes(b); HashAlgorithm h = SHA256.Create(); KeyedHashAlgorithm k = new HMACSHA256(); HMAC m = new HMACSHA1(); AsymmetricAlgorithm a = RSA.Create(); return b.Length + h.HashSize + k.HashSize + m.HashSize + a.KeySize; }")]
    [InlineData("@(context.Request.Certificate == null ? X509ContentType.Cert.ToString() + X509NameType.SimpleName : context.Request.Certificate.SubjectName.Name + context.Request.Certificate.PublicKey.Oid.Value + context.Request.Certificate.GetRSAPublicKey().KeySize + context.Request.Certificate.GetNameInfo(X509NameType.DnsName, false))")]
    [InlineData("@(\"\" + float.Parse(\"1.5\") + \"a,b\".Split(',').Length + StringComparer.OrdinalIgnoreCase.Compare(\"a\", \"A\") + \"x\".Equals(\"X\", StringComparison.OrdinalIgnoreCase) + \"a,,b\".Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries).Length + Encoding.UTF8.GetByteCount(\"é\"))")]
    [InlineData("@{ var m = Regex.Match(\"k=v\", \"(?<k>\\\\w)=(?<v>\\\\w)\", RegexOptions.IgnoreCase); var g = m.Groups[\"v\"]; return g.Success + \" \" + g.Captures.Count + m.Groups.Count + g.Captures[0].Value + g.Captures[0].Index + g.Captures[0].Length + m.Result(\"$1\") + Match.Empty.Groups.Count + Regex.Replace(\"a\", \"a\", \"b\") + Regex.Split(\"a b\", \" \").Length + Regex.Unescape(\"\\\\t\") + Regex.Matches(\"aa\", \"a\").Count + new Regex(\"a\").IsMatch(\"a\"); }")]
    [InlineData("@(new StringBuilder(\"a\").Append(1).ToString() + TimeSpan.FromSeconds(1) + TimeZoneInfo.Utc.Id + TimeZoneInfo.Utc.GetAdjustmentRules().Length + TimeZone.CurrentTimeZone.StandardName + Tuple.Create(1, 2).Item2)")]
    [InlineData("@{ TimeZoneInfo.AdjustmentRule[] rules = TimeZoneInfo.Utc.GetAdjustmentRules(); TimeZoneInfo.TransitionTime t = TimeZoneInfo.TransitionTime.CreateFixedDateRule(DateTime.MinValue.AddHours(2), 3, 1); return rules.Length + t.Month; }")]
    [InlineData("@(\"\" + ushort.MaxValue + uint.MaxValue + ulong.MaxValue + new Uri(\"http://a/b\").GetLeftPart(UriPartial.Authority))")]
    [InlineData("@{ var d = new XDocument(new XDeclaration(\"1.0\", \"utf-8\", null), new XDocumentType(\"a\", null, null, null), new XProcessingInstruction(\"p\", \"x\"), new XComment(\"c\"), new XElement(XNamespace.Get(\"urn:x\") + \"a\", new XAttribute(\"k\", \"v\"), new XCData(\"d\"), new XText(\"t\"))); XContainer c = d; XNode n = d.Root; XObject o = n; XName name = d.Root.Name; return d.Descendants().Count() + d.Root.Attributes().Count() + name.LocalName + o.NodeType + XNode.DocumentOrderComparer.Compare(n, n) + XNode.EqualityComparer.Equals(n, n) + c.Nodes().Count() + (n.NodeType == XmlNodeType.Element); }")]
    public void Check_EveryTypeOfApimsList_Compiles(string code)
    {
        Assert.Empty(Check(code));
        _ = Evaluate(code);
    }

    // APIM's own helpers and context members (the tables of the context variable).
    [Theory]
    [InlineData("@(context.Deployment.Gateway.Id + context.Deployment.Gateway.InstanceId + context.Deployment.Gateway.IsManaged + context.Deployment.ServiceId + context.Deployment.SustainabilityInfo.CurrentCarbonIntensity + context.Deployment.GatewayId + context.Deployment.Region + context.Deployment.ServiceName + context.Deployment.Certificates.Count)")]
    [InlineData("@(context.Workspace == null && context.Backend == null ? \"none\" : context.Workspace.Id + context.Workspace.Name + context.Backend.Id + context.Backend.AzureRegion + (context.Backend.Type == BackendType.Pool))")]
    [InlineData("@(context.Product == null ? 0 : context.Product.SubscriptionsLimit ?? context.Product.SubscriptionLimit ?? 0)")]
    [InlineData("@(context.User == null ? \"\" : context.User.Email + context.User.FirstName + context.User.LastName + context.User.Id + context.User.Note + context.User.RegistrationDate + context.User.Groups.Count() + context.User.Identities.Select(i => i.Provider + i.Id).FirstOrDefault())")]
    [InlineData("@(context.Subscription == null ? \"\" : context.Subscription.Id + context.Subscription.Key + context.Subscription.Name + context.Subscription.PrimaryKey + context.Subscription.SecondaryKey + context.Subscription.CreatedDate + context.Subscription.StartDate + context.Subscription.EndDate)")]
    [InlineData("@(context.Request.MatchedParameters.GetValueOrDefault(\"id\", \"none\") + context.Request.MatchedParameters.GetValueOrDefault(\"id\"))")]
    [InlineData("@(context.Request.Url.Query.GetValueOrDefault(\"a\", \"\") + context.Request.OriginalUrl.QueryString + context.Request.IpAddress + context.Request.PrivateEndpointConnection + context.Elapsed + context.RequestId + context.Timestamp + context.Tracing)")]
    [InlineData("@(\"Bearer x.y.z\".AsJwt() == null && !\"x\".TryParseBasic(out var c) && \"Basic YTpi\".AsBasic().UserId == \"a\")")]
    public void Check_ContextMembersAndHelpers_Compile(string code)
    {
        Assert.Empty(Check(code));
        _ = Evaluate(code);
    }

    [Fact]
    public void Evaluate_ApimEncryptSnippet_GivesAesCbcCipherTextThatDecryptRestores()
    {
        // "Encrypt data using expressions" (APIM's policy snippets), unchanged.
        const string Encrypt = """
            @{

                        string goober = (string)context.Request.MatchedParameters["Goober"];
                        byte[] gooberBytes = Encoding.UTF8.GetBytes(goober);
                        
                        byte[] IV = Convert.FromBase64String((string)context.Variables["IV"]);
                        byte[] key = Convert.FromBase64String((string)context.Variables["key"]);
                        
                        byte[] encryptedBytes = gooberBytes.Encrypt("Aes", key, IV);
                        
                        return Convert.ToBase64String(encryptedBytes);
                    }
            """;
        var context = new TestProxyContext
        {
            Request = new TestRequest { MatchedParameters = new Dictionary<string, string> { ["Goober"] = "peanut" } },
            VariableValues = { ["IV"] = Convert.ToBase64String(Iv), ["key"] = Convert.ToBase64String(Key) },
        };

        var cipher = (string)Evaluate(Encrypt, context)!;

        using var aes = Aes.Create();
        aes.Key = Key;
        Assert.Equal(Convert.ToBase64String(aes.EncryptCbc("peanut"u8, Iv)), cipher);

        // "Decrypt AES Data using policy expressions", unchanged: the cipher text comes in a JSON body.
        const string Decrypt = """
            @{
                        byte[] inBytes = Convert.FromBase64String(context.Request.Body.As<JObject>().SelectToken("encrpText").ToString());
                        byte[] IV = Convert.FromBase64String((string)context.Variables["IV"]);
                        byte[] key = Convert.FromBase64String((string)context.Variables["key"]);
                        byte[] decryptedBytes = inBytes.Decrypt("Aes", key, IV);
                        return Encoding.UTF8.GetString(decryptedBytes);
                     }
            """;
        var decrypting = new TestProxyContext
        {
            Request = new TestRequest { Body = new MessageBody(new JObject { ["encrpText"] = cipher }.ToString()) },
            VariableValues = { ["IV"] = Convert.ToBase64String(Iv), ["key"] = Convert.ToBase64String(Key) },
        };

        Assert.Equal("peanut", Evaluate(Decrypt, decrypting));
    }

    [Theory]
    [InlineData("Aes")]
    [InlineData("AES")]
    [InlineData("AesManaged")]
    [InlineData("System.Security.Cryptography.AesCryptoServiceProvider")]
    [InlineData("TripleDES")]
    [InlineData("3DES")]
    [InlineData("DES")]
    [InlineData("RC2")]
    [InlineData("Rijndael")]
    public void Evaluate_EncryptDecryptByName_RoundTrips(string algorithm)
    {
        var keySize = algorithm switch { "DES" => 8, "RC2" => 16, "TripleDES" or "3DES" => 24, _ => 32 };
        var ivSize = algorithm is "DES" or "RC2" or "TripleDES" or "3DES" ? 8 : 16;
        var code = $$"""
            @{
                var key = new byte[{{keySize}}]; var iv = new byte[{{ivSize}}];
                for (int i = 0; i < key.Length; i++) { key[i] = (byte)i; }
                var cipher = Encoding.UTF8.GetBytes("hello, policy").Encrypt("{{algorithm}}", key, iv);
                return Convert.ToBase64String(cipher) + "|" + Encoding.UTF8.GetString(cipher.Decrypt("{{algorithm}}", key, iv));
            }
            """;

        var parts = ((string)Evaluate(code)!).Split('|');

        Assert.NotEqual("hello, policy", Encoding.UTF8.GetString(Convert.FromBase64String(parts[0])));
        Assert.Equal("hello, policy", parts[1]);
    }

    [Fact]
    public void Evaluate_EncryptDecryptWithASymmetricAlgorithm_UseItsOwnOrTheGivenKeyAndIv()
    {
        const string Code = """
            @{
                var alg = SymmetricAlgorithm.Create("Aes");
                alg.Key = new byte[32];
                alg.IV = new byte[16];
                var text = Encoding.UTF8.GetBytes("secret");
                var own = text.Encrypt(alg);
                var given = text.Encrypt(alg, new byte[32], new byte[16]);
                var other = text.Encrypt(alg, Enumerable.Repeat((byte)7, 32).ToArray(), new byte[16]);
                return Convert.ToBase64String(own) == Convert.ToBase64String(given)
                    && Convert.ToBase64String(own) != Convert.ToBase64String(other)
                    && Encoding.UTF8.GetString(own.Decrypt(alg)) == "secret"
                    && Encoding.UTF8.GetString(other.Decrypt(alg, Enumerable.Repeat((byte)7, 32).ToArray(), new byte[16])) == "secret";
            }
            """;

        Assert.Equal(true, Evaluate(Code));
    }

    [Fact]
    public void Evaluate_CryptoCreateByName_GivesTheFrameworksAlgorithmsAndNullForAnyOtherName()
    {
        Assert.Equal("32", Evaluate("@(HashAlgorithm.Create(\"SHA256\").ComputeHash(new byte[0]).Length.ToString())"));
        Assert.Equal("True", Evaluate("@((SHA256.Create(\"SHA1\") == null).ToString())"));
        Assert.Equal("True", Evaluate("@((SymmetricAlgorithm.Create(\"System.IO.FileInfo, System.IO.FileSystem\") == null).ToString())"));
        Assert.Equal("True", Evaluate("@((KeyedHashAlgorithm.Create(\"System.Diagnostics.Process\") == null).ToString())"));
        Assert.Equal(20, Evaluate("@(HMAC.Create(\"HMACSHA1\").HashSize / 8)"));
        Assert.Equal(2048, Evaluate("@(AsymmetricAlgorithm.Create(\"RSA\").KeySize)"));
        Assert.Equal(128, Evaluate("@(MD5.Create(\"MD5\").HashSize)"));
    }

    [Fact]
    public void Check_CryptoCreateOrXmlParseAsADelegate_IsRefused()
    {
        var errors = Check("@(new[] { \"<a/>\" }.Select(XElement.Parse).Count())");
        Assert.Contains(errors, e => e.Message.Contains("XElement.Parse(string)' may only be called", StringComparison.Ordinal));

        errors = Check("@(new[] { \"SHA1\" }.Select(HashAlgorithm.Create).Count())");
        Assert.Contains(errors, e => e.Message.Contains("HashAlgorithm.Create(string)' may only be called", StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_VerifyNoRevocation_IsFalseForAnUntrustedCertificateWithoutDownloadingAnything()
    {
        using var rsa = RSA.Create(2048);
        using var certificate = new CertificateRequest("CN=policy-test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var context = new TestProxyContext { Request = new TestRequest { Certificate = X509CertificateLoader.LoadCertificate(certificate.RawData) } };

        Assert.Equal(false, Evaluate("@(context.Request.Certificate.VerifyNoRevocation())", context));
    }

    [Fact]
    public void Evaluate_ApimFormUrlEncodedExamples_ReadAndWriteFormData()
    {
        static TestProxyContext Form(string body) => new() { Request = new TestRequest { Body = new MessageBody(body) } };
        const string Body = "name=Ada+Lovelace&tag=a&tag=b%26c&empty=&flag";

        // set-body's "Access the body as URL-encoded form data", unchanged.
        const string ToJson = """
            @{ 
                var inBody = context.Request.Body.AsFormUrlEncodedContent();
                return JsonConvert.SerializeObject(inBody); 
            }
            """;
        Assert.Equal("""{"name":["Ada Lovelace"],"tag":["a","b&c"],"empty":[""],"flag":[""]}""", Evaluate(ToJson, Form(Body)));

        // set-body's "Access and return body as URL-encoded form data", unchanged.
        const string AddField = """
            @{ 
                var body = context.Request.Body.AsFormUrlEncodedContent();
                body["newKey"].Add("newValue");
                return body.ToFormUrlEncodedContent(); 
            }
            """;
        Assert.Equal("name=Ada+Lovelace&tag=a&tag=b%26c&empty=&flag=&newKey=newValue", Evaluate(AddField, Form(Body)));

        Assert.Equal("?a=1+2", Evaluate("@(context.Request.Body.AsFormUrlEncodedContent().ToQueryString())", Form("a=1%202")));
        Assert.Null(Evaluate("@(context.Request.Body.AsFormUrlEncodedContent().ToQueryString())", Form("")));
    }

    [Fact]
    public void Evaluate_AsFormUrlEncodedContent_ConsumesTheBodyUnlessPreserved()
    {
        var body = new MessageBody("a=1");
        var context = new TestProxyContext { Request = new TestRequest { Body = body } };

        Assert.Equal(1, Evaluate("@(context.Request.Body.AsFormUrlEncodedContent(preserveContent: true).Count)", context));
        Assert.Equal("a=1", Encoding.UTF8.GetString(body.Content));
        Assert.Equal(1, Evaluate("@(context.Request.Body.AsFormUrlEncodedContent().Count)", context));
        Assert.Empty(body.Content);
    }

    [Fact]
    public void Evaluate_XmlParse_RefusesADocumentTypeDeclarationAndExpandsNoEntity()
    {
        const string Laughs = """<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>""";
        var context = new TestProxyContext { VariableValues = { ["xml"] = Laughs } };

        var e = Stopped<PolicyExpressionException>("@(XDocument.Parse((string)context.Variables[\"xml\"]).Root.Value)", context);
        Assert.Contains("DTD", e.Message, StringComparison.Ordinal);
        e = Stopped<PolicyExpressionException>("@(XElement.Parse((string)context.Variables[\"xml\"]).Value)", context);
        Assert.Contains("DTD", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_XmlParse_RefusesNestingDeeperThanTheBudget()
    {
        var deep = string.Concat(Enumerable.Repeat("<a>", 100)) + string.Concat(Enumerable.Repeat("</a>", 100));
        var context = new TestProxyContext { VariableValues = { ["xml"] = deep } };

        var e = Stopped<ExpressionBudgetExceededException>("@(XDocument.Parse((string)context.Variables[\"xml\"]).Descendants().Count())", context);

        Assert.Equal("depth", e.Budget);
    }

    [Fact]
    public void Evaluate_XmlParseAndXNodeBodies_WorkAsInApim()
    {
        Assert.Equal("1|b|True", Evaluate("@{ var e = XElement.Parse(\"<a>\\n <b>1</b></a>\", LoadOptions.PreserveWhitespace); return e.Element(\"b\").Value + \"|\" + XDocument.Parse(\"<a><b/></a>\").Root.Elements().First().Name + \"|\" + (e.Parent == null); }"));
        var context = new TestProxyContext { Request = new TestRequest { Body = new MessageBody("<order><id>7</id></order>") } };
        Assert.Equal("7", Evaluate("@(context.Request.Body.As<XElement>(preserveContent: true).Element(\"id\").Value)", context));
        Assert.Equal("7", Evaluate("@(((XElement)context.Request.Body.As<XNode>(preserveContent: true)).Element(\"id\").Value)", context));
        Assert.Equal("7", Evaluate("@(context.Request.Body.As<XDocument>().Root.Element(\"id\").Value)", context));
    }

    // APIM's public snippet "Extract value from XML" (Azure/api-management-policy-snippets), its code unchanged.
    [Fact]
    public void Evaluate_XmlReaderSnippet_ExtractsTheValue()
    {
        const string Code = """
            @{
                var xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><SomeCustomElement><SomeCustomNestedElement>ABCDEF123456789</SomeCustomNestedElement></SomeCustomElement></soap:Body></soap:Envelope>";
                var ret = "";
                using (XmlReader reader = XmlReader.Create(new StringReader(xml)))
                {
                    reader.MoveToContent();
                    reader.Read();
                    while (!reader.EOF && ret == "")
                    {
                        if (reader.Name == "SomeCustomNestedElement")
                        {
                            var el = XNode.ReadFrom(reader) as XElement;
                            ret = el == null ? "" : el.Value;
                        } else {
                            reader.Read();
                        }
                    }
                }
                return ret;
            }
            """;

        Assert.Equal("ABCDEF123456789", Evaluate(Code));
    }

    [Fact]
    public void Evaluate_XmlReader_RefusesADocumentTypeDeclarationAndNestingDeeperThanTheBudget()
    {
        const string Laughs = """<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><l>&b;</l>""";
        var context = new TestProxyContext { VariableValues = { ["xml"] = Laughs } };
        const string ReadAll = "@{ using (var r = XmlReader.Create(new StringReader((string)context.Variables[\"xml\"]))) { var n = 0; while (r.Read()) { n++; } return n; } }";

        var e = Stopped<PolicyExpressionException>(ReadAll, context);
        Assert.Contains("DTD", e.Message, StringComparison.Ordinal);

        context.VariableValues["xml"] = string.Concat(Enumerable.Repeat("<a>", 100)) + string.Concat(Enumerable.Repeat("</a>", 100));
        Assert.Equal("depth", Stopped<ExpressionBudgetExceededException>(ReadAll, context).Budget);
        context.VariableValues["xml"] = "<a><b>1</b></a>";
        Assert.Equal(5, Evaluate(ReadAll, context));
    }

    [Theory]
    [InlineData("@(new System.Xml.XmlDocument().CreateNavigator().Evaluate(\"1\"))", "XmlDocument.CreateNavigator()")]
    [InlineData("@(XmlReader.Create(\"http://127.0.0.1/a.xml\").Read())", "XmlReader.Create")]
    [InlineData("@(XmlReader.Create(new StringReader(\"<a/>\"), null).Read())", "XmlReader.Create")]
    [InlineData("@(XmlReader.Create(new StringReader(\"<a/>\")).Settings.DtdProcessing)", "System.Xml.XmlReader.Settings")]
    [InlineData("@(System.Xml.XPath.Extensions.XPathSelectElement(XElement.Parse(\"<a><b/></a>\"), \"b\").Name.LocalName)", "System.Xml.XPath.Extensions")]
    [InlineData("@(XDocument.Load(new StringReader(\"<a/>\")).Root.Name.LocalName)", "XDocument.Load")]
    [InlineData("@(context.GraphQL)", "Tollgate runs no GraphQL APIs")]
    [InlineData("@(System.IO.File.Exists(\"/etc/passwd\"))", "System.IO.File")]
    [InlineData("@(Path.GetTempPath())", "System.IO.Path")]
    public void Check_WhatApimOrTollgateRefuses_IsRefusedNamingIt(string code, string named)
    {
        var errors = Check(code);

        Assert.Contains(errors, e => e.Message.Contains(named, StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_StringReaderAndStringWriter_ReadAndWriteText()
    {
        const string Code = """
            @{
                var reader = new StringReader("first\nsecond");
                reader.ReadLine();
                var writer = new StringWriter();
                writer.Write(reader.ReadToEnd());
                writer.Write('!');
                XDocument.Parse("<a/>").Save(writer, SaveOptions.DisableFormatting);
                return writer.ToString();
            }
            """;

        Assert.Equal("""second!<?xml version="1.0" encoding="utf-16"?><a />""", Evaluate(Code));
    }

    [Theory]
    [InlineData("@{ var b = new StringBuilder { Capacity = 16 }; return b.Append('x').ToString(); }", "new StringBuilder(…) { … }")]
    [InlineData("@{ var w = new StringWriter() { NewLine = \"\\n\" }; w.Write('x'); return w.ToString(); }", "new StringWriter(…) { … }")]
    public void Check_UnboundedTextBuilderThroughAnInitializer_IsRefused(string code, string named)
    {
        Assert.Contains(Check(code), e => e.Message.Contains(named, StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_StringWriter_CannotGrowPastTheStringBudget()
    {
        var e = Stopped<ExpressionBudgetExceededException>("@{ var w = new StringWriter(); var s = new string('x', 1000000); for (int i = 0; i < 10; i++) { w.Write(s); } return w.ToString().Length; }");

        Assert.Equal("string", e.Budget);
    }

    [Fact]
    public void Evaluate_LocalFunctions_RunIncludingRecursion()
    {
        const string Code = """
            @{
                int Factorial(int n) { return n <= 1 ? 1 : n * Factorial(n - 1); }
                string Twice(string s) => s + s;
                int total = 0;
                void Add(int n) => total += n;
                Add(Factorial(5));
                Add(new[] { 1, 2 }.Select(x => Factorial(x)).Sum());
                return Twice(total.ToString());
            }
            """;

        Assert.Equal("123123", Evaluate(Code));
    }

    [Theory]
    [InlineData("@{ int F(int n) { return F(n + 1); } return F(0); }", "calls")]
    [InlineData("@{ int F(int n) => G(n); int G(int n) => F(n); return F(0); }", "calls")]
    [InlineData("@{ long Fib(int n) => n < 2 ? n : Fib(n - 1) + Fib(n - 2); return Fib(60); }", "steps")]
    public void Evaluate_RunawayLocalFunctions_AreStoppedByTheBudget(string code, string budget)
    {
        var e = Stopped<ExpressionBudgetExceededException>(code);

        Assert.Equal(budget, e.Budget);
    }

    [Fact]
    public void Evaluate_LocalFunctionCatchingTheBudgetException_IsStoppedAllTheSame()
    {
        var e = Stopped<ExpressionBudgetExceededException>("@{ int F(int n) { try { return F(n + 1); } catch (Exception) { return F(n + 1); } } return F(0); }");

        Assert.Contains(e.Budget, new[] { "calls", "steps" });
    }

    [Fact]
    public void Check_LocalFunctionUsingAForbiddenType_IsRefusedNamingIt()
    {
        var errors = Check("@{ string Read(System.IO.FileInfo f) { return f.Name; } return Read(null); }");

        Assert.Contains(errors, e => e.Message.Contains("System.IO.FileInfo", StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_ContextOfTheDocumentation_GivesItsValues()
    {
        var context = new TestProxyContext
        {
            Request = new TestRequest { MatchedParameters = new Dictionary<string, string> { ["id"] = "42" } },
            Product = new TestProduct(),
        };

        Assert.Equal("42|none|managed|managed|True|NotAvailable|5|", Evaluate(
            "@(context.Request.MatchedParameters.GetValueOrDefault(\"id\", \"\") + \"|\" + context.Request.MatchedParameters.GetValueOrDefault(\"x\", \"none\") + \"|\" + context.Deployment.Gateway.Id + \"|\" + context.Deployment.Gateway.InstanceId + \"|\" + context.Deployment.Gateway.IsManaged + \"|\" + context.Deployment.SustainabilityInfo.CurrentCarbonIntensity + \"|\" + context.Product.SubscriptionsLimit + \"|\" + context.Workspace)",
            context));
    }

    private sealed class TestProduct : IProduct
    {
        public IEnumerable<IApi> Apis => [];

        public bool ApprovalRequired => false;

        public IEnumerable<IGroup> Groups => [];

        public string Id => "gold";

        public string Name => "Gold";

        public ProductState State => ProductState.Published;

        public int? SubscriptionLimit => 5;

        public bool SubscriptionRequired => true;
    }
}
