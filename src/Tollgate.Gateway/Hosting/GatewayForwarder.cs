using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Tollgate.Core.Gateway;
using Tollgate.Gateway.Configuration;
using Tollgate.Gateway.Subscriptions;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Tollgate.Gateway.Hosting;

/// <summary>
/// Sends a matched request to its backend with YARP's <see cref="IHttpForwarder"/>: the API's <c>serviceUrl</c>, or the
/// one <c>set-backend-service</c> chose for the request. The gateway matches operations itself
/// (<see cref="GatewayState.Match"/>), so YARP's route table, endpoint and proxy pipeline are not on the path; its
/// transforms are, built by YARP's <see cref="ITransformBuilder"/> from the same transform list a YARP route had
/// (API path prefix removed, key header removed, key query parameter removed, request id, X-Forwarded-*). A call that
/// presents a client certificate, or goes to a backend with its own TLS checks, uses that one's client
/// (<see cref="BackendClients"/>).
/// </summary>
public sealed class GatewayForwarder
{
    private readonly IHttpForwarder _forwarder;
    private readonly ITransformBuilder _transforms;
    private readonly HttpMessageInvoker _client;
    private readonly BackendClients _backendClients;
    private readonly ForwarderRequestConfig _requestConfig;

    /// <summary>
    /// Transformers by what they depend on (API path, key header, key query parameter, whether the API is served at a
    /// path of its own: a version segment or revision): shared by APIs and snapshots.
    /// </summary>
    private readonly ConcurrentDictionary<(string Path, string Header, string Query, bool OwnRoute), HttpTransformer> _transformers = new();

    public GatewayForwarder(IHttpForwarder forwarder, ITransformBuilder transforms, IForwarderHttpClientFactory clients, IOptions<GatewayOptions> options, BackendClients backendClients)
    {
        _forwarder = forwarder;
        _backendClients = backendClients;
        _transforms = transforms;
        _requestConfig = new ForwarderRequestConfig { ActivityTimeout = options.Value.BackendTimeout };
        // One connection pool for every backend (SocketsHttpHandler pools per host): YARP's defaults for a proxy
        // (no cookies, no redirects, no automatic decompression, no system proxy).
        _client = clients.CreateClient(new ForwarderHttpClientContext
        {
            ClusterId = "tollgate",
            OldConfig = HttpClientConfig.Empty,
            OldMetadata = null,
            OldClient = null,
            NewConfig = HttpClientConfig.Empty,
            NewMetadata = null,
        });
        Forward = ForwardAsync;
    }

    /// <summary><see cref="ForwardAsync"/> as one delegate instance (passed to the policy pipeline without allocating).</summary>
    public RequestDelegate Forward { get; }

    /// <summary>
    /// Forwards the request and copies the backend's response; a failure is left in <see cref="IForwarderErrorFeature"/>
    /// for the caller to answer (502, 504, or nothing when the client went away).
    /// </summary>
    public Task ForwardAsync(HttpContext context)
    {
        var request = context.Features.Get<GatewayRequest>() ?? throw new UnreachableException("The gateway forwards matched requests only.");
        var api = request.Api;
        var destination = HttpAddress(request.BackendUrl ?? api.ServiceUrl!);
        // A client certificate (authentication-certificate, a backend's credentials) or a backend's own server
        // certificate checks need a client of their own; every other call shares one connection pool.
        var client = request.ClientCertificate is null && request.Backend is null ? _client : _backendClients.For(request, _client);
        var vt = _forwarder.SendAsync(context, destination, client, _requestConfig, TransformerFor(request.Entry));
        return vt.IsCompletedSuccessfully ? Task.CompletedTask : vt.AsTask();
    }

    /// <summary>
    /// A WebSocket API's backend (ws:// or wss://) as the http:// or https:// address YARP sends the handshake to:
    /// YARP forwards the Upgrade request over HTTP/1.1 itself and relays the frames once the backend answers 101.
    /// </summary>
    internal static string HttpAddress(string url) =>
        url.Length < 5 || (url[0] | 0x20) != 'w' ? url
        : url.StartsWith("ws://", StringComparison.OrdinalIgnoreCase) ? "http://" + url[5..]
        : url.StartsWith("wss://", StringComparison.OrdinalIgnoreCase) ? "https://" + url[6..]
        : url;

    private HttpTransformer TransformerFor(OperationEntry entry)
    {
        var api = entry.Api;
        var key = (api.Path, api.KeyHeaderName, api.KeyQueryName, !string.Equals(entry.RoutePath, api.Path, StringComparison.Ordinal));
        return _transformers.TryGetValue(key, out var transformer) ? transformer : _transformers.GetOrAdd(key, Build);
    }

    private HttpTransformer Build((string Path, string Header, string Query, bool OwnRoute) key)
    {
        var transforms = new List<IReadOnlyDictionary<string, string>>
        {
            new Dictionary<string, string> { ["RequestHeaderRemove"] = key.Header },
        };
        var metadata = new Dictionary<string, string> { [SubscriptionKeyTransforms.QueryNameMetadata] = key.Query };
        if (key.OwnRoute)
        {
            // The path below the version segment or revision is forwarded (RoutePathTransforms).
            metadata[RoutePathTransforms.Metadata] = "true";
        }
        else if (key.Path.Length > 0)
        {
            transforms.Insert(0, new Dictionary<string, string> { ["PathRemovePrefix"] = "/" + key.Path });
        }

        return _transforms.Build(new RouteConfig
        {
            RouteId = "tollgate",
            ClusterId = "tollgate",
            Match = new RouteMatch { Path = "/{**rest}" },
            Transforms = transforms,
            // The key query parameter is removed by SubscriptionKeyTransforms, and only when present: YARP's
            // QueryRemoveParameter would parse and rebuild every query string.
            Metadata = metadata,
        }, cluster: null);
    }
}
