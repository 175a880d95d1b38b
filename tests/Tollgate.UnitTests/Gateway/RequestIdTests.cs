using Tollgate.ServiceDefaults;

namespace Tollgate.UnitTests.Gateway;

/// <summary>Request ids are version-7 GUIDs as <see cref="Guid.CreateVersion7(DateTimeOffset)"/> makes them: the call's time in their first 48 bits, random after, never twice the same.</summary>
public sealed class RequestIdTests
{
    [Fact]
    public void RequestId_IsAVersion7Guid_CarryingItsTimestamp()
    {
        var at = new DateTimeOffset(2026, 12, 4, 22, 0, 1, 234, TimeSpan.Zero);

        var id = Guid.Parse(RequestIds.NewId(at));

        Assert.Equal(7, id.Version);
        Assert.Equal(0b10, id.Variant >> 2);
        var bytes = id.ToByteArray(bigEndian: true);
        var ms = ((long)bytes[0] << 40) | ((long)bytes[1] << 32) | ((long)bytes[2] << 24) | ((long)bytes[3] << 16) | ((long)bytes[4] << 8) | bytes[5];
        Assert.Equal(at.ToUnixTimeMilliseconds(), ms);
        Assert.Equal(Guid.CreateVersion7(at).ToString().Length, RequestIds.NewId(at).Length);
    }

    [Fact]
    public void RequestIds_OfTheSameMillisecond_AreAllDifferent_AcrossManyRefills()
    {
        var at = DateTimeOffset.UnixEpoch.AddYears(56);
        var ids = Enumerable.Range(0, 20_000).Select(_ => RequestIds.NewId(at)).ToList();

        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids, id => Assert.Equal(7, Guid.Parse(id).Version));
    }
}
