using System.Collections.Frozen;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Tollgate.Core.Gateway;
using Tollgate.Core.Policies.Expressions;
using Tollgate.Gateway.Policies.Counters;
using Tollgate.Gateway.Subscriptions;

namespace Tollgate.Gateway.Policies.Runtime;

/// <summary>
/// One request going through a policy pipeline: APIM's <c>context</c> for expressions (implemented over the
/// <see cref="HttpContext"/> and the <see cref="GatewayRequest"/>, members built only when asked for) and the state
/// the policies share (variables, the response being built, LastError, work left for after the response).
/// </summary>
/// <remarks>
/// Contexts are pooled: <see cref="PolicyExecutor"/> rents one per request and returns it (emptied) when the pipeline
/// and its deferred work are done, so a request allocates no context, variables dictionary or lists once the pool is
/// warm. Nothing may keep a context, or an object it hands out (<c>context.Subscription</c>, <c>Variables</c>, …),
/// after the request: work that must outlive it copies what it needs, or calls <see cref="Retain"/> (the context then
/// is never reused).
/// </remarks>
public sealed class PolicyContext : IProxyContext, IRequest, IResponse
{
    private static readonly IReadOnlyDictionary<string, object> NoVariables = FrozenDictionary<string, object>.Empty;
    private static readonly IReadOnlyDictionary<string, string> NoParameters = FrozenDictionary<string, string>.Empty;

    /// <summary>At most this many contexts wait for reuse (more requests in flight allocate theirs).</summary>
    private static readonly int PoolSize = Math.Max(256, Environment.ProcessorCount * 64);

    /// <summary>Contexts ready for reuse (a queue: enqueue and dequeue allocate nothing once its segments exist).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentQueue<PolicyContext> Pool = new();

    private static int _pooled;

    /// <summary>
    /// One context kept per thread in front of <see cref="Pool"/>: a request that starts and ends on the same thread
    /// (every synchronous pipeline) takes and gives it back without the queue's interlocked operations.
    /// </summary>
    [ThreadStatic]
    private static PolicyContext? _spare;

    // Every field below is reset (or, for reused storage, cleared) in Return(): the context is pooled.
    // PooledContextTests.EveryFieldOfThePooledContext_IsKnownToReturn lists them.
    private long _started;
    private string _originalPath = "";
    private string _originalQuery = "";
    private Dictionary<string, object>? _variables;
    private HeaderView? _requestHeaders;
    private HeaderView? _responseHeaders;
    private RequestUrl? _url;
    private IUrl? _originalUrl;
    private IReadOnlyDictionary<string, string>? _matched;
    private SubscriptionInfo? _subscription;
    private bool _subscriptionSet;
    private IUser? _user;
    private Guid? _requestId;
    private List<(PolicyHandler Handler, object? State)>? _deferred;
    private List<KeyValuePair<string, string>>? _pendingHeaders;
    private MemoryStream? _capture;
    private Stream? _originalBody;
    private bool _retained;
    private LimitBatch? _limitBatch;

    private PolicyContext()
    {
        Http = null!;
        Gateway = null!;
        OperationPolicies = null!;
        Runtime = null!;
    }

    internal PolicyContext(HttpContext http, GatewayRequest request, OperationPolicies operation, PolicyRuntime runtime)
    {
        Http = http;
        Gateway = request;
        OperationPolicies = operation;
        Runtime = runtime;
        Start();
    }

    /// <summary>A context for one request, from the pool when one is free; give it back with <see cref="Return"/>.</summary>
    internal static PolicyContext Rent(HttpContext http, GatewayRequest request, OperationPolicies operation, PolicyRuntime runtime, RequestDelegate forward, PolicyPipeline pipeline)
    {
        var context = TakeFromPool() ?? new PolicyContext();
        context.Http = http;
        context.Gateway = request;
        context.OperationPolicies = operation;
        context.Runtime = runtime;
        context.Forward = forward;
        context.Pipeline = pipeline;
        context.Start();
        return context;
    }

    /// <summary>
    /// Keeps this context out of the pool: for work that holds it after the request (the pipeline and deferred
    /// work are done when <see cref="PolicyExecutor"/> returns it).
    /// </summary>
    public void Retain() => _retained = true;

