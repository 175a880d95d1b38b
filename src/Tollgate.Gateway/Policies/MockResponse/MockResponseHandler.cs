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

namespace Tollgate.Gateway.Policies.MockResponse;

/// <summary><c>mock-response</c>: the operation's declared example for the status code and content type; the rest is skipped.</summary>
internal sealed class MockResponseHandler(PolicyLocation location, int statusCode, string? contentType) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        string? example = null;
        var type = contentType;
        foreach (var response in context.OperationPolicies.Definition.Responses)
        {
            if (response.StatusCode != statusCode)
            {
                continue;
            }

            foreach (var representation in response.Representations)
            {
                if (contentType is null || string.Equals(representation.ContentType, contentType, StringComparison.OrdinalIgnoreCase))
                {
                    type ??= representation.ContentType;
                    example = representation.Example;
                    break;
                }
            }

            break;
        }

        context.StartResponse(statusCode);
        context.Http.Response.ContentType = type ?? "application/json";
        context.SetResponseBody(example is null ? [] : Encoding.UTF8.GetBytes(example));
        return ValueTask.FromResult(PolicyStep.Return);
    }
}
