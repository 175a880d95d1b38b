using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Expressions;

namespace Tollgate.UnitTests.Policies.Expressions;

/// <summary>
/// What one evaluation may build and how long a library call may run: nesting deep enough to overflow a recursive
/// writer, strings and collections past their caps, LINQ and regular expressions past the budget. Each case used to
/// crash the process (stack overflow), run for seconds or take gigabytes.
/// </summary>
public sealed class PolicyExpressionLimitsTests
{
    /// <summary>
    /// Evaluates until a budget stops it. Unless the test gives its own limits, the time budget's clock stands still:
    /// a busy machine would otherwise let the one-second budget run out before the depth or steps budget under test.
    /// </summary>
    private static ExpressionBudgetExceededException Stopped(string code, ExpressionLimits? limits = null)
    {
        limits ??= new ExpressionLimits { TimeProvider = new Microsoft.Extensions.Time.Testing.FakeTimeProvider() };
        using var compiled = new PolicyExpressionCompiler(limits).Compile([new PolicyExpressionSource("policies/inbound/set-body[1]", code)]);
        return Assert.Throws<ExpressionBudgetExceededException>(() => compiled.Expressions[0].Evaluate(new TestProxyContext()));
    }

    private static object? Run(string code)
    {
        using var compiled = PolicyExpressionCompiler.Default.Compile([new PolicyExpressionSource("policies/inbound/set-body[1]", code)]);
        return compiled.Expressions[0].Evaluate(new TestProxyContext());
    }

    // Each of these overflowed the stack (killing the process) in a recursive library walk before nesting was bounded.
    [Theory]
    [InlineData("@{ var a = new JArray(); for (int i = 0; i < 200000; i++) { var b = new JArray(); b.Add(a); a = b; } return a.ToString(Formatting.None); }")]
    [InlineData("@{ var root = new JArray(); var cur = root; for (int i = 0; i < 200000; i++) { var n = new JArray(); cur.Add(n); cur = n; } return root.ToString(); }")]
    [InlineData("@{ var o = new JObject(); var cur = o; for (int i = 0; i < 200000; i++) { var n = new JObject(); cur[\"a\"] = n; cur = n; } return JsonConvert.SerializeObject(o); }")]
    [InlineData("@{ JToken a = new JArray(); for (int i = 0; i < 200000; i++) { a = new JArray(a); } return a.DeepClone().ToString(); }")]
    [InlineData("@{ var a = new JObject(); for (int i = 0; i < 200000; i++) { a = new JObject(new JProperty(\"a\", a)); } return a.ToString(); }")]
    [InlineData("@{ var l = new List<object>(); var cur = l; for (int i = 0; i < 200000; i++) { var n = new List<object>(); cur.Add(n); cur = n; } return JsonConvert.SerializeObject(l); }")]
    [InlineData("@{ var x = new XElement(\"a\"); for (int i = 0; i < 200000; i++) { x = new XElement(\"a\", x); } return new XElement(x).ToString(); }")]
    [InlineData("@{ object a = 1; for (int i = 0; i < 200000; i++) { a = new { a }; } return a.ToString(); }")]
    [InlineData("@{ object a = 1; for (int i = 0; i < 200000; i++) { a = Tuple.Create(a); } return a.ToString(); }")]
    [InlineData("@{ object a = 1; for (int i = 0; i < 200000; i++) { a = (a, 1); } return a.ToString(); }")]
    [InlineData("@{ var e = new Exception(\"x\"); for (int i = 0; i < 200000; i++) { e = new Exception(\"x\", e); } return e.ToString(); }")]
    public void Evaluate_DeeplyNestedValue_IsStoppedInsteadOfOverflowingTheStack(string code)
    {
        var e = Stopped(code);

        Assert.Equal("depth", e.Budget);
        Assert.Equal("policies/inbound/set-body[1]", e.Path);
    }