    /// <summary>Empties the context and puts it back in the pool (unless retained).</summary>
    internal void Return()
    {
        if (_retained)
        {
            return;
        }

        Http = null!;
        Gateway = null!;
        OperationPolicies = null!;
        Runtime = null!;
        Forward = null;
        Pipeline = null;
        Section = "inbound";
        RequestBody = null;
        ResponseBody = null;
        HasResponse = false;
        QuotaKeys?.Clear();
        BackendOverridden = false;
        ForwardTimeout = null;
        LastError = null;
        _variables?.Clear();
        _requestHeaders = null;
        _responseHeaders = null;
        _url = null;
        _originalUrl = null;
        _matched = null;
        _subscriptionSet = false;
        _user = null;
        _requestId = null;
        _deferred?.Clear();
        _limitBatch?.Clear();
        _pendingHeaders = null;
        _capture = null;
        _originalBody = null;
        if (_spare is null)
        {
            _spare = this;
            return;
        }

        if (Interlocked.Increment(ref _pooled) <= PoolSize)
        {
            Pool.Enqueue(this);
        }
        else
        {
            Interlocked.Decrement(ref _pooled);
        }
    }

    private static PolicyContext? TakeFromPool()
    {
        if (_spare is { } spare)
        {
            _spare = null;
            return spare;
        }

        if (Pool.TryDequeue(out var context))
        {
            Interlocked.Decrement(ref _pooled);
            return context;
        }

        return null;
    }

    private void Start()
    {
        var time = Runtime.Time;
        _started = time.GetTimestamp();
        // On the system clock the wall time of the start is worked out from the start's timestamp when asked for
        // (most requests never ask): one clock reading fewer per request. Other clocks (tests' fakes) are read now.
        Timestamp = ReferenceEquals(time, TimeProvider.System) ? default : time.GetUtcNow().UtcDateTime;
        _originalPath = Http.Request.PathBase.Add(Http.Request.Path).Value ?? "/";
        _originalQuery = Http.Request.QueryString.Value ?? "";
    }

    public HttpContext Http { get; private set; }

    public GatewayRequest Gateway { get; private set; }

    internal OperationPolicies OperationPolicies { get; private set; }

    internal PolicyRuntime Runtime { get; private set; }

    /// <summary>The section running now (inbound, backend, outbound, on-error).</summary>
    public string Section { get; internal set; } = "inbound";

    /// <summary>The buffered request body (when the pipeline reads or changes it), else null.</summary>
    public MessageBody? RequestBody { get; set; }

    /// <summary>The body the gateway will send (a policy's response, or the backend's when outbound policies run); null when streamed.</summary>
    public MessageBody? ResponseBody { get; private set; }

    /// <summary>True once there is a response (the backend's or a policy's): <c>context.Response</c> is then not null.</summary>
    public bool HasResponse { get; internal set; }

    /// <summary>The counters of grouped rate-limit and quota policies (reused by every group of the request).</summary>
    internal LimitBatch LimitBatch => _limitBatch ??= new LimitBatch();

    /// <summary>Quota keys this request has counted (quota-by-key counts a key once per request).</summary>
    internal Dictionary<string, Handlers.QuotaKeyUse>? QuotaKeys { get; set; }

    /// <summary>Sends the request to the backend (the rest of YARP's pipeline).</summary>
    internal RequestDelegate? Forward { get; set; }

    /// <summary>The pipeline being run.</summary>
    internal PolicyPipeline? Pipeline { get; set; }

    /// <summary>set-backend-service chose the backend: the API's serviceUrl is not needed.</summary>
    internal bool BackendOverridden { get; set; }

    /// <summary>Forward-request's timeout for this request, when a policy set one.</summary>
    internal TimeSpan? ForwardTimeout { get; set; }

    // ---- IProxyContext ----

    public IApi Api => OperationPolicies.Api;

    public IBackend? Backend => Gateway.Backend is { } backend ? new BackendInfo(backend) : null;

    public IDeployment Deployment => Runtime.Deployment;

    public TimeSpan Elapsed => Runtime.Time.GetElapsedTime(_started);

    public ILastError? LastError { get; private set; }

    /// <summary>The error being handled, as the runtime's record.</summary>
    public PolicyFailure? Error => LastError as PolicyFailure;

    public IOperation Operation => OperationPolicies.Operation;

    public IProduct? Product => Gateway.Product is { } p ? Runtime.ProductInfo(p.Id) : null;

    public IRequest Request => this;

    public Guid RequestId => _requestId ??= Guid.TryParse(Http.TraceIdentifier, out var id) ? id : Guid.NewGuid();

    public IResponse? Response => HasResponse ? this : null;

    public ISubscription? Subscription => Gateway.Subscription is { } s ? SubscriptionOf(s) : null;

    public DateTime Timestamp
    {
        get => field != default ? field : field = Runtime.Time.GetUtcNow().UtcDateTime - Runtime.Time.GetElapsedTime(_started);
        private set;
    }

    public bool Tracing => false;

    public IUser? User => Gateway.User is { } u ? _user ??= new UserInfo(u, Runtime.GroupNames) : null;

    public IReadOnlyDictionary<string, object> Variables => _variables ?? NoVariables;

    /// <summary>Tollgate has no workspaces: every API is the instance's own.</summary>
    public IWorkspace? Workspace => null;

