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

namespace Tollgate.Gateway.Policies.SetBackendService;

/// <summary><c>set-backend-service base-url</c>: forwards to another backend for this request.</summary>
internal sealed class SetBackendServiceHandler(PolicyLocation location, PolicyValue baseUrl) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var url = baseUrl.GetString(context);
        if (string.IsNullOrEmpty(url) || !Uri.TryCreate(url, UriKind.Absolute, out _))
        {
            throw new ArgumentException($"set-backend-service: '{url}' is not an absolute URL.");
        }

        context.Gateway.BackendUrl = url;
        context.BackendOverridden = true;
        return Continue;
    }
}
