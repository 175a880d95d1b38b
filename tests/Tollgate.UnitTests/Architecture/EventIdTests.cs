using System.Reflection;
using Microsoft.Extensions.Logging;
using Tollgate.ServiceDefaults;

namespace Tollgate.UnitTests.Architecture;

/// <summary>
/// Operators filter and alert on log event ids: every event Tollgate logs takes its id from <see cref="EventIds"/>,
/// and no two different events share one.
/// </summary>
public sealed class EventIdTests
{
    private static readonly Assembly[] Assemblies =
    [
        typeof(Tollgate.Gateway.Hosting.GatewayMiddleware).Assembly,
        typeof(Tollgate.Management.Services.SnapshotPublisher).Assembly,
        typeof(Tollgate.Studio.Api.StudioApi).Assembly,
        typeof(Tollgate.Core.Gateway.GatewaySnapshot).Assembly,
        typeof(EventIds).Assembly,
    ];

    private static readonly Dictionary<int, string> Declared = typeof(EventIds)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral)
        .ToDictionary(f => (int)f.GetRawConstantValue()!, f => f.Name);

    private static IEnumerable<(MethodInfo Method, LoggerMessageAttribute Attribute)> LogMethods() =>
        from assembly in Assemblies
        from type in assembly.GetTypes()
        from method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
        let attribute = method.GetCustomAttribute<LoggerMessageAttribute>()
        where attribute is not null
        select (method, attribute);

    [Fact]
    public void EventIds_AreDistinct()
    {
        var values = typeof(EventIds).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral)
            .Select(f => (int)f.GetRawConstantValue()!).ToList();
        Assert.Equal(values.Count, values.Distinct().Count());
    }

    [Fact]
    public void EveryLogEvent_UsesADeclaredId()
    {
        var methods = LogMethods().ToList();
        Assert.NotEmpty(methods);
        var undeclared = methods.Where(m => !Declared.ContainsKey(m.Attribute.EventId))
            .Select(m => $"{m.Method.DeclaringType!.FullName}.{m.Method.Name} uses {m.Attribute.EventId}").ToList();
        Assert.Empty(undeclared);
    }

    [Fact]
    public void OneId_MeansOneMessage()
    {
        // The same event may be logged from two places (a backend failure inside and outside a policy), but then it
        // reads the same; two different messages under one id are two events sharing an id.
        var clashes = LogMethods()
            .GroupBy(m => m.Attribute.EventId)
            .Where(g => g.Select(m => m.Attribute.Message).Distinct().Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(" | ", g.Select(m => m.Attribute.Message).Distinct())}")
            .ToList();
        Assert.Empty(clashes);
    }
}
