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

namespace Tollgate.Gateway.Policies.IncludeFragment;

/// <summary>An <c>include-fragment</c> whose fragment no longer exists: the request fails with a 500 through on-error.</summary>
internal sealed class MissingFragmentHandler(PolicyLocation location, string id) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        context.Fail(PolicyFailure.From(Location, "FragmentNotFound", $"Policy fragment '{id}' does not exist."));
        context.SetErrorResponse(500, "Internal server error");
        return ValueTask.FromResult(PolicyStep.Error);
    }
}
