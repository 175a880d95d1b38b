using System.Xml.Linq;

namespace Tollgate.UnitTests.Architecture;

/// <summary>
/// The architecture's dependency rules, read from the project files under <c>src/</c> (direct and transitive
/// project references, and the package references of every project reached): Core depends on nothing of ours but the
/// small shared libraries; the gateway never reaches the management plane or a database driver; Studio knows nothing
/// of API management; management does not reach the gateway; the portal is an HTTP client of the management API only
/// (no project of ours but the shared libraries, no database driver).
/// </summary>
public sealed class ProjectReferenceTests
{
    private static readonly string[] SharedLibraries = ["Tollgate.Security", "Tollgate.ServiceDefaults", "Tollgate.Routing"];
    private static readonly string[] ApiManagement = ["Tollgate.Core", "Tollgate.Gateway", "Tollgate.Management"];
    private static readonly string[] DatabasePackages = ["Microsoft.Data.Sqlite", "Microsoft.Data.Sqlite.Core", "Npgsql"];

    private static readonly Lazy<Dictionary<string, Project>> Projects = new(Load);

    private sealed record Project(string Name, string[] ProjectReferences, string[] PackageReferences);

    private static Dictionary<string, Project> Load()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Tollgate.slnx")))
        {
            directory = directory.Parent;
        }

        Assert.True(directory is not null, "the repository root (Tollgate.slnx) was not found above " + AppContext.BaseDirectory);
        var projects = new Dictionary<string, Project>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(directory.FullName, "src"), "*.csproj", SearchOption.AllDirectories))
        {
            var xml = XDocument.Load(file);
            string[] Includes(string element) => xml.Descendants(element)
                .Select(e => (string?)e.Attribute("Include"))
                .OfType<string>()
                .ToArray();
            var name = Path.GetFileNameWithoutExtension(file);
            projects[name] = new Project(
                name,
                Includes("ProjectReference").Select(p => Path.GetFileNameWithoutExtension(p.Replace('\\', '/'))).ToArray(),
                Includes("PackageReference"));
        }

        return projects;
    }

    /// <summary>Every project of ours that <paramref name="name"/> reaches through project references.</summary>
    private static HashSet<string> Closure(string name)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(Projects.Value[name].ProjectReferences);
        while (pending.TryPop(out var next))
        {
            if (seen.Add(next) && Projects.Value.TryGetValue(next, out var project))
            {
                foreach (var reference in project.ProjectReferences)
                {
                    pending.Push(reference);
                }
            }
        }

        return seen;
    }

    private static HashSet<string> Packages(string name) =>
        Closure(name).Append(name).Where(Projects.Value.ContainsKey).SelectMany(p => Projects.Value[p].PackageReferences).ToHashSet(StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void TheProjectsTheRulesNameExist()
    {
        foreach (var name in ApiManagement.Concat(SharedLibraries).Append("Tollgate.Studio").Append("Tollgate.Portal").Append("Tollgate"))
        {
            Assert.True(Projects.Value.ContainsKey(name), $"src/ has no {name}.csproj");
        }
    }

    [Fact]
    public void Core_DependsOnNothingOfOurs_ButTheSharedLibraries()
    {
        Assert.Empty(Closure("Tollgate.Core").Except(SharedLibraries));
    }

    [Fact]
    public void SharedLibraries_DependOnNoOtherProjectOfOurs()
    {
        foreach (var library in SharedLibraries)
        {
            Assert.Empty(Closure(library).Except(SharedLibraries));
        }
    }

    [Fact]
    public void Gateway_ReachesNeitherManagement_NorADatabaseDriver()
    {
        Assert.DoesNotContain("Tollgate.Management", Closure("Tollgate.Gateway"));
        Assert.Empty(Packages("Tollgate.Gateway").Intersect(DatabasePackages, StringComparer.OrdinalIgnoreCase));
    }

    [Fact]
    public void Studio_KnowsNothingOfApiManagement()
    {
        Assert.Empty(Closure("Tollgate.Studio").Intersect(ApiManagement));
    }

    [Fact]
    public void Management_DoesNotReachTheGateway()
    {
        Assert.DoesNotContain("Tollgate.Gateway", Closure("Tollgate.Management"));
    }

    [Fact]
    public void Portal_ReachesNoStoreNorApiManagementProject_OnlyTheSharedLibraries()
    {
        Assert.Empty(Closure("Tollgate.Portal").Except(SharedLibraries));
        Assert.Empty(Closure("Tollgate.Portal").Intersect(ApiManagement.Append("Tollgate.Studio")));
        Assert.Empty(Packages("Tollgate.Portal").Intersect(DatabasePackages, StringComparer.OrdinalIgnoreCase));
    }

    [Fact]
    public void Studio_DoesNotPullInRoslyn()
    {
        // What the Core reference used to drag into Studio: the policy expression compiler.
        Assert.DoesNotContain("Microsoft.CodeAnalysis.CSharp", Packages("Tollgate.Studio"));
    }
}
