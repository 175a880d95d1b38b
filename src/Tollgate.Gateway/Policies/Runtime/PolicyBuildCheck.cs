using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Expressions;

namespace Tollgate.Gateway.Policies.Runtime;

/// <summary>
/// Builds one document as <see cref="PolicyRuntime.Build"/> does when a snapshot is applied (the same compiler, the
/// same <see cref="PolicyBuilder"/>), with stores that are never opened, and reports what fails.
/// </summary>
public sealed class PolicyBuildCheck(TimeProvider time) : IPolicyBuildCheck
{
    public IReadOnlyList<string> Check(PolicyDocument document, IReadOnlyDictionary<string, PolicyDocument> fragments, PolicyScopeLevel scope)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(fragments);
        var used = Included(document, fragments);
        CompiledPolicyExpressions expressions;
        try
        {
            expressions = PolicyExpressionCompiler.Default.Compile([document, .. used.Values]);
        }
        catch (PolicyExpressionCompilationException e)
        {
            return e.Errors.Select(x => x.ToString()).ToArray();
        }

        using (expressions)
        {
            try
            {
                var builder = new PolicyBuilder(expressions.Find, used, PolicyServices.ForChecking(time));
                var effective = EffectivePolicy.Merge(
                    scope == PolicyScopeLevel.Global ? document : null,
                    scope == PolicyScopeLevel.Product ? document : null,
                    scope == PolicyScopeLevel.Api ? document : null,
                    scope == PolicyScopeLevel.Operation ? document : null);
                builder.BuildPipeline(effective, new ScopeKeys("check", "check", "check", "check"));
                return [];
            }
            catch (Exception e) when (e is PolicyBuildException or FormatException or OverflowException or ArgumentException or InvalidOperationException)
            {
                return [e.Message];
            }
        }
    }

    /// <summary>The fragments <paramref name="document"/> includes, directly or through other fragments.</summary>
    private static Dictionary<string, PolicyDocument> Included(PolicyDocument document, IReadOnlyDictionary<string, PolicyDocument> fragments)
    {
        var result = new Dictionary<string, PolicyDocument>(StringComparer.OrdinalIgnoreCase);
        var pending = new Stack<PolicyElement>(document.Sections.SelectMany(s => s.Elements));
        while (pending.TryPop(out var el))
        {
            if (el.Name == "include-fragment" && el["fragment-id"] is { } id && fragments.TryGetValue(id, out var fragment) && result.TryAdd(id, fragment))
            {
                foreach (var inner in fragment.Sections.SelectMany(s => s.Elements))
                {
                    pending.Push(inner);
                }
            }

            foreach (var child in el.Children)
            {
                pending.Push(child);
            }
        }

        return result;
    }
}
