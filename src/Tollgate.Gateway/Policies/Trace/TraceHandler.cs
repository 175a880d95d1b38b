using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Tollgate.Core.Policies.Expressions;
using Tollgate.Gateway.Analytics;
using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;
using Tollgate.Gateway.Policies.SetHeader;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace Tollgate.Gateway.Policies.Trace;

/// <summary><c>trace</c>: a message (and metadata) to the gateway's log at the given severity.</summary>
internal sealed class TraceHandler(PolicyLocation location, string source, PolicyValue message, (string Name, PolicyValue Value)[] metadata) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var text = message.GetString(context) ?? "";
        if (metadata.Length > 0)
        {
            var sb = new StringBuilder(text);
            foreach (var (name, value) in metadata)
            {
                sb.Append(' ').Append(name).Append('=').Append(value.GetString(context));
            }

            text = sb.ToString();
        }

        context.Runtime.Trace(context, source, text);
        return Continue;
    }
}
