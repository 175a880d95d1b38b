using System.Text.Json.Nodes;
using Tollgate.Core.Analytics;
using Tollgate.Core.Resources;
using Tollgate.Management.Analytics;
using Tollgate.Management.Services;

namespace Tollgate.UnitTests.Management;

/// <summary>The rules of keys that rotate: expiry and rotation input, what a rotation keeps, what a GET shows of last use.</summary>
public sealed class SubscriptionKeysTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("2027-01-31T12:00:00Z", true)]
    [InlineData("2027-01-31T13:00:00+01:00", true)]
    [InlineData("2027-01-31T12:00:00.123Z", true)]
    [InlineData("2027-01-31T12:00:00", false)]
    [InlineData("2027-01-31", false)]
    [InlineData("tomorrow", false)]
    public void Times_NeedATimeOfDayAndAZone(string text, bool valid)
    {
        Assert.Equal(valid, KeyLifetimes.TryParseTime(text, out var t));
        if (valid)
        {
            Assert.Equal(new DateTimeOffset(2027, 1, 31, 12, 0, 0, TimeSpan.Zero), new DateTimeOffset(t.UtcDateTime.Ticks - t.UtcDateTime.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero));
        }
    }

    [Theory]
    [InlineData("P90D", 90 * 24 * 60)]
    [InlineData("PT12H", 12 * 60)]
    [InlineData("P1DT6H30M", 30 * 60 + 30)]
    [InlineData("P1M", -1)]
    [InlineData("P1Y", -1)]
    [InlineData("90 days", -1)]
    [InlineData("-P1D", -1)]
    public void Durations_AreIso8601_InDaysAndShorterUnits(string text, int minutes)
    {
        Assert.Equal(minutes >= 0, KeyLifetimes.TryParseDuration(text, out var d));
        if (minutes >= 0)
        {
            Assert.Equal(TimeSpan.FromMinutes(minutes), d);
        }
    }

    [Fact]
    public void Prepare_RefusesAPastExpiry_ButKeepsOneAlreadyStored()
    {
        var errors = new List<ValidationError>();
        SubscriptionKeys.Prepare(new JsonObject { ["primaryKeyExpiresAt"] = "2026-11-30T00:00:00Z" }, null, Now, errors);
        Assert.Equal("primaryKeyExpiresAt", Assert.Single(errors).Target);

        // A GET-modify-PUT of a subscription whose key has expired since is not refused for it.
        errors.Clear();
        var stored = new JsonObject { ["primaryKeyExpiresAt"] = "2026-11-30T00:00:00Z" };
        SubscriptionKeys.Prepare(new JsonObject { ["primaryKeyExpiresAt"] = "2026-11-30T00:00:00Z" }, stored, Now, errors);
        Assert.Empty(errors);
    }

    [Fact]
    public void Prepare_SchedulesTheFirstRotation_AndKeepsTheScheduleWhileTheIntervalIsUnchanged()
    {
        var props = new JsonObject { ["keyRotation"] = new JsonObject { ["interval"] = "P30D", ["overlap"] = "PT48H" } };
        SubscriptionKeys.Prepare(props, null, Now, []);
        Assert.Equal("2026-12-31T09:00:00Z", (string?)props["keyRotation"]!["nextRotationAt"]);
        Assert.Equal("P2D", (string?)props["keyRotation"]!["overlap"]);

        var again = new JsonObject { ["keyRotation"] = new JsonObject { ["interval"] = "P30D", ["overlap"] = "P1D" } };
        SubscriptionKeys.Prepare(again, props, Now.AddDays(5), []);
        Assert.Equal("2026-12-31T09:00:00Z", (string?)again["keyRotation"]!["nextRotationAt"]);

        var changed = new JsonObject { ["keyRotation"] = new JsonObject { ["interval"] = "P7D", ["overlap"] = "P1D" } };
        SubscriptionKeys.Prepare(changed, props, Now.AddDays(5), []);
        Assert.Equal("2026-12-13T09:00:00Z", (string?)changed["keyRotation"]!["nextRotationAt"]);
    }

    [Fact]
    public void Rotate_ReplacesBothKeys_KeepsTheOldOnesForTheOverlap_OrUntilTheirOwnExpiry()
    {
        var props = new JsonObject
        {
            ["secondaryKeyExpiresAt"] = "2026-12-31T10:00:00Z",
            ["keyRotation"] = new JsonObject { ["interval"] = "P30D", ["overlap"] = "P7D", ["nextRotationAt"] = "2026-12-31T09:00:00Z" },
        };
        var secrets = new JsonObject { ["primaryKey"] = "p1", ["secondaryKey"] = "s1" };
        var at = Now.AddDays(30).AddMinutes(1);
        var keys = new Queue<string>(["p2", "s2"]);
        Assert.True(SubscriptionKeys.RotationDue(props, at));
        SubscriptionKeys.Rotate(props, secrets, at, keys.Dequeue);

        Assert.Equal("p2", (string?)secrets["primaryKey"]);
        Assert.Equal("s2", (string?)secrets["secondaryKey"]);
        Assert.Equal("p1", (string?)secrets[SubscriptionKeys.PreviousPrimaryKey]);
        Assert.Equal("2027-01-07T09:01:00Z", (string?)secrets[SubscriptionKeys.PreviousPrimaryKeyValidUntil]);
        Assert.Equal("2026-12-31T10:00:00Z", (string?)secrets[SubscriptionKeys.PreviousSecondaryKeyValidUntil]);
        Assert.Null(props["secondaryKeyExpiresAt"]);
        Assert.Equal("2027-01-30T09:00:00Z", (string?)props["keyRotation"]!["nextRotationAt"]);
        Assert.Equal("2027-01-07T09:01:00Z", (string?)props["keyRotation"]!["previousKeysValidUntil"]);
        Assert.False(SubscriptionKeys.RotationDue(props, at));

        Assert.True(SubscriptionKeys.DropEndedPreviousKeys(props, secrets, new DateTimeOffset(2026, 12, 31, 10, 0, 0, TimeSpan.Zero)));
        Assert.Null(secrets[SubscriptionKeys.PreviousSecondaryKey]);
        Assert.NotNull(secrets[SubscriptionKeys.PreviousPrimaryKey]);
        Assert.True(SubscriptionKeys.DropEndedPreviousKeys(props, secrets, new DateTimeOffset(2027, 1, 7, 9, 1, 0, TimeSpan.Zero)));
        Assert.Null(props["keyRotation"]!["previousKeysValidUntil"]);
        Assert.False(SubscriptionKeys.DropEndedPreviousKeys(props, secrets, new DateTimeOffset(2027, 1, 8, 0, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Regenerate_AlsoEndsTheKeyARotationReplacedInThatSlot()
    {
        var props = new JsonObject { ["primaryKeyExpiresAt"] = "2027-01-01T00:00:00Z", ["keyRotation"] = new JsonObject { ["previousKeysValidUntil"] = "2026-12-08T09:00:00Z" } };
        var secrets = new JsonObject
        {
            ["primaryKey"] = "p2", [SubscriptionKeys.PreviousPrimaryKey] = "p1", [SubscriptionKeys.PreviousPrimaryKeyValidUntil] = "2026-12-08T09:00:00Z",
            [SubscriptionKeys.PreviousSecondaryKey] = "s1", [SubscriptionKeys.PreviousSecondaryKeyValidUntil] = "2026-12-08T09:00:00Z",
        };
        SubscriptionKeys.Regenerated(props, secrets, "primary", Now);
        Assert.Null(props["primaryKeyExpiresAt"]);
        Assert.Null(secrets[SubscriptionKeys.PreviousPrimaryKey]);
        Assert.Equal("s1", (string?)secrets[SubscriptionKeys.PreviousSecondaryKey]);
        Assert.NotNull(props["keyRotation"]!["previousKeysValidUntil"]);
        SubscriptionKeys.Regenerated(props, secrets, "secondary", Now);
        Assert.Null(props["keyRotation"]!["previousKeysValidUntil"]);
    }

    [Fact]
    public void Rotate_WithoutOverlap_KeepsNoOldKey_AndCatchesUpMissedRotations()
    {
        var props = new JsonObject { ["keyRotation"] = new JsonObject { ["interval"] = "PT1H", ["overlap"] = "P0D", ["nextRotationAt"] = "2026-12-01T09:00:00Z" } };
        var secrets = new JsonObject { ["primaryKey"] = "p1", ["secondaryKey"] = "s1" };
        SubscriptionKeys.Rotate(props, secrets, Now.AddHours(5), () => Guid.NewGuid().ToString("N"));
        Assert.Null(secrets[SubscriptionKeys.PreviousPrimaryKey]);
        Assert.Null(props["keyRotation"]!["previousKeysValidUntil"]);
        Assert.Equal("2026-12-01T15:00:00Z", (string?)props["keyRotation"]!["nextRotationAt"]);
    }

    [Fact]
    public void LastUse_CountsForTheCurrentKey_OnlyFromTheTimeItWasMade()
    {
        var props = new JsonObject
        {
            ["primaryKeyCreatedAt"] = "2026-12-01T09:00:30.250Z",
            ["secondaryKeyCreatedAt"] = "2026-12-01T10:00:00.500Z",
            ["keyRotation"] = new JsonObject { ["lastRotatedAt"] = "2026-12-01T09:00:30Z" },
        };
        SubscriptionKeys.ShowLastUse(props, new Dictionary<string, DateTimeOffset>
        {
            ["primary"] = new(2026, 12, 1, 9, 0, 30, 250, TimeSpan.Zero),
            ["secondary"] = new(2026, 12, 1, 10, 0, 0, 499, TimeSpan.Zero),
            ["previousSecondary"] = new(2026, 12, 1, 9, 30, 0, TimeSpan.Zero),
        });
        Assert.Equal("2026-12-01T09:00:30.250Z", (string?)props["primaryKeyLastUsedAt"]);
        Assert.Null(props["secondaryKeyLastUsedAt"]);
        Assert.Equal("2026-12-01T09:30:00.000Z", (string?)props["keyRotation"]!["previousKeysLastUsedAt"]);
    }

    [Fact]
    public void TheKeySlot_GoesThroughTheRequestLogsBlocks()
    {
        RequestRecord Record(string? slot) => new()
        {
            Timestamp = Now, RequestId = "r", ServiceName = "s", SubscriptionId = "sub", Method = "GET", Url = "/", ResponseCode = 200, Cache = "none", KeySlot = slot,
        };
        var decoded = RequestRecordCodec.Decode(RequestRecordCodec.Encode([Record("primary"), Record("previousSecondary"), Record(null)]), "s").ToList();
        Assert.Equal(["primary", "previousSecondary", null], decoded.Select(r => r.KeySlot));
        Assert.Null(RecordBatch.Problem(Record("secondary"), 0));
        Assert.NotNull(RecordBatch.Problem(Record("the key itself"), 0));
    }
}
