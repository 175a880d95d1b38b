using System.Globalization;

namespace Tollgate.Core.Policies.Definitions.QuotaByKey;

/// <summary><c>quota-by-key</c> (inbound): calls and/or kilobytes per fixed window per value of an expression.</summary>
public sealed class QuotaByKeyPolicy : PolicyDefinition<QuotaByKeyConfig>
{
    private QuotaByKeyPolicy()
    {
    }

    public static QuotaByKeyPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "quota-by-key",
        Sections = SchemaParts.InboundOnly,
        Attributes =
        [
            new("calls", AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger),
            new("bandwidth", AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger),
            new("renewal-period", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger),
            new("counter-key", Required: true),
            new("increment-condition"),
            new("first-period-start", AllowsExpressions: false, Kind: PolicyValueKind.DateTime),
        ],
        Extra = Check,
    };

    public override QuotaByKeyConfig Parse(PolicyElement element)
    {
        var start = DateTimeOffset.MinValue;
        if (element["first-period-start"] is { } text && !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out start))
        {
            throw new PolicyConfigException($"Attribute 'first-period-start' of 'quota-by-key' must be an ISO 8601 date and time, not '{text}'.");
        }

        return new(element.Long("calls"), element.Long("bandwidth"), element.Int("renewal-period"), element.Setting("counter-key"),
            element.OptionalSetting("increment-condition"), start);
    }

    private static void Check(PolicyElement el, string path, Action<string, string> report)
    {
        LimitScopeConfig.RequireCallsOrBandwidth(el, path, report);
        var rp = el["renewal-period"];
        if (rp is not null && long.TryParse(rp, out var seconds) && seconds is > 0 and < 300)
        {
            report(path + "/@renewal-period", $"Attribute 'renewal-period' of 'quota-by-key' must be 0 or at least 300, not '{rp}'.");
        }
    }
}
