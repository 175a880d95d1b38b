using CsCheck;
using Tollgate.Core.Gateway;
using Tollgate.Routing;
using Tollgate.Gateway;
using Tollgate.Gateway.Configuration;

namespace Tollgate.UnitTests.Fuzz;

/// <summary>
/// URL templates from anyone with management access: parsing answers true/false with a reason (or
/// <see cref="FormatException"/> from <see cref="UrlTemplate.Parse"/>), and a template that parses always becomes a
/// route, or a skipped route with a reason, never an exception in the gateway.
/// </summary>
public sealed class UrlTemplateFuzzTests
{
    /// <summary>Characters that matter to templates and routes, and a few that should not.</summary>
    private static readonly Gen<string> Template = Gen.OneOf(
        Gen.String[Gen.Char["/{}*?&=:.-_~%+$ab1xyZ"], 0, 40],
        Gen.String[Gen.Char["/{}*?&="], 0, 20],
        Gen.String[0, 30],
        Gen.String[Gen.Char["/{}*?&=:.-_~%+$ab1xyZ"], 0, 1200]);

    private static readonly Gen<string> Segmented = Gen.Select(
        Gen.OneOf(Gen.Const("/"), Gen.Const(""), Gen.Const("/a/")),
        Gen.OneOf(Gen.Const("{id}"), Gen.Const("{*rest}"), Gen.Const("*"), Gen.Const("items"), Gen.Const("{a}:{b}"), Gen.Const("{"), Gen.Const("}"), Gen.Const("{**x}"), Gen.Const("{id?}"), Gen.Const("{id:int}"), Gen.Const("."), Gen.Const(".."))
            .Array[0, 6],
        Gen.OneOf(Gen.Const(""), Gen.Const("?q={q}"), Gen.Const("?kind=fast&flag"), Gen.Const("?a={a}&a={a}"), Gen.Const("?={x}"), Gen.Const("?&&")),
        (start, segments, query) => start + string.Join("/", segments) + query);

    private static readonly Gen<string> ApiPath = Gen.OneOf(Gen.Const(""), Gen.Const("echo"), Gen.Const("ml/v1"), Gen.Const("a.b-c_d~e"));

    [Fact]
    public void ParseAndRoute_NeverThrowAnythingButTheDocumentedError()
    {
        Gen.Select(Gen.OneOf(Template, Segmented), ApiPath).Sample((text, apiPath) =>
        {
            if (!UrlTemplate.TryParse(text, out var template, out var error))
            {
                Assert.False(string.IsNullOrEmpty(error));
                Assert.Contains(error!, Assert.Throws<FormatException>(() => UrlTemplate.Parse(text)).Message);
                return;
            }

            Assert.Null(error);
            Assert.NotNull(template!.ToRoutePattern(apiPath));

            // The gateway turns it into a route (or skips it naming why): never an exception.
            var snapshot = new GatewaySnapshot
            {
                Revision = 1,
                ServiceName = "fuzz",
                Apis =
                [
                    new GatewayApi
                    {
                        Id = "api", DisplayName = "api", Path = apiPath, ServiceUrl = "http://127.0.0.1:1",
                        Operations =
                        [
                            new GatewayOperation { Id = "op", DisplayName = "op", Method = "GET", UrlTemplate = text },
                            new GatewayOperation { Id = "other", DisplayName = "other", Method = "GET", UrlTemplate = "/items/{id}" },
                        ],
                    },
                ],
            };
            var state = GatewayState.Build(snapshot, new GatewayOptions());
            Assert.Equal(2, state.Routes.Count + state.Problems.Count);
        }, seed: FuzzIterations.Seed, iter: FuzzIterations.Of(3_000));
    }

    [Fact]
    public void TryParse_OfNull_AndOfHugeInput_AnswersWithAReason()
    {
        Assert.False(UrlTemplate.TryParse(null, out _, out var error));
        Assert.NotNull(error);
        Assert.False(UrlTemplate.TryParse(new string('{', 100_000), out _, out error));
        Assert.NotNull(error);
    }
}
