using System.Net.Http.Headers;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Tollgate.Core.Policies.Expressions;
using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;
using Tollgate.Gateway.Policies.SetHeader;
using Tollgate.ServiceDefaults;

namespace Tollgate.Gateway.Policies.SendRequest;

/// <summary>A response received by <c>send-request</c>, kept in <c>context.Variables</c> as APIM's <see cref="IResponse"/>.</summary>
internal sealed class ReceivedResponse(int statusCode, string reason, IReadOnlyDictionary<string, string[]> headers, byte[] body) : IResponse
{
    public IMessageBody? Body { get; } = new MessageBody(body);

    public IReadOnlyDictionary<string, string[]> Headers => headers;

    public int StatusCode => statusCode;

    public string StatusReason => reason;
}

/// <summary>What a send-request got: its response, or the failure (unreachable, timed out).</summary>
internal readonly record struct SendRequestExchange(ReceivedResponse? Response, Exception? Error);

/// <summary>One <c>set-header</c> of send-request.</summary>
internal sealed record OutgoingHeader(string Name, string Action, PolicyValue[] Values);

/// <summary>
/// <c>send-request</c>: a request of its own (<c>mode="new"</c>) or a copy of the current one (<c>mode="copy"</c>) changed
/// by set-url, set-method, set-header and set-body, sent with a timeout (default 60 s, on the gateway's clock); the
/// response goes to <c>response-variable-name</c> as an <see cref="IResponse"/>. A failure (unreachable, timeout) is a
/// send-request error, or a null variable with <c>ignore-error="true"</c>.
/// <c>send-one-way-request</c> (no variable): the request is built in place and sent in the background; the policy
/// continues at once, and a failure or timeout is only logged.
/// </summary>
internal sealed partial class SendRequestHandler(
    PolicyLocation location,
    bool copy,
    string? variable,
    TimeSpan timeout,
    bool ignoreError,
    PolicyValue? url,
    PolicyValue? method,
    OutgoingHeader[] headers,
    PolicyValue? body,
    PolicyServices services) : PolicyHandler(location)
{
    private static readonly HttpClient SharedClient = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };

    private readonly HttpClient _client = services.HttpClients?.CreateClient("send-request") is { } client ? WithoutTimeout(client) : SharedClient;

    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context) =>
        variable is null ? SendOneWay(context) : SendAsync(context, variable);

    private ValueTask<PolicyStep> SendOneWay(PolicyContext context)
    {
        // Built now, while the request's context is valid; the bodies are copied (the context may be reused).
        var message = Build(context, copyBodies: true);
        _ = ForgetAsync(message, context.Runtime.Time, context.RequestId.ToString());
        return Continue;
    }

    private async Task ForgetAsync(HttpRequestMessage message, TimeProvider time, string requestId)
    {
        try
        {
            using (message)
            using (var timer = new CancellationTokenSource(timeout, time))
            {
                using var response = await _client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timer.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            OneWayFailed(services.Logger, requestId, message.RequestUri?.GetLeftPart(UriPartial.Path), e is OperationCanceledException ? "no response in time" : e.Message);
        }
    }

    [LoggerMessage(EventIds.OneWayRequestFailed, LogLevel.Warning, "Request {RequestId}: send-one-way-request to {Url} failed: {Error}")]
    private static partial void OneWayFailed(ILogger logger, string requestId, string? url, string error);

    private async ValueTask<PolicyStep> SendAsync(PolicyContext context, string variable)
    {
        using var message = Build(context);
        return Complete(context, await ExchangeAsync(message, context.Runtime.Time, context.Http.RequestAborted));
    }

    /// <summary>True for send-one-way-request.</summary>
    internal bool OneWay => variable is null;

    /// <summary>For wait: the request, built on the request's context.</summary>
    internal HttpRequestMessage BuildRequest(PolicyContext context) => Build(context);

    /// <summary>
    /// For wait: sends <paramref name="message"/> and reads the response without touching the request's context, so
    /// several run at once. A failure or the policy's timeout is returned; <paramref name="cancel"/> throws.
    /// </summary>
    internal async Task<SendRequestExchange> ExchangeAsync(HttpRequestMessage message, TimeProvider time, CancellationToken cancel)
    {
        using var timer = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, cancel);
        try
        {
            using var response = await _client.SendAsync(message, HttpCompletionOption.ResponseContentRead, linked.Token);
            var bytes = await response.Content.ReadAsByteArrayAsync(linked.Token);
            var received = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                received[name] = values.ToArray();
            }

            return new(new ReceivedResponse((int)response.StatusCode, response.ReasonPhrase ?? ReasonPhrases.GetReasonPhrase((int)response.StatusCode), received, bytes), null);
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancel.IsCancellationRequested))
        {
            return new(null, e);
        }
    }

    /// <summary>Stores the exchange's response in the variable, or fails the policy as APIM does.</summary>
    internal PolicyStep Complete(PolicyContext context, SendRequestExchange exchange)
    {
        if (exchange.Response is { } response)
        {
            context.SetVariable(variable!, response);
            return PolicyStep.Continue;
        }

        if (ignoreError)
        {
            context.SetVariable(variable!, null!);
            return PolicyStep.Continue;
        }

        var timedOut = exchange.Error is OperationCanceledException;
        var text = timedOut ? "The request sent by send-request did not get a response in time." : $"The request sent by send-request failed: {exchange.Error?.Message}";
        context.Fail(PolicyFailure.From(Location, timedOut ? "Timeout" : "SendRequestFailure", text));
        context.SetErrorResponse(500, "Internal server error");
        return PolicyStep.Error;
    }

    private HttpRequestMessage Build(PolicyContext context, bool copyBodies = false)
    {
        var request = context.Http.Request;
        var message = new HttpRequestMessage();
        byte[]? content = null;
        string? contentType = null;
        if (copy)
        {
            message.Method = new HttpMethod(request.Method);
            message.RequestUri = new Uri(context.Url.ToString() ?? "");
            foreach (var (name, values) in request.Headers)
            {
                if (name is "Host" or "Content-Length" or "Transfer-Encoding" || name.Equals(context.Gateway.Api.KeyHeaderName, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                {
                    contentType = values.ToString();
                    continue;
                }

                message.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values!);
            }

            content = context.RequestBody?.Content;
        }
        else
        {
            message.Method = HttpMethod.Get;
        }

        if (url?.GetString(context) is { Length: > 0 } target)
        {
            message.RequestUri = new Uri(target.Trim(), UriKind.Absolute);
        }

        if (message.RequestUri is null)
        {
            throw new ArgumentException("send-request has no URL: add set-url.");
        }

        if (method?.GetString(context) is { Length: > 0 } m)
        {
            message.Method = new HttpMethod(m.Trim().ToUpperInvariant());
        }

        if (body is not null)
        {
            content = Bodies.ToBytes(body.GetObject(context));
        }

        foreach (var header in headers)
        {
            if (header.Name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                contentType = header.Action == "delete" ? null : header.Action == "skip" && contentType is not null ? contentType : SetHeaderHandler.Evaluate(header.Values, context).ToString();
                continue;
            }

            var exists = message.Headers.Contains(header.Name);
            switch (header.Action)
            {
                case "delete":
                    message.Headers.Remove(header.Name);
                    continue;
                case "skip" when exists:
                    continue;
                case "override":
                    message.Headers.Remove(header.Name);
                    break;
            }

            StringValues values = SetHeaderHandler.Evaluate(header.Values, context);
            message.Headers.TryAddWithoutValidation(header.Name, (IEnumerable<string>)values!);
        }

        if (content is not null)
        {
            message.Content = new ByteArrayContent(copyBodies ? content.ToArray() : content);
            if (contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out var type))
            {
                message.Content.Headers.ContentType = type;
            }
        }

        return message;
    }

    private static HttpClient WithoutTimeout(HttpClient client)
    {
        client.Timeout = Timeout.InfiniteTimeSpan;
        return client;
    }
}
