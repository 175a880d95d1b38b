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

namespace Tollgate.Gateway.Policies.SetStatus;

/// <summary><c>set-status</c>: the response's status code and reason phrase.</summary>
internal sealed class SetStatusHandler(PolicyLocation location, PolicyValue code, PolicyValue? reason) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var status = (int)code.GetInteger(context, 200);
        if (!context.Http.Response.HasStarted)
        {
            context.Http.Response.StatusCode = status;
            context.SetReason(reason?.GetString(context));
        }

        return Continue;
    }
}
