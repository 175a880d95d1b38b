namespace Tollgate.Gateway.Policies.Runtime;

/// <summary>Whether a policy changes the request (inbound, backend) or the response (outbound, on-error, return-response).</summary>
internal enum MessageTarget
{
    Request,
    Response,
}
