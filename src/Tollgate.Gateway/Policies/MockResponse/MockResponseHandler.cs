using System.Text;
using Tollgate.Gateway.Policies.Runtime;

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
