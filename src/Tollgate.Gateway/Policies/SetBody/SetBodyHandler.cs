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

namespace Tollgate.Gateway.Policies.SetBody;

/// <summary><c>set-body</c>: replaces the request or response body with a literal or an expression's value.</summary>
internal sealed class SetBodyHandler(PolicyLocation location, PolicyValue value, MessageTarget target) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        Bodies.Replace(context, target, Bodies.ToBytes(value.GetObject(context)));
        return Continue;
    }
}
