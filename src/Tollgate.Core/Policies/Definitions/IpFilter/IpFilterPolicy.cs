using System.Net;

namespace Tollgate.Core.Policies.Definitions.IpFilter;

/// <summary><c>ip-filter</c> (inbound): allows or forbids callers by address and address range (IPv4 and IPv6).</summary>
public sealed class IpFilterPolicy : PolicyDefinition<IpFilterConfig>
{
    private IpFilterPolicy()
    {
    }

    public static IpFilterPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "ip-filter",
        Sections = SchemaParts.InboundOnly,
        Attributes = [new("action", Required: true, Kind: PolicyValueKind.Enumeration, Values: ["allow", "forbid"])],
        Children =
        [
            new PolicyElementSpec { Name = "address", AllowsText = true },
            new PolicyElementSpec { Name = "address-range", Attributes = [new("from", Required: true), new("to", Required: true)] },
        ],

        // The gateway builds these into address tests: what it cannot read is refused here, not when a snapshot is built.
        Extra = (el, path, report) =>
        {
            static bool Ip(string? text, out IPAddress? ip) => IPAddress.TryParse(text?.Trim(), out ip);
            foreach (var child in el.Children)
            {
                if (child.Name == "address" && !Ip(child.Text, out _))
                {
                    report(path + "/address", $"'{child.Text}' is not an IP address.");
                }
                else if (child.Name == "address-range" && child["from"] is not null && child["to"] is not null)
                {
                    // A missing attribute is reported as required.
                    if (!Ip(child["from"], out var from) || !Ip(child["to"], out var to))
                    {
                        report(path + "/address-range", $"'{child["from"]}' to '{child["to"]}' is not a range of IP addresses.");
                    }
                    else if ((from!.IsIPv4MappedToIPv6 ? from.MapToIPv4() : from).AddressFamily != (to!.IsIPv4MappedToIPv6 ? to.MapToIPv4() : to).AddressFamily)
                    {
                        report(path + "/address-range", "address-range mixes IPv4 and IPv6.");
                    }
                }
            }
        },
    };

    public override IpFilterConfig Parse(PolicyElement element)
    {
        var addresses = new List<IPAddress>();
        var ranges = new List<IpAddressRange>();
        foreach (var child in element.Children)
        {
            if (child.Name == "address")
            {
                addresses.Add(Address(child.Text));
            }
            else if (child.Name == "address-range")
            {
                var from = Address(child["from"]);
                var to = Address(child["to"]);
                if (from.AddressFamily != to.AddressFamily)
                {
                    throw new PolicyConfigException("address-range mixes IPv4 and IPv6.");
                }

                ranges.Add(new IpAddressRange(from, to));
            }
        }

        return new(element["action"] == "allow", addresses, ranges);
    }

    private static IPAddress Address(string? text) =>
        IPAddress.TryParse(text?.Trim(), out var ip)
            ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip)
            : throw new PolicyConfigException($"'{text}' is not an IP address.");
}