    [Fact]
    public void Evaluate_NestingWithinTheLimit_StillWorks()
    {
        var json = Run("@{ var a = new JArray(); for (int i = 0; i < 30; i++) { var b = new JArray(); b.Add(a); a = b; } var o = new JObject(new JProperty(\"deep\", a)); o[\"n\"] = 1; return o.ToString(Formatting.None); }");

        Assert.Equal("{\"deep\":" + new string('[', 31) + new string(']', 31) + ",\"n\":1}", json);
        Assert.Equal("(1, (2, 3))", Run("@(Tuple.Create((object)1, (object)Tuple.Create(2, 3)).ToString())"));
        Assert.Equal("{ a = 1, b = x }", Run("@{ object v = \"x\"; return new { a = 1, b = v }.ToString(); }"));
        Assert.Equal(3, Run("@{ var t = (a: 1, b: (object)2); var (x, y) = t; return t.a + (int)y + 0 * x; }"));
    }

    [Theory]
    [InlineData("@(Regex.IsMatch(new string('a', 40) + \"!\", \"^(a+)+$\"))")]
    [InlineData("@(new Regex(\"^(a+)+$\").IsMatch(new string('a', 40) + \"!\"))")]
    [InlineData("@(new Regex(\"^(a+)+$\", RegexOptions.IgnoreCase).Match(new string('a', 40) + \"!\").Success)")]
    [InlineData("@(Regex.IsMatch(new string('a', 40) + \"!\", \"^(a+)+$\", RegexOptions.None, TimeSpan.FromHours(1)))")]
    [InlineData("@(Regex.Replace(new string('a', 40) + \"!\", \"^(a+)+$\", \"x\"))")]
    public void Evaluate_CatastrophicRegex_IsStoppedByTheTimeBudget(string code)
    {
        var e = Stopped(code, new ExpressionLimits { MaxDuration = TimeSpan.FromMilliseconds(200) });

        Assert.Equal("time", e.Budget);
    }

    [Theory]
    [InlineData("@(Enumerable.Range(0, 100000).SelectMany(i => Enumerable.Range(0, 100000)).LongCount())")]
    [InlineData("@{ var big = Enumerable.Range(0, 100000).Select(i => (long)i).ToList(); return big.SelectMany(x => big).Sum(); }")]
    [InlineData("@{ IEnumerable<int> s = new List<int> { 1, 2, 3 }; for (int i = 0; i < 40; i++) { s = s.Concat(s); } return s.Count(); }")]
    [InlineData("@(new List<int>(Enumerable.Range(0, int.MaxValue)).Count)")]
    [InlineData("@(Enumerable.Repeat(\"x\", int.MaxValue).ToArray().Length)")]
    [InlineData("@(Enumerable.Range(0, int.MaxValue).OrderBy(x => -x).ThenBy(x => x).First())")]
    public void Evaluate_LinqOverHugeSequences_IsStoppedByTheStepBudget(string code) =>
        Assert.Equal("steps", Stopped(code).Budget);

    [Theory]
    [InlineData("@{ var s = \"x\"; for (int i = 0; i < 29; i++) { s = s + s; } return s.Length; }")]
    [InlineData("@{ var s = \"x\"; for (int i = 0; i < 29; i++) { s += s; } return s.Length; }")]
    [InlineData("@{ var s = \"x\"; for (int i = 0; i < 29; i++) { s = $\"{s}{s}\"; } return s.Length; }")]
    [InlineData("@{ var s = \"x\"; for (int i = 0; i < 29; i++) { s = string.Concat(s, s); } return s.Length; }")]
    [InlineData("@{ var s = \"x\"; for (int i = 0; i < 29; i++) { s = s.Replace(\"x\", \"xx\"); } return s.Length; }")]
    [InlineData("@(new string('x', 1000000000).Length)")]
    [InlineData("@(\"x\".PadLeft(1000000000).Length)")]
    [InlineData("@(new StringBuilder().Append('x', 1000000000).Length)")]
    [InlineData("@{ var sb = new StringBuilder(\"x\"); for (int i = 0; i < 29; i++) { sb.Append(sb.ToString()); } return sb.Length; }")]
    [InlineData("@(new StringBuilder(1000000000).Length)")]
    public void Evaluate_HugeString_IsStoppedByTheStringBudget(string code) =>
        Assert.Equal("string", Stopped(code).Budget);

