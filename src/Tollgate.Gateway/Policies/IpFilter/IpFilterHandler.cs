using System.Net;
using Tollgate.Gateway.Analytics;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.IpFilter;

/// <summary><c>ip-filter</c>: allow or forbid callers by address and address range (IPv4 and IPv6).</summary>
internal sealed class IpFilterHandler(PolicyLocation location, bool allow, IPAddress[] addresses, (byte[] From, byte[] To)[] ranges) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var ip = context.Http.Connection.RemoteIpAddress;
        if (ip is not null && ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        var listed = ip is not null && Listed(ip);
        if (listed == allow)
        {
            return Continue;
        }

        var message = $"Caller IP address {ip} is not allowed. Access denied.";
        context.SetErrorResponse(403, message);
        GatewayMetrics.RecordRejection(Location.Name, context.Gateway);
        context.Fail(PolicyFailure.From(Location, "CallerIpNotAllowed", message));
        return ValueTask.FromResult(PolicyStep.Error);
    }

    private bool Listed(IPAddress ip)
    {
        foreach (var a in addresses)
        {
            if (a.Equals(ip))
            {
                return true;
            }
        }

        if (ranges.Length == 0)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        if (!ip.TryWriteBytes(bytes, out var length))
        {
            return false;
        }

        var value = bytes[..length];
        foreach (var (from, to) in ranges)
        {
            if (from.Length == length && value.SequenceCompareTo(from) >= 0 && value.SequenceCompareTo(to) <= 0)
            {
                return true;
            }
        }

        return false;
    }
}
