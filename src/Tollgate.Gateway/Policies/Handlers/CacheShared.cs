using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Tollgate.Gateway.Policies.Runtime;
using Tollgate.ServiceDefaults;

namespace Tollgate.Gateway.Policies.Handlers;

internal static partial class CacheLog
{
    [LoggerMessage(EventIds.CacheLookupFailed, LogLevel.Warning, "Request {RequestId}: cache-lookup could not read the cache: {Message}")]
    public static partial void LookupFailed(ILogger logger, string requestId, string message);

    [LoggerMessage(EventIds.CacheStoreFailed, LogLevel.Warning, "Request {RequestId}: cache-store could not write the cache: {Message}")]
    public static partial void StoreFailed(ILogger logger, string requestId, string message);
}

/// <summary>Values of cache-store-value in the cache: a type tag and the value's text, so lookups give back the same type.</summary>
internal static class CachedValue
{
    public static byte[] Serialize(object? value)
    {
        var (tag, text) = value switch
        {
            null => ('n', ""),
            string s => ('s', s),
            bool b => ('b', b ? "true" : "false"),
            int i => ('i', i.ToString(CultureInfo.InvariantCulture)),
            long l => ('l', l.ToString(CultureInfo.InvariantCulture)),
            double d => ('d', d.ToString("R", CultureInfo.InvariantCulture)),
            decimal m => ('m', m.ToString(CultureInfo.InvariantCulture)),
            DateTime t => ('t', t.ToString("o", CultureInfo.InvariantCulture)),
            Guid g => ('g', g.ToString()),
            byte[] bytes => ('B', Convert.ToBase64String(bytes)),
            JToken j => ('j', j.ToString(Formatting.None)),
            IFormattable f => ('s', f.ToString(null, CultureInfo.InvariantCulture)),
            _ => ('s', value.ToString() ?? ""),
        };
        return Encoding.UTF8.GetBytes(tag + text);
    }

    public static object? Deserialize(byte[] data)
    {
        if (data.Length == 0)
        {
            return null;
        }

        var text = Encoding.UTF8.GetString(data, 1, data.Length - 1);
        // Arms typed object: JToken converts implicitly from every other arm and would otherwise be the switch's type.
        return (char)data[0] switch
        {
            'n' => (object?)null,
            'b' => (object)(text == "true"),
            'i' => (object)int.Parse(text, CultureInfo.InvariantCulture),
            'l' => (object)long.Parse(text, CultureInfo.InvariantCulture),
            'd' => (object)double.Parse(text, CultureInfo.InvariantCulture),
            'm' => (object)decimal.Parse(text, CultureInfo.InvariantCulture),
            't' => (object)DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            'g' => (object)Guid.Parse(text),
            'B' => (object)Convert.FromBase64String(text),
            'j' => (object)JToken.Parse(text),
            _ => text,
        };
    }

    public static string Key(PolicyContext context, string key) => context.Runtime.KeyPrefix + "v:" + key;
}
