namespace Tollgate.Core.Policies.Definitions.Base;

/// <summary><c>base</c> has no settings.</summary>
public sealed record BaseConfig
{
    public static BaseConfig Instance { get; } = new();
}
