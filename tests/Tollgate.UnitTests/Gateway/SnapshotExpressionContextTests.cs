using System.Text.Json;
using Tollgate.Core.Gateway;

namespace Tollgate.UnitTests.Gateway;

/// <summary>What a snapshot carries for policy expressions' <c>context</c> survives the JSON a remote gateway receives.</summary>
public sealed class SnapshotExpressionContextTests
{
    [Fact]
    public void ContextFields_RoundTripThroughTheRemoteGatewaysJson()
    {
        var registered = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var snapshot = GatewaySnapshot.Empty("contoso") with
        {
            Region = "westeurope",
            ServiceId = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ApiManagement/service/contoso",
            Groups = [new GatewayGroup("developers", "Developers")],
            Users = [new GatewayUser { Id = "1", Email = "ada@example.com", Note = "n", RegistrationDate = registered, Identities = [new GatewayUserIdentity("Azure", "ada@example.com")] }],
            Subscriptions = [new GatewaySubscription { Id = "s", DisplayName = "s", Scope = "/", State = "active", PrimaryKeyDigest = "p", SecondaryKeyDigest = "q", StartDate = registered, EndDate = registered.AddDays(1) }],
        };

        var json = JsonSerializer.Serialize(snapshot, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        var back = JsonSerializer.Deserialize<GatewaySnapshot>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

        Assert.Equal("westeurope", back.Region);
        Assert.Equal(snapshot.ServiceId, back.ServiceId);
        Assert.Equal(new GatewayGroup("developers", "Developers"), Assert.Single(back.Groups));
        var user = Assert.Single(back.Users);
        Assert.Equal(("n", registered), (user.Note, user.RegistrationDate));
        Assert.Equal(new GatewayUserIdentity("Azure", "ada@example.com"), Assert.Single(user.Identities));
        var subscription = Assert.Single(back.Subscriptions);
        Assert.Equal((registered, registered.AddDays(1)), (subscription.StartDate!.Value, subscription.EndDate!.Value));
    }
}
