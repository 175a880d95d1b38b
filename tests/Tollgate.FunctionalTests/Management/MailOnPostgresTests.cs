using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MimeKit;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.FunctionalTests.Store;

namespace Tollgate.FunctionalTests.Management;

/// <summary>
/// E-mail links on two management nodes sharing PostgreSQL: the token a node mailed (its hash in the store) works on
/// the other node, once.
/// </summary>
public sealed class MailOnPostgresTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task AConfirmationLinkMailedByOneNode_WorksOnTheOther_Once()
    {
        var (a, b) = await ScaleOutTests.StartTwoNodesAsync(postgres);
        await using var nodeA = a;
        await using var nodeB = b;
        var svc = TollgateHost.ServicePath("pgmail");
        await a.CreateServiceAsync("pgmail");
        await a.PutAsync($"{svc}/users/lea", new { properties = new { email = "lea@contoso.example", firstName = "Lea", lastName = "Rossi", password = "correct horse battery", state = "pending", confirmation = "signup" } });

        // No SMTP server: node A's message is an .eml file in its data directory.
        var folder = Path.Combine(a.DataDirectory, "mail");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Directory.GetFiles(folder, "*.eml").Length == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var message = await MimeMessage.LoadAsync(Assert.Single(Directory.GetFiles(folder, "*.eml")));
        var token = Regex.Match(message.HtmlBody ?? "", @"/confirm\?token=([A-Za-z0-9_\-]+)").Groups[1].Value;
        Assert.NotEmpty(token);

        using (var confirmed = await PostAsync(b, new { instance = svc, token }))
        {
            Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        }

        using (var again = await PostAsync(a, new { instance = svc, token }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        }

        Assert.Equal("active", (string?)(await a.OkAsync(HttpMethod.Get, $"{svc}/users/lea"))["properties"]!["state"]);
    }

    private static Task<HttpResponseMessage> PostAsync(TollgateHost host, object body) =>
        host.Management.PostAsync("/internal/developer/confirm", new StringContent(System.Text.Json.JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));
}
