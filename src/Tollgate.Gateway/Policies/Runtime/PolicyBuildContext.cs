using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Definitions;

namespace Tollgate.Gateway.Policies.Runtime;

/// <summary>
/// What a handler factory builds one policy with: where the policy sits, the services of the snapshot, the compiled
/// expressions of its settings, and the policies nested in it. One per element built, at snapshot build time.
/// </summary>
internal sealed class PolicyBuildContext
{
    private readonly PolicyBuilder _builder;
    private readonly PolicyScopeLevel _scope;

    internal PolicyBuildContext(PolicyBuilder builder, PolicyLocation location, PolicyScopeLevel scope, string scopeKey, MessageTarget target)
    {
        _builder = builder;
        _scope = scope;
        Location = location;
        ScopeKey = scopeKey;
        Target = target;
    }

    /// <summary>Where the policy sits (its handler's <see cref="PolicyHandler.Location"/>).</summary>
    public PolicyLocation Location { get; }

    /// <summary>The counter key prefix of the policy's scope in this instance (rate-limit and quota count per scope).</summary>
    public string ScopeKey { get; }

    /// <summary>inbound, backend, outbound or on-error.</summary>
    public string Section => Location.Section;

    /// <summary>The message the policy changes: the request in inbound and backend, else the response.</summary>
    public MessageTarget Target { get; }

    /// <summary>The stores, clients and counters of the gateway.</summary>
    public PolicyServices Services => _builder.Services;

    /// <summary>A setting as the handler reads it per request: the literal, or its compiled expression.</summary>
    public PolicyValue Value(PolicySetting setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        return PolicyValue.Of(setting.Text, setting.IsExpression ? _builder.Find(setting.Source!) : null);
    }

    /// <summary><see cref="Value"/>, or null for a setting the element leaves out.</summary>
    public PolicyValue? Optional(PolicySetting? setting) => setting is null ? null : Value(setting);

    /// <summary>Several settings (the <c>value</c> children of set-header).</summary>
    public PolicyValue[] Values(IReadOnlyList<PolicySetting> settings)
    {
        var result = new PolicyValue[settings.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = Value(settings[i]);
        }

        return result;
    }

    /// <summary>
    /// The handlers of policies nested in this one (choose's branches, retry, wait, limit-concurrency, return-response),
    /// at <paramref name="path"/> (the policy's own by default), changing <paramref name="target"/> (the policy's by default).
    /// </summary>
    public PolicyHandler[] Policies(IReadOnlyList<PolicyElement> elements, string? path = null, MessageTarget? target = null) =>
        _builder.BuildList(elements, _scope, ScopeKey, Section, path ?? Location.Path, target ?? Target);

    /// <summary>A build failure at the policy's section and path: the snapshot does not use the pipeline, and management refuses the document.</summary>
    public PolicyBuildException Error(string message, Exception? inner = null) => new($"{Location.Section}/{Location.Path}: {message}", inner);
}
