using System.Net;
using Tollgate.FunctionalTests.Infrastructure;

namespace Tollgate.FunctionalTests.Management;

/// <summary>
/// The developer portal's account forms (sign-in, sign-up, password reset, confirmation) take a few posts a minute
/// per client address, then answer 429 with a sentence a person can read; other pages are not limited.
/// </summary>
public sealed class PortalRateLimitTests
{
    [Fact]
    public async Task AccountForms_BeyondTheLimitPerMinute_Answer429_OtherPagesDoNot()
    {
        const int limit = 3;
        await using var host = await TollgateHost.StartAsync(new Dictionary<string, string?>
        {
            ["Tollgate:Roles"] = "management,portal",
            ["Tollgate:Portal:SignInAttemptsPerMinute"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        using var client = new HttpClient { BaseAddress = new Uri(host.Server.Settings.Portal.Url) };

        // The window is a minute of real time: 2 × limit + 1 posts, far less than a minute apart, cross at most one
        // window boundary, so at least one of them is refused whenever they run.
        foreach (var form in new[] { "/signin", "/signup" })
        {
            var statuses = new List<HttpStatusCode>();
            string? refusal = null;
            for (var i = 0; i < 2 * limit + 1; i++)
            {
                using var response = await client.PostAsync(form, new FormUrlEncodedContent(new Dictionary<string, string> { ["Input.Email"] = "ada@contoso.example" }));
                statuses.Add(response.StatusCode);
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    refusal = await response.Content.ReadAsStringAsync();
                }
            }

            Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
            Assert.Equal("Too many attempts from this address: wait a minute and try again.", refusal);
        }

        // Reading pages is never limited.
        for (var i = 0; i < 2 * limit + 1; i++)
        {
            using var page = await client.GetAsync("/signin");
            Assert.NotEqual(HttpStatusCode.TooManyRequests, page.StatusCode);
        }
    }
}