    [Theory]
    [InlineData("@{ var l = new List<int> { 1 }; for (int i = 0; i < 40; i++) { l.AddRange(l); } return l.Count; }")]
    [InlineData("@(new int[1000000000].Length)")]
    [InlineData("@{ var n = 1000000000; return new byte[n].Length; }")]
    [InlineData("@(new List<int>(1000000000).Count)")]
    [InlineData("@{ var d = new Dictionary<int, int>(); for (int i = 0; i < 2000000; i++) { d[i] = i; } return d.Count; }")]
    public void Evaluate_HugeCollection_IsStoppedByTheElementBudget(string code)
    {
        var limits = new ExpressionLimits { MaxSteps = long.MaxValue, MaxDuration = TimeSpan.FromMinutes(1) };

        Assert.Equal("elements", Stopped(code, limits).Budget);
    }

    [Fact]
    public void Evaluate_StringsAndCollectionsWithinTheLimits_StillWork()
    {
        Assert.Equal(1 << 20, Run("@{ var s = \"x\"; for (int i = 0; i < 20; i++) { s = s + s; } return s.Length; }"));
        Assert.Equal("a-b-c", Run("@(string.Join(\"-\", new[] { \"a\", \"b\", \"c\" }))"));
        Assert.Equal("xxx", Run("@(new StringBuilder().Append('x', 3).ToString())"));
        Assert.Equal(true, Run("@(Regex.IsMatch(\"abc\", \"^a.c$\"))"));
        Assert.Equal(6, Run("@(new[] { 3, 1, 2 }.OrderBy(x => x).ThenBy(x => -x).Sum())"));
        Assert.Equal(100000, Run("@(new List<int>(Enumerable.Range(0, 100000)).Count)"));
    }

    [Theory]
    [InlineData("@(X509Certificate2.GetCertContentType(\"/etc/passwd\"))", "GetCertContentType(string)")]
    [InlineData("@(new X509Certificate2(\"/etc/ssl/cert.pem\").Subject)", "X509Certificate2(string)")]
    [InlineData("@(X509Certificate2.CreateFromPemFile(\"/a\", \"/b\").Subject)", "CreateFromPemFile")]
    [InlineData("@(X509Certificate.CreateFromCertFile(\"/a\").Subject)", "CreateFromCertFile")]
    [InlineData("@(new X509Certificate2(new byte[0]).Verify())", "Verify()")]
    [InlineData("@(XDocument.Load(\"http://169.254.169.254/\").ToString())", "XDocument.Load(string)")]
    [InlineData("@(XElement.Load(\"/etc/hosts\").ToString())", "XElement.Load(string)")]
    [InlineData("@{ new XElement(\"a\").Save(\"/tmp/x\"); return 1; }", "Save(string)")]
    [InlineData("@{ XDocument.Parse(\"<a/>\").Save(\"/tmp/x\"); return 1; }", "Save(string)")]
    [InlineData("@(System.Xml.XmlReader.Create(\"/etc/hosts\"))", "System.Xml.XmlReader")]
    [InlineData("@{ var d = new System.Xml.XmlDocument(); d.Load(\"/etc/hosts\"); return d.OuterXml; }", "XmlDocument.Load(string)")]
    [InlineData("@(System.Reflection.Assembly.LoadFrom(\"/tmp/x.dll\"))", "System.Reflection.Assembly")]
    [InlineData("@(new System.Net.WebClient().DownloadString(\"http://127.0.0.1/\"))", "System.Net.WebClient")]
    [InlineData("@(System.IO.Directory.Exists(\"/etc\"))", "System.IO.Directory")]
    [InlineData("@(System.IO.Path.GetTempPath())", "System.IO.Path")]
    [InlineData("@(Environment.CurrentDirectory)", "System.Environment")]
    [InlineData("@{ var a = new int[2, 2]; return a.Length; }", "Multi-dimensional arrays")]
    public void Check_PathOrUrlApi_IsRefusedByName(string code, string named)
    {
        var errors = PolicyExpressionCompiler.Default.Check([new PolicyExpressionSource("policies/inbound/set-body[1]", code)]);

        Assert.Contains(errors, e => e.Message.Contains(named, StringComparison.Ordinal) && e.Message.Contains("not allowed", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_JsonPathAndUriParsing_AreStillAllowed()
    {
        Assert.Equal("b", Run("@((string)JObject.Parse(\"{\\\"a\\\":\\\"b\\\"}\").SelectToken(\"a\"))"));
        Assert.Equal("example.com", Run("@(new Uri(\"https://example.com/x\").Host)"));
    }
}
