using System.Net;

namespace Tollgate.Core.Policies.Definitions.IpFilter;

/// <summary>An <c>ip-filter</c>.</summary>
/// <param name="Allow">True for <c>action="allow"</c> (only the listed callers pass), false for <c>forbid</c>.</param>
/// <param name="Addresses">The <c>address</c> children, IPv4-mapped IPv6 addresses as IPv4.</param>
/// <param name="Ranges">The <c>address-range</c> children, both ends of one family.</param>
public sealed record IpFilterConfig(bool Allow, IReadOnlyList<IPAddress> Addresses, IReadOnlyList<IpAddressRange> Ranges);

/// <summary>An <c>address-range</c>: every address from <paramref name="From"/> to <paramref name="To"/>, both included.</summary>
public sealed record IpAddressRange(IPAddress From, IPAddress To);
