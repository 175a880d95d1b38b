using System.Globalization;
using System.Text;
using System.Xml.Linq;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Tollgate.Core.Policies.Expressions;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.Handlers;

/// <summary>Body conversions shared by set-body, find-and-replace and the format policies.</summary>
internal static class Bodies
{
    public static byte[] ToBytes(object? value) => value switch
    {
        null => [],
        byte[] b => b,
        string s => Encoding.UTF8.GetBytes(s),
        JToken j => Encoding.UTF8.GetBytes(j.ToString(Formatting.None)),
        XNode x => Encoding.UTF8.GetBytes(x.ToString(SaveOptions.DisableFormatting)),
        IFormattable f => Encoding.UTF8.GetBytes(f.ToString(null, CultureInfo.InvariantCulture)),
        _ => Encoding.UTF8.GetBytes(value.ToString() ?? ""),
    };

    public static MessageBody? Current(PolicyContext context, MessageTarget target) =>
        target == MessageTarget.Request ? context.RequestBody : context.ResponseBody;

    public static void Replace(PolicyContext context, MessageTarget target, byte[] body)
    {
        if (target == MessageTarget.Request)
        {
            context.RequestBody = new MessageBody(body) { IsClientRequest = true };
        }
        else
        {
            context.SetResponseBody(body);
        }
    }
}

/// <summary>Headers that describe one connection, never copied from a held response onto another.</summary>
internal static class HopByHopHeaders
{
    public static bool IsHopByHop(string name) =>
        name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) || name.Equals("Connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase);
}
