using System.Text;
using Newtonsoft.Json.Linq;
using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Expressions;

namespace Tollgate.UnitTests.Policies.Expressions;

/// <summary>Samples from APIM's policy expression documentation, compiled and run against an in-memory context.</summary>
public sealed class PolicyExpressionEvaluationTests
{
    internal static object? Evaluate(string code, IProxyContext? context = null, ExpressionResultType type = ExpressionResultType.Object)
    {
        using var compiled = PolicyExpressionCompiler.Default.Compile([new PolicyExpressionSource("test", code, type)]);
        return compiled.Expressions[0].Evaluate(context ?? new TestProxyContext());
    }

    internal static string Jwt(string payloadJson)
    {
        static string Part(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{Part("{\"alg\":\"HS256\",\"typ\":\"JWT\"}")}.{Part(payloadJson)}.c2lnbmF0dXJl";
    }

    [Theory]
    [InlineData("@(true)", true)]
    [InlineData("@((1+1).ToString())", "2")]
    [InlineData("@(\"Hi There\".Length)", 8)]
    [InlineData("@( 3 > 2 ? \"yes\" : \"no\" )", "yes")]
    [InlineData("  @(context.Api.Name)  ", "Echo API")]
    public void Evaluate_SimpleDocumentationSamples(string code, object expected)
    {
        Assert.Equal(expected, Evaluate(code));
    }

    [Fact]
    public void Evaluate_RegexOverResponseHeader_ReadsMaxAge()
    {
        var context = new TestProxyContext { Response = new TestResponse { Headers = TestProxyContext.Headers(("Cache-Control", ["public, max-age=3600"])) } };

        var value = Evaluate("@(Regex.Match(context.Response.Headers.GetValueOrDefault(\"Cache-Control\",\"\"), @\"max-age=(?<maxAge>\\d+)\").Groups[\"maxAge\"]?.Value)", context);

        Assert.Equal("3600", value);
    }

    [Fact]
    public void Evaluate_VariablesTernary_TakesBothBranches()
    {
        const string Code = "@(context.Variables.ContainsKey(\"maxAge\") ? int.Parse((string)context.Variables[\"maxAge\"]) : 3600)";
        var with = new TestProxyContext { VariableValues = { ["maxAge"] = "60" } };

        Assert.Equal(60, Evaluate(Code, with));
        Assert.Equal(3600, Evaluate(Code));
    }

    [Fact]
    public void Evaluate_MultiStatementBlock_DecodesBasicAuthorization()
    {
        const string Code = """
            @{
              string[] value;
              if (context.Request.Headers.TryGetValue("Authorization", out value))
              {
                  if(value != null && value.Length > 0)
                  {
                      return Encoding.UTF8.GetString(Convert.FromBase64String(value[0]));
                  }
              }
              return null;
            }
            """;
        var context = new TestProxyContext { Request = new TestRequest { Headers = TestProxyContext.Headers(("Authorization", [Convert.ToBase64String("ada:secret"u8.ToArray())])) } };

        Assert.Equal("ada:secret", Evaluate(Code, context));
        Assert.Null(Evaluate(Code));
    }

    [Fact]
    public void Evaluate_HeaderGetValueOrDefault_JoinsValuesWithCommasOrGivesTheDefault()
    {
        var context = new TestProxyContext { Request = new TestRequest { Headers = TestProxyContext.Headers(("X-Multi", ["a", "b"])) } };

        Assert.Equal("a,b", Evaluate("@(context.Request.Headers.GetValueOrDefault(\"x-multi\", \"none\"))", context));
        Assert.Equal("none", Evaluate("@(context.Request.Headers.GetValueOrDefault(\"X-Missing\", \"none\"))", context));
        Assert.Null(Evaluate("@(context.Request.Headers.GetValueOrDefault(\"X-Missing\"))", context));
        Assert.Equal("1", Evaluate("@(context.Request.Url.Query.GetValueOrDefault(\"a\", \"\"))", context));
    }

    [Fact]
    public void Evaluate_AsJwtSubject_ReadsTheBearerToken()
    {
        var token = Jwt("{\"sub\":\"alice\",\"aud\":[\"a\",\"b\"],\"iss\":\"https://issuer\",\"exp\":1767225600}");
        var context = new TestProxyContext { Request = new TestRequest { Headers = TestProxyContext.Headers(("Authorization", ["Bearer " + token])) } };

        Assert.Equal("alice", Evaluate("@(context.Request.Headers.GetValueOrDefault(\"Authorization\",\"\").AsJwt()?.Subject)", context));
        Assert.Equal("a|b", Evaluate("@(string.Join(\"|\", context.Request.Headers.GetValueOrDefault(\"Authorization\",\"\").AsJwt().Audiences))", context));
        Assert.Equal("2026", Evaluate("@(context.Request.Headers.GetValueOrDefault(\"Authorization\",\"\").AsJwt().ExpirationTime.Value.Year.ToString())", context));
        Assert.Null(Evaluate("@(\"not a token\".AsJwt()?.Subject)"));
    }

    [Fact]
    public void Evaluate_TryParseBasic_ReadsCredentials()
    {
        var header = "Basic " + Convert.ToBase64String("ada:pa:ss"u8.ToArray());
        var context = new TestProxyContext { Request = new TestRequest { Headers = TestProxyContext.Headers(("Authorization", [header])) } };
        const string Code = """
            @{
                BasicAuthCredentials credentials;
                return context.Request.Headers.GetValueOrDefault("Authorization", "").TryParseBasic(out credentials)
                    ? credentials.UserId + "/" + credentials.Password
                    : "none";
            }
            """;

        Assert.Equal("ada/pa:ss", Evaluate(Code, context));
        Assert.Equal("none", Evaluate(Code));
    }

    [Fact]
    public void Evaluate_VariablesGetValueOrDefault_CastsOrGivesTheDefault()
    {
        var context = new TestProxyContext { VariableValues = { ["count"] = 7, ["name"] = "ada" } };

        Assert.Equal(7, Evaluate("@(context.Variables.GetValueOrDefault<int>(\"count\", 0))", context));
        Assert.Equal(5, Evaluate("@(context.Variables.GetValueOrDefault<int>(\"missing\", 5))", context));
        Assert.Equal("ada", Evaluate("@(context.Variables.GetValueOrDefault(\"name\", \"\"))", context));
        var e = Assert.Throws<PolicyExpressionException>(() => Evaluate("@(context.Variables.GetValueOrDefault<int>(\"name\", 0))", context));
        Assert.IsType<InvalidCastException>(e.InnerException);
    }

    [Fact]
    public void Evaluate_JObjectBody_ChangedAndSerialized()
    {
        const string Code = """
            @{
                var body = context.Request.Body.As<JObject>(preserveContent: true);
                body["added"] = "yes";
                body.Remove("secret");
                return body.ToString(Formatting.None);
            }
            """;
        var context = new TestProxyContext { Request = new TestRequest { Body = new MessageBody("{\"a\":1,\"secret\":\"x\"}") } };

        Assert.Equal("{\"a\":1,\"added\":\"yes\"}", Evaluate(Code, context));
        Assert.Equal(1, (int)context.Request.Body!.As<JObject>()["a"]!);
    }

    [Fact]
    public void Evaluate_StringDateTimeXmlAndLinq()
    {
        var context = new TestProxyContext { Request = new TestRequest { Headers = TestProxyContext.Headers(("X-B", ["2"]), ("X-A", ["1"]), ("Accept", ["*/*"])) } };

        Assert.Equal("2026-03-02", Evaluate("@(context.Timestamp.AddDays(1).ToString(\"yyyy-MM-dd\"))", context));
        Assert.Equal("X-A,X-B", Evaluate("@(string.Join(\",\", context.Request.Headers.Keys.Where(k => k.StartsWith(\"X-\")).OrderBy(k => k)))", context));
        Assert.Equal(2, Evaluate("@((from h in context.Request.Headers where h.Key.StartsWith(\"X-\") select h.Key).Count())", context));
        Assert.Equal("1", Evaluate("@(XElement.Parse(\"<a><b>1</b></a>\").Element(\"b\").Value)"));
        Assert.Equal("ECHO API", Evaluate("@(context.Api.Name.ToUpperInvariant())"));
        Assert.Equal("(a, 1)", Evaluate("@{ var t = (\"a\", 1); return t.ToString(); }"));
    }

    [Fact]
    public void Evaluate_Trace_ReachesTheContext()
    {
        var context = new TestProxyContext();

        Assert.Equal(true, Evaluate("@{ context.Trace(\"hello \" + context.Operation.Id); return true; }", context, ExpressionResultType.Boolean));
        Assert.Equal(["hello rrs-execute"], context.Traces);
    }

    [Fact]
    public void Evaluate_ResultTypes_AreConverted()
    {
        Assert.Equal("200", Evaluate("@(context.Response.StatusCode)", new TestProxyContext { Response = new TestResponse() }, ExpressionResultType.String));
        Assert.Equal(5L, Evaluate("@(\"5\")", type: ExpressionResultType.Integer));
        Assert.Equal(12L, Evaluate("@(context.Elapsed.Milliseconds)", type: ExpressionResultType.Integer));
        Assert.Equal(false, Evaluate("@(context.Variables.Count > 0)", type: ExpressionResultType.Boolean));
        var notInteger = Assert.Throws<PolicyExpressionException>(() => Evaluate("@(\"five\")", type: ExpressionResultType.Integer));
        Assert.Contains("not an integer", notInteger.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_BooleanResultType_RefusesAStringAtCompileTime()
    {
        var error = Assert.Single(PolicyExpressionCompiler.Default.Check([new PolicyExpressionSource("c", "@(\"yes\")", ExpressionResultType.Boolean)]));

        Assert.Contains("CS0029", error.Message, StringComparison.Ordinal);
        Assert.Equal((1, 3), (error.Line, error.Column));
    }

    [Fact]
    public void Evaluate_RuntimeException_IsWrappedWithThePath()
    {
        var e = Assert.Throws<PolicyExpressionException>(() => Evaluate("@(int.Parse(\"x\"))"));

        Assert.Equal("test", e.Path);
        Assert.IsType<FormatException>(e.InnerException);
    }

    [Fact]
    public void CompileDocument_AllExpressionsInOneAssembly_FoundByTheirAttributeOrElement()
    {
        const string Xml = """
            <policies>
              <inbound>
                <set-variable name="who" value="@(context.User.FirstName)" />
                <choose>
                  <when condition="@(context.Request.Method == &quot;GET&quot;)">
                    <set-header name="X-Who" exists-action="override"><value>@((string)context.Variables["who"] + "!")</value></set-header>
                  </when>
                </choose>
                <rate-limit-by-key calls="@(context.Variables.Count + 9)" renewal-period="60" counter-key="@(context.Request.IpAddress)" />
              </inbound>
            </policies>
            """;
        var document = PolicyDocument.Parse(Xml);
        var context = new TestProxyContext { User = new TestUser(), VariableValues = { ["who"] = "Ada" } };
        var inbound = document.Inbound!.Elements;
        var when = inbound[1].Children[0];

        using var compiled = PolicyExpressionCompiler.Default.Compile([document]);

        Assert.Equal(
            ["policies/inbound/set-variable[1]/@value", "policies/inbound/choose[1]/when[1]/@condition", "policies/inbound/choose[1]/when[1]/set-header[1]/value[1]",
             "policies/inbound/rate-limit-by-key[1]/@calls", "policies/inbound/rate-limit-by-key[1]/@counter-key"],
            compiled.Expressions.Select(e => e.Path));
        Assert.Equal("Ada", compiled.Find(inbound[0].GetAttribute("value")!)!.Evaluate(context));
        Assert.Equal(ExpressionResultType.Boolean, compiled.Find(when.GetAttribute("condition")!)!.ResultType);
        Assert.True(compiled.Find(when.GetAttribute("condition")!)!.EvaluateBoolean(context));
        Assert.Equal("Ada!", compiled.Find(when.Children[0].Children[0])!.EvaluateString(context));
        Assert.Equal(10L, compiled.Find(inbound[2].GetAttribute("calls")!)!.Evaluate(context));
        Assert.Equal("10.1.2.3", compiled.Find("policies/inbound/rate-limit-by-key[1]/@counter-key")!.Evaluate(context));
    }

    [Fact]
    public async Task WarmUpAsync_CompilesOffTheCallersThread()
    {
        await PolicyExpressionCompiler.WarmUpAsync();

        Assert.Equal("warm", Evaluate("@(\"warm\")"));
    }

    [Fact]
    public void Evaluate_UnboundedDuration_StillCountsSteps()
    {
        var limits = new ExpressionLimits { MaxSteps = 20, MaxDuration = TimeSpan.MaxValue };
        using var compiled = new PolicyExpressionCompiler(limits).Compile([new PolicyExpressionSource("x", "@(Enumerable.Range(0, 5).Select(i => i).Sum())"), new PolicyExpressionSource("y", "@(Enumerable.Range(0, 50).Select(i => i).Sum())")]);

        Assert.Equal(10, compiled.Expressions[0].Evaluate(new TestProxyContext()));
        Assert.Throws<ExpressionBudgetExceededException>(() => compiled.Expressions[1].Evaluate(new TestProxyContext()));
    }

    [Fact]
    public void Evaluate_ManyThreads_EachWithinItsOwnBudget()
    {
        using var compiled = PolicyExpressionCompiler.Default.Compile([new PolicyExpressionSource("sum", "@{ var s = 0; for (var i = 0; i < 1000; i++) { s += i; } return s; }")]);
        var expression = compiled.Expressions[0];

        var results = Enumerable.Range(0, 64).AsParallel().Select(_ => expression.Evaluate(new TestProxyContext())).ToArray();

        Assert.All(results, r => Assert.Equal(499500, r));
    }
}
