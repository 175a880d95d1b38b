using System.Collections.Frozen;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Tollgate.Core.Policies.Definitions.Cors;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.Cors;

/// <summary>
/// <c>cors</c>: answers preflight requests (<see cref="AnswerPreflight"/>, run by the gateway before the key check for an
/// OPTIONS request carrying <c>Origin</c> and <c>Access-Control-Request-Method</c>, even when the API has no OPTIONS
/// operation) and adds <c>Access-Control-Allow-Origin</c> (and credentials, exposed headers) to the responses of
/// cross-origin calls. An unmatched GET or HEAD call gets an empty 200 when <c>terminate-unmatched-request</c> holds
/// (the default), as APIM.
/// </summary>
internal sealed class CorsHandler : PolicyHandler
{
    private static readonly object AppliedKey = new();

    private readonly FrozenSet<string>? _origins;
    private readonly FrozenSet<string>? _methods;
    private readonly FrozenSet<string>? _headers;
    private readonly string _allowMethods;
    private readonly string? _exposeHeaders;
    private readonly string? _maxAge;
    private readonly PolicyValue _allowCredentials;
    private readonly PolicyValue _terminateUnmatched;

    public CorsHandler(PolicyLocation location, CorsConfig config, PolicyValue allowCredentials, PolicyValue terminateUnmatched)
        : base(location)
    {
        _allowCredentials = allowCredentials;
        _terminateUnmatched = terminateUnmatched;
        var origins = config.AllowedOrigins.Select(o => o.TrimEnd('/')).ToList();
        _origins = origins.Contains("*") ? null : origins.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        var methods = config.AllowedMethods.Select(m => m.ToUpperInvariant()).ToList();
        _methods = methods.Contains("*") ? null : methods.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        _allowMethods = string.Join(",", methods);
        var headers = config.AllowedHeaders;
        _headers = headers.Contains("*") ? null : headers.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        _exposeHeaders = config.ExposeHeaders.Count == 0 ? null : string.Join(",", config.ExposeHeaders);
        _maxAge = config.PreflightResultMaxAge;
    }

    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var http = context.Http;
        if (!http.Request.Headers.TryGetValue(HeaderNames.Origin, out var origin) || http.Items.ContainsKey(AppliedKey))
        {
            return Continue;
        }

        if (IsPreflight(http.Request))
        {
            // Reached only when an OPTIONS operation was matched and forwarded: the cors policy still answers it.
            return ValueTask.FromResult(AnswerPreflight(context) ? PolicyStep.Return : PolicyStep.Continue);
        }

        if (OriginAllowed(origin.ToString()))
        {
            http.Items[AppliedKey] = true;
            var credentials = _allowCredentials.GetBoolean(context, false);
            context.AddResponseHeaderLater(HeaderNames.AccessControlAllowOrigin, _origins is null && !credentials ? "*" : origin.ToString());
            if (credentials)
            {
                context.AddResponseHeaderLater(HeaderNames.AccessControlAllowCredentials, "true");
            }

            if (_exposeHeaders is not null)
            {
                context.AddResponseHeaderLater(HeaderNames.AccessControlExposeHeaders, _exposeHeaders);
            }

            if (_origins is not null)
            {
                context.AddResponseHeaderLater(HeaderNames.Vary, HeaderNames.Origin);
            }

            return Continue;
        }

        if ((HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)) && _terminateUnmatched.GetBoolean(context, true))
        {
            context.StartResponse(200);
            return ValueTask.FromResult(PolicyStep.Return);
        }

        return Continue;
    }

    /// <summary>
    /// Answers a preflight request when its origin, method and headers are allowed (true), or ends it with an empty
    /// 200 when they are not and <c>terminate-unmatched-request</c> holds (true); false lets the next cors policy try.
    /// </summary>
    public bool AnswerPreflight(PolicyContext context)
    {
        var request = context.Http.Request;
        var origin = request.Headers.Origin.ToString();
        var method = request.Headers.AccessControlRequestMethod.ToString().Trim();
        var requested = request.Headers.AccessControlRequestHeaders.ToString()
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var matched = OriginAllowed(origin) && (_methods is null || _methods.Contains(method)) && (_headers is null || requested.All(_headers.Contains));
        if (!matched)
        {
            if (!_terminateUnmatched.GetBoolean(context, true))
            {
                return false;
            }

            context.StartResponse(200);
            return true;
        }

        context.StartResponse(200);
        var headers = context.Http.Response.Headers;
        var credentials = _allowCredentials.GetBoolean(context, false);
        headers.AccessControlAllowOrigin = _origins is null && !credentials ? "*" : origin;
        if (_origins is not null)
        {
            headers.Vary = HeaderNames.Origin;
        }

        if (credentials)
        {
            headers.AccessControlAllowCredentials = "true";
        }

        headers.AccessControlAllowMethods = _methods is null ? method : _allowMethods;
        if (requested.Length > 0)
        {
            headers.AccessControlAllowHeaders = string.Join(",", requested);
        }

        if (_maxAge is not null)
        {
            headers.AccessControlMaxAge = _maxAge;
        }

        return true;
    }

    /// <summary>An OPTIONS request with <c>Origin</c> and <c>Access-Control-Request-Method</c>: a CORS preflight.</summary>
    public static bool IsPreflight(HttpRequest request) =>
        HttpMethods.IsOptions(request.Method)
        && request.Headers.ContainsKey(HeaderNames.Origin)
        && request.Headers.ContainsKey(HeaderNames.AccessControlRequestMethod);

    private bool OriginAllowed(string origin) => _origins is null || _origins.Contains(origin.TrimEnd('/'));

}
