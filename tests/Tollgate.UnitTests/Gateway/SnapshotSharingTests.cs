using System.Text.Json;
using Tollgate.Core.Gateway;

namespace Tollgate.UnitTests.Gateway;

/// <summary>
/// A snapshot received as JSON (a remote gateway) shares every unchanged API with the snapshot served, so the gateway
/// keeps what it built for those APIs; a changed API, however small the change, is its own object.
/// </summary>
public sealed class SnapshotSharingTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public void ASnapshotReadFromJson_SharesEveryUnchangedApi_AndOnlyThose()
    {
        var served = Snapshot(1, ["a", "b", "c"]);
        var next = Snapshot(2, ["a", "b", "c"]) is var s ? s with
        {
            Apis = [s.Apis[0], s.Apis[1] with { Operations = [s.Apis[1].Operations[0] with { UrlTemplate = "/changed" }] }, s.Apis[2]],
        } : null!;

        var received = JsonSerializer.Deserialize<GatewaySnapshot>(JsonSerializer.Serialize(next, Json), Json)!;
        var shared = received.ShareUnchangedApis(served);

        Assert.Same(served.Apis[0], shared.Apis[0]);
        Assert.NotSame(served.Apis[1], shared.Apis[1]);
        Assert.Equal("/changed", shared.Apis[1].Operations[0].UrlTemplate);
        Assert.Same(served.Apis[2], shared.Apis[2]);
        Assert.Equal(2, shared.Revision);
    }

    [Fact]
    public void AChangedResponseExample_IsAChange()
    {
        var served = Snapshot(1, ["a"]);
        var api = served.Apis[0];
        var changed = api with
        {
            Operations = [api.Operations[0] with { Responses = [new GatewayResponse { StatusCode = 200, Representations = [new GatewayRepresentation { ContentType = "application/json", Example = "{\"v\":2}" }] }] }],
        };

        var shared = (served with { Revision = 2, Apis = [changed] }).ShareUnchangedApis(served);

        Assert.Same(changed, shared.Apis[0]);
    }

    private static GatewaySnapshot Snapshot(long revision, string[] apis) => new()
    {
        Revision = revision,
        ServiceName = "svc",
        Apis = apis.Select(id => new GatewayApi
        {
            Id = id,
            DisplayName = id,
            Path = id,
            ServiceUrl = "http://127.0.0.1:9",
            Policy = "<policies/>",
            Operations =
            [
                new GatewayOperation
                {
                    Id = "get",
                    DisplayName = "Get",
                    Method = "GET",
                    UrlTemplate = "/items/{id}",
                    Responses = [new GatewayResponse { StatusCode = 200, Representations = [new GatewayRepresentation { ContentType = "application/json", Example = "{\"v\":1}" }] }],
                },
            ],
        }).ToArray(),
    };
}