    public void Trace(string message) => Runtime.Trace(this, "expression", message);

    // ---- IRequest ----

    IMessageBody? IRequest.Body => RequestBody;

    public X509Certificate2? Certificate => Http.Connection.ClientCertificate;

    IReadOnlyDictionary<string, string[]> IRequest.Headers => _requestHeaders ??= new HeaderView(Http.Request.Headers);

    public string IpAddress => Http.Connection.RemoteIpAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : "";

    public IReadOnlyDictionary<string, string> MatchedParameters => _matched ??= BuildMatched();

    public string Method => Http.Request.Method;

    public IUrl OriginalUrl => _originalUrl ??= new Core.Policies.Expressions.Url(
        $"{Http.Request.Scheme}://{(Http.Request.Host.HasValue ? Http.Request.Host.Value : "localhost")}{_originalPath}{_originalQuery}");

    public IUrl Url => _url ??= new RequestUrl(Http.Request);

    public IPrivateEndpointConnection? PrivateEndpointConnection => null;

    // ---- IResponse ----

    IMessageBody? IResponse.Body => ResponseBody;

    IReadOnlyDictionary<string, string[]> IResponse.Headers => _responseHeaders ??= new HeaderView(Http.Response.Headers);

    public int StatusCode => Http.Response.StatusCode;

    public string StatusReason => Http.Features.Get<IHttpResponseFeature>()?.ReasonPhrase is { Length: > 0 } reason
        ? reason
        : ReasonPhrases.GetReasonPhrase(Http.Response.StatusCode);

    // ---- what policies do ----

    private SubscriptionInfo SubscriptionOf(GatewaySubscription subscription)
    {
        _subscription ??= new SubscriptionInfo(this);
        if (!_subscriptionSet)
        {
            _subscription.For(subscription);
            _subscriptionSet = true;
        }

        return _subscription;
    }

    /// <summary>Sets a variable (set-variable, the *-variable-name attributes).</summary>
    public void SetVariable(string name, object value) => (_variables ??= new Dictionary<string, object>(StringComparer.Ordinal))[name] = value;

    /// <summary>Records the error for on-error; the caller returns <see cref="PolicyStep.Error"/>.</summary>
    public void Fail(PolicyFailure error) => LastError = error;

    /// <summary>Queues <paramref name="handler"/>'s <see cref="PolicyHandler.CompleteAsync"/> for after the response.</summary>
    public void Defer(PolicyHandler handler, object? state) => (_deferred ??= []).Add((handler, state));

    /// <summary>A header to put on the response whatever it turns out to be (rate-limit's remaining-calls header).</summary>
    public void AddResponseHeaderLater(string name, string value) => (_pendingHeaders ??= []).Add(new(name, value));

    /// <summary>Starts a response of the gateway's own: status, reason, no headers or body yet (backend's response discarded).</summary>
    public void StartResponse(int statusCode, string? reason = null)
    {
        var response = Http.Response;
        if (!response.HasStarted)
        {
            response.Headers.Clear();
        }

        response.StatusCode = statusCode;
        SetReason(reason);
        ResponseBody = new MessageBody([]);
        HasResponse = true;
    }

    public void SetReason(string? reason)
    {
        if (Http.Features.Get<IHttpResponseFeature>() is { } feature)
        {
            feature.ReasonPhrase = reason;
        }
    }

    /// <summary>Replaces the response body (set-body in outbound, return-response).</summary>
    public void SetResponseBody(byte[] body)
    {
        ResponseBody = new MessageBody(body);
        HasResponse = true;
    }

    /// <summary>An APIM error response <c>{"statusCode":N,"message":"…"}</c>.</summary>
    public void SetErrorResponse(int statusCode, string message)
    {
        StartResponse(statusCode);
        Http.Response.ContentType = "application/json; charset=utf-8";
        SetResponseBody(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(
            new Errors.ErrorBody(statusCode, message), Errors.GatewayJsonContext.Default.ErrorBody));
    }

    /// <summary>Reads the request body into memory once (for policies and expressions that read or change it).</summary>
    internal async ValueTask BufferRequestBodyAsync()
    {
        if (RequestBody is not null)
        {
            return;
        }

        var request = Http.Request;
        if (request.ContentLength == 0 || (request.ContentLength is null && !request.Headers.ContainsKey("Transfer-Encoding")))
        {
            RequestBody = new MessageBody([]);
            return;
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, Http.RequestAborted);
        RequestBody = new MessageBody(buffer.ToArray()) { IsClientRequest = true };
    }

