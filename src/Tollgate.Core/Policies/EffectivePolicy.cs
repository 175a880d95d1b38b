namespace Tollgate.Core.Policies;

/// <summary>The scopes a policy document can be attached to, from the broadest to the narrowest.</summary>
public enum PolicyScopeLevel
{
    Global,
    Product,
    Api,
    Operation,
}

/// <summary>One policy of an effective policy, with the scope its document was attached to (<c>context.LastError.Scope</c>).</summary>
public sealed record EffectivePolicyElement(PolicyElement Element, PolicyScopeLevel Scope);

/// <summary>
/// The one policy that runs for an operation: the documents of the global, product, API and operation scopes merged
/// through <c>&lt;base /&gt;</c>, as APIM does. Built once per snapshot, never per request.
/// </summary>
/// <remarks>
/// Merging starts at the narrowest scope: each top-level <c>&lt;base /&gt;</c> of a section is replaced by the parent
/// scope's effective section, so a section without <c>&lt;base /&gt;</c> drops its parents' policies. A scope
/// without a document, or a document without a section, inherits its parent's section unchanged, as if it held only
/// <c>&lt;base /&gt;</c>. The global scope's <c>&lt;base /&gt;</c> stands for nothing, except in the backend section:
/// there the scopes start from APIM's default global policy, <c>&lt;backend&gt;&lt;forward-request /&gt;&lt;/backend&gt;</c>,
/// so a global <c>&lt;base /&gt;</c>, or no global document or backend section, is that forward-request
/// (<see cref="DefaultForwardAt"/>), while a backend section without <c>&lt;base /&gt;</c> replaces it: an empty one (or one
/// holding only a comment) forwards nothing, as APIM's "do not forward requests to backend" example.
/// </remarks>
public sealed class EffectivePolicy
{
    private readonly IReadOnlyDictionary<string, IReadOnlyList<EffectivePolicyElement>> _sections;

    private EffectivePolicy(IReadOnlyDictionary<string, IReadOnlyList<EffectivePolicyElement>> sections, int? defaultForwardAt)
    {
        _sections = sections;
        DefaultForwardAt = defaultForwardAt;
    }

    /// <summary>
    /// Where APIM's default <c>forward-request</c> runs in <see cref="Backend"/>: before the element at this index (the
    /// section's count: after the last), or null when the scopes' backend sections replaced it (no <c>&lt;base /&gt;</c>
    /// leads to it) and the request is forwarded only by a <c>forward-request</c> they hold.
    /// </summary>
    public int? DefaultForwardAt { get; }

    /// <summary>An operation with no policy anywhere.</summary>
    public static EffectivePolicy Empty { get; } = Merge(null, null, null, null);

    public IReadOnlyList<EffectivePolicyElement> Inbound => Section("inbound");

    public IReadOnlyList<EffectivePolicyElement> Backend => Section("backend");

    public IReadOnlyList<EffectivePolicyElement> Outbound => Section("outbound");

    public IReadOnlyList<EffectivePolicyElement> OnError => Section("on-error");

    public IReadOnlyList<EffectivePolicyElement> Section(string name) => _sections.TryGetValue(name, out var s) ? s : [];

    /// <summary>Merges the documents of the four scopes (any of them may be missing).</summary>
    public static EffectivePolicy Merge(PolicyDocument? global, PolicyDocument? product, PolicyDocument? api, PolicyDocument? operation)
    {
        var scopes = new (PolicyDocument? Document, PolicyScopeLevel Level)[]
        {
            (global, PolicyScopeLevel.Global), (product, PolicyScopeLevel.Product), (api, PolicyScopeLevel.Api), (operation, PolicyScopeLevel.Operation),
        };
        var sections = new Dictionary<string, IReadOnlyList<EffectivePolicyElement>>();
        int? defaultForwardAt = null;
        foreach (var name in PolicyDocument.SectionNames)
        {
            IReadOnlyList<EffectivePolicyElement> inherited = [];

            // The backend starts as APIM's default global backend section: one forward-request.
            int? inheritedForward = name == "backend" ? 0 : null;
            foreach (var (document, level) in scopes)
            {
                var section = document?.GetSection(name);
                if (section is null)
                {
                    continue;
                }

                var merged = new List<EffectivePolicyElement>();
                int? forward = null;
                foreach (var element in section.Elements)
                {
                    if (element.Name == "base")
                    {
                        // A second <base /> does not forward a second time.
                        forward ??= merged.Count + inheritedForward;
                        merged.AddRange(inherited);
                    }
                    else
                    {
                        merged.Add(new EffectivePolicyElement(element, level));
                    }
                }

                inherited = merged;
                inheritedForward = forward;
            }

            sections[name] = inherited;
            if (name == "backend")
            {
                defaultForwardAt = inheritedForward;
            }
        }

        return new EffectivePolicy(sections, defaultForwardAt);
    }
}
