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
/// <c>&lt;base /&gt;</c>. The global scope's <c>&lt;base /&gt;</c> stands for nothing.
/// </remarks>
public sealed class EffectivePolicy
{
    private readonly IReadOnlyDictionary<string, IReadOnlyList<EffectivePolicyElement>> _sections;

    private EffectivePolicy(IReadOnlyDictionary<string, IReadOnlyList<EffectivePolicyElement>> sections) => _sections = sections;

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
        foreach (var name in PolicyDocument.SectionNames)
        {
            IReadOnlyList<EffectivePolicyElement> inherited = [];
            foreach (var (document, level) in scopes)
            {
                var section = document?.GetSection(name);
                if (section is null)
                {
                    continue;
                }

                var merged = new List<EffectivePolicyElement>();
                foreach (var element in section.Elements)
                {
                    if (element.Name == "base")
                    {
                        merged.AddRange(inherited);
                    }
                    else
                    {
                        merged.Add(new EffectivePolicyElement(element, level));
                    }
                }

                inherited = merged;
            }

            sections[name] = inherited;
        }

        return new EffectivePolicy(sections);
    }
}
