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

namespace Tollgate.Gateway.Policies.SetMethod;

/// <summary><c>set-method</c>: the HTTP method sent to the backend.</summary>
internal sealed class SetMethodHandler(PolicyLocation location, PolicyValue method) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        if (method.GetString(context) is { Length: > 0 } m)
        {
            context.Http.Request.Method = m.Trim().ToUpperInvariant();
        }

        return Continue;
    }
}
