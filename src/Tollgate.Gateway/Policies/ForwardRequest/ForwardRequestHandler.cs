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

namespace Tollgate.Gateway.Policies.ForwardRequest;

/// <summary><c>forward-request</c>: sends the request to the backend with a timeout (default 300 s).</summary>
internal sealed class ForwardRequestHandler(PolicyLocation location, TimeSpan timeout) : PolicyHandler(location)
{
    public override bool Forwards => true;

    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context) => PolicyExecutor.ForwardAsync(context, timeout, Location);
}
