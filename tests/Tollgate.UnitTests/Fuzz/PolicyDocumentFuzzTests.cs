using System.Security;
using System.Text;
using CsCheck;
using Tollgate.Core.Gateway;
using Tollgate.Core.Policies;
using Tollgate.Gateway;
using Tollgate.Gateway.Configuration;
using Tollgate.Gateway.Policies.Caching;
using Tollgate.Gateway.Policies.Counters;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.UnitTests.Fuzz;

/// <summary>
/// Random policy documents (built from the policy schema, so many are valid and the rest are wrong in realistic ways)
/// and mutated ones (bytes cut, repeated, inserted) through the parser and validator: never an exception, only
/// validation errors; a document the validator accepts parses, and the gateway builds it without a problem.
/// </summary>
public sealed class PolicyDocumentFuzzTests
{
    private static readonly string[] Sections = ["inbound", "backend", "outbound", "on-error"];

    private static readonly string[] AnyValues =
    [
        "x", "", " ", "0", "1", "60", "-1", "99999999999999999999", "true", "false", "10.0.0.1", "::1", "2001:db8::/32", "http://127.0.0.1:1/",
        "a,b;c", "override", "append", "skip", "delete", "application/json", "X-Header", "2026-03-02T09:00:00Z", "{id}", "/items/{id}", "&amp;", "&lt;x&gt;",
    ];

    private static readonly string[] Junk = ["<", ">", "&", "\"", "'", "</", "/>", "<![CDATA[", "]]>", "<!--", "-->", "@(", "@{", ")", "}", "<!DOCTYPE x>", "<?xml version=\"1.0\"?>", "\0", "\uFFFE", "<choose>", "<when condition=\"true\">", "<base />"];

    /// <summary>A document generated from a seed (CsCheck gives seeds; the document is printed when a property fails).</summary>
    private static readonly Gen<string> Generated = Gen.Select(Gen.Int, Gen.Int[0, 4], (seed, depth) => Document(new Random(seed), depth));

    private static readonly Gen<string> Mutated = Gen.Select(Generated, Gen.Int, (xml, seed) => Mutate(xml, new Random(seed)));

    [Fact]
    public void ParserAndValidator_NeverThrow_OnGeneratedAndMutatedDocuments()
    {
        Gen.OneOf(Generated, Mutated, Gen.String[0, 200]).Sample(xml =>
        {
            var errors = PolicyValidator.Validate(xml);
            if (errors.Count == 0)
            {
                // Valid means parseable (the gateway parses it again when it builds the snapshot).
                Assert.NotNull(PolicyDocument.Parse(xml));
            }
            else
            {
                try
                {
                    PolicyDocument.Parse(xml);
                }
                catch (PolicyDocumentException e)
                {
                    Assert.NotEmpty(e.Errors);
                }
            }

            // As a fragment (the same text inside <fragment>) it is checked the same way.
            var fragment = xml.Replace("<policies>", "<fragment>", StringComparison.Ordinal).Replace("</policies>", "</fragment>", StringComparison.Ordinal);
            _ = PolicyFragment.Validate(fragment);
        }, seed: FuzzIterations.Seed, iter: FuzzIterations.Of(2_000), print: xml => xml);
    }