    /// <summary>Before forwarding: puts the (possibly changed) buffered request body back on the request.</summary>
    internal void PrepareRequestBody()
    {
        if (RequestBody is null)
        {
            return;
        }

        var content = RequestBody.Content;
        Http.Request.Body = new MemoryStream(content, writable: false);
        Http.Request.ContentLength = content.Length;
        Http.Request.Headers.Remove("Transfer-Encoding");
    }

    /// <summary>Sends the backend's response into memory, so outbound policies can read and change it.</summary>
    internal void BeginCapture()
    {
        _originalBody ??= Http.Response.Body;
        _capture = new MemoryStream();
        Http.Response.Body = _capture;
    }

    internal void EndCapture()
    {
        if (_capture is null)
        {
            return;
        }

        Http.Response.Body = _originalBody!;
        ResponseBody = new MessageBody(_capture.ToArray());
        _capture = null;
    }

    /// <summary>Resets what a previous forward attempt left (retry).</summary>
    internal void ResetForRetry()
    {
        if (Http.Response.HasStarted)
        {
            return;
        }

        Http.Response.Headers.Clear();
        Http.Response.StatusCode = 200;
        Http.Features.Set<Yarp.ReverseProxy.Forwarder.IForwarderErrorFeature>(null);
        LastError = null;
        ResponseBody = null;
        HasResponse = false;
    }

    internal void ApplyPendingHeaders()
    {
        if (_pendingHeaders is null || Http.Response.HasStarted)
        {
            return;
        }

        foreach (var (name, value) in _pendingHeaders)
        {
            Http.Response.Headers[name] = value;
        }
    }

    internal bool HasPendingHeaders => _pendingHeaders is not null;

    /// <summary>
    /// The headers to add when the response starts, handed over (with the HttpContext) to a callback that may run after
    /// this context went back to the pool; headers added later are applied by <see cref="CompleteAsync"/>.
    /// </summary>
    internal PendingHeaders TakePendingHeaders()
    {
        var pending = new PendingHeaders(Http, _pendingHeaders ?? []);
        _pendingHeaders = null;
        return pending;
    }

    /// <summary>After the pipeline: deferred work, pending headers, then the buffered body if the gateway holds one.</summary>
    /// <remarks>Synchronous (no state machine) when there is no deferred work and no body to write.</remarks>
    internal ValueTask CompleteAsync() => _deferred is { Count: > 0 } ? CompleteDeferredAsync() : CompleteResponse();

    private async ValueTask CompleteDeferredAsync()
    {
        foreach (var (handler, state) in _deferred!)
        {
            try
            {
                await handler.CompleteAsync(this, state);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Runtime.DeferredFailed(this, handler, e);
            }
        }

        await CompleteResponse();
    }

    /// <summary>Pending headers, then the buffered body if the gateway holds one.</summary>
    private ValueTask CompleteResponse()
    {
        ApplyPendingHeaders();
        if (ResponseBody is null || Http.Response.HasStarted)
        {
            return default;
        }

        var body = ResponseBody.Content;
        var response = Http.Response;
        response.Headers.Remove("Transfer-Encoding");
        var status = response.StatusCode;
        if (status is 204 or 304 || HttpMethods.IsHead(Http.Request.Method))
        {
            response.ContentLength = status is 204 or 304 ? null : body.Length;
            return default;
        }

        response.ContentLength = body.Length;
        return body.Length > 0 ? response.Body.WriteAsync(body, Http.RequestAborted) : default;
    }

    /// <summary>Bytes of the request and response bodies (quota bandwidth).</summary>
    internal long TransferredBytes => (Http.Request.ContentLength ?? RequestBody?.Content.Length ?? 0)
        + (Http.Response.ContentLength ?? ResponseBody?.Content.Length ?? 0);

    /// <summary>The subscription key of this request (header first, then query), as the key check read it.</summary>
    internal string? SubscriptionKey()
    {
        var api = Gateway.Api;
        if (Http.Request.Headers.TryGetValue(api.KeyHeaderName, out var header))
        {
            return header.ToString();
        }

        return Http.Request.Query.TryGetValue(api.KeyQueryName, out var q) ? q.ToString() : null;
    }

    private IReadOnlyDictionary<string, string> BuildMatched()
    {
        var values = Http.Request.RouteValues;
        if (values.Count == 0)
        {
            return NoParameters;
        }

        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in values)
        {
            if (value is not null)
            {
                result[key] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
            }
        }

        return result;
    }

    internal static byte[] Utf8(string? text) => text is null ? [] : Encoding.UTF8.GetBytes(text);
}

/// <summary>Response headers waiting for the response to start, and the response they go on.</summary>
internal sealed class PendingHeaders(HttpContext http, List<KeyValuePair<string, string>> headers)
{
    public void Apply()
    {
        if (http.Response.HasStarted)
        {
            return;
        }

        foreach (var (name, value) in headers)
        {
            http.Response.Headers[name] = value;
        }
    }
}
