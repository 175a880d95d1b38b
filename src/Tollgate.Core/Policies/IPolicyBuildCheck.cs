namespace Tollgate.Core.Policies;

/// <summary>
/// The gateway's own build of a policy document (expressions compiled and loaded, every handler built), run by
/// management before it saves a document so that nothing is stored that a gateway could not apply. Implemented by the
/// gateway; management depends only on this.
/// </summary>
public interface IPolicyBuildCheck
{
    /// <summary>
    /// Why <paramref name="document"/> (valid, its expressions compiling) cannot be built at <paramref name="scope"/>
    /// with the fragments it includes; empty when it can.
    /// </summary>
    IReadOnlyList<string> Check(PolicyDocument document, IReadOnlyDictionary<string, PolicyDocument> fragments, PolicyScopeLevel scope);
}