    [Fact]
    public void ValidDocuments_BuildIntoPipelines_WithoutProblems()
    {
        var time = TimeProvider.System;
        var options = new GatewayOptions();
        var services = new PolicyServices(new InMemoryRateLimitStore(time), new InMemoryQuotaStore(time), new MemoryCacheStore(time, new MemoryCacheStoreOptions()), time, options);
        Generated.Sample(xml =>
        {
            // Literal values only (expressions are compiled by Roslyn: too slow for many cases), and nothing fetched from the network.
            if (xml.Contains('@', StringComparison.Ordinal) || xml.Contains("openid-config", StringComparison.Ordinal) || PolicyValidator.Validate(xml).Count > 0)
            {
                return;
            }

            var snapshot = new GatewaySnapshot
            {
                Revision = 1,
                ServiceName = "fuzz",
                Apis =
                [
                    new GatewayApi
                    {
                        Id = "api", DisplayName = "api", Path = "api", ServiceUrl = "http://127.0.0.1:1", Policy = xml,
                        Operations = [new GatewayOperation { Id = "op", DisplayName = "op", Method = "GET", UrlTemplate = "/items/{id}" }],
                    },
                ],
            };
            var state = GatewayState.Build(snapshot, options);
            var runtime = PolicyRuntime.Build(snapshot, state, services);
            try
            {
                Assert.True(runtime.Problems.Count == 0, string.Join("; ", runtime.Problems));
            }
            finally
            {
                runtime.Retire();
            }
        }, seed: FuzzIterations.Seed, iter: FuzzIterations.Of(1_000), print: xml => xml);
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private static string Document(Random random, int depth)
    {
        var sb = new StringBuilder("<policies>");
        foreach (var section in Sections)
        {
            if (random.Next(4) == 0)
            {
                continue;
            }

            sb.Append('<').Append(section).Append('>');
            if (random.Next(2) == 0)
            {
                sb.Append("<base />");
            }

            var count = random.Next(4);
            for (var i = 0; i < count; i++)
            {
                Policy(random, sb, depth, section);
            }

            sb.Append("</").Append(section).Append('>');
        }

        return sb.Append("</policies>").ToString();
    }

    private static void Policy(Random random, StringBuilder sb, int depth, string section)
    {
        var policies = PolicySchema.Policies.Values.Where(p => p.Sections is null || p.Sections.Contains(section) || random.Next(8) == 0).ToList();
        var spec = random.Next(20) == 0 ? new PolicyElementSpec { Name = "no-such-policy" } : Pick(random, policies);
        Element(random, sb, spec, depth, section);
    }

    private static void Element(Random random, StringBuilder sb, PolicyElementSpec spec, int depth, string section)
    {
        sb.Append('<').Append(spec.Name);
        foreach (var attribute in spec.Attributes)
        {
            if (attribute.Required ? random.Next(20) == 0 : random.Next(3) != 0)
            {
                continue;
            }

            sb.Append(' ').Append(attribute.Name).Append("=\"").Append(SecurityElement.Escape(Value(random, attribute))).Append('"');
        }

        if (random.Next(25) == 0)
        {
            sb.Append(" unknown-attribute=\"1\"");
        }

        sb.Append('>');
        if (spec.AllowsText || random.Next(20) == 0)
        {
            sb.Append(SecurityElement.Escape(Pick(random, AnyValues)));
        }

        if (spec.PolicyChildren && depth > 0)
        {
            var count = random.Next(3);
            for (var i = 0; i < count; i++)
            {
                Policy(random, sb, depth - 1, section);
            }
        }
        else if (spec.Children.Count > 0 && depth > 0)
        {
            var count = random.Next(4);
            for (var i = 0; i < count; i++)
            {
                Element(random, sb, Pick(random, spec.Children), depth - 1, section);
            }
        }

        sb.Append("</").Append(spec.Name).Append('>');
    }

    private static string Value(Random random, PolicyAttributeSpec attribute)
    {
        if (random.Next(6) == 0)
        {
            return Pick(random, AnyValues);
        }

        return attribute.Kind switch
        {
            PolicyValueKind.NonNegativeInteger => Pick(random, ["0", "1", "5", "60", "3600", "2147483648", "9223372036854775807", "-1", "1.5"]),
            PolicyValueKind.Boolean => Pick(random, ["true", "false", "True", "yes"]),
            PolicyValueKind.DateTime => Pick(random, ["2026-03-02T09:00:00Z", "2026-03-02", "9999-12-31T23:59:59Z"]),
            PolicyValueKind.Enumeration => attribute.Values is { Count: > 0 } values && random.Next(5) != 0 ? Pick(random, values) : "not-one-of-them",
            _ => random.Next(10) == 0 ? "@(context.Request.Method)" : Pick(random, AnyValues),
        };
    }

    private static string Mutate(string xml, Random random)
    {
        var s = new StringBuilder(xml);
        var edits = 1 + random.Next(4);
        for (var i = 0; i < edits && s.Length > 0; i++)
        {
            var at = random.Next(s.Length);
            switch (random.Next(4))
            {
                case 0:
                    s.Remove(at, Math.Min(s.Length - at, 1 + random.Next(12)));
                    break;
                case 1:
                    s.Insert(at, Pick(random, Junk));
                    break;
                case 2:
                    var length = Math.Min(s.Length - at, 1 + random.Next(40));
                    s.Insert(at, s.ToString(at, length));
                    break;
                default:
                    s[at] = (char)random.Next(32, 127);
                    break;
            }
        }

        return s.ToString();
    }
}
