using Microsoft.Net.Http.Headers;
using Tollgate.Core.Policies;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.Handlers;

/// <summary>What json-to-xml and xml-to-json share: when to convert, and the Content-Type that follows.</summary>
internal abstract class FormatHandler(PolicyLocation location, MessageTarget target, bool always, bool considerAccept) : PolicyHandler(location)
{
    protected abstract string From { get; }

    protected abstract string To { get; }

    protected abstract string ContentType { get; }

    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var body = Bodies.Current(context, target);
        if (body is null || body.Content.Length == 0)
        {
            return Continue;
        }

        var headers = target == MessageTarget.Request ? context.Http.Request.Headers : context.Http.Response.Headers;
        if (!always && !headers.ContentType.ToString().Contains(From, StringComparison.OrdinalIgnoreCase))
        {
            return Continue;
        }

        // consider-accept-header: convert only when the client asks for the target format (or anything).
        if (considerAccept && context.Http.Request.Headers.Accept.ToString() is { Length: > 0 } accept
            && !accept.Contains(To, StringComparison.OrdinalIgnoreCase) && !accept.Contains("*/*", StringComparison.Ordinal))
        {
            return Continue;
        }

        Bodies.Replace(context, target, Convert(body.As<string>(preserveContent: true), target == MessageTarget.Request));
        headers[HeaderNames.ContentType] = ContentType;
        return Continue;
    }

    /// <summary>Converts the body; a body refused as a tree (DTD, too deep) is a <see cref="BodyRejectedException"/>.</summary>
    protected abstract byte[] Convert(string text, bool clientRequest);
}
