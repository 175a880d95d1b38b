using System.Globalization;
using System.Text.RegularExpressions;
using Tollgate.Portal.Management;

namespace Tollgate.Portal.Components.Admin.Policies;

/// <summary>A problem the management API found in a policy document, at its line and column (0 when it names none).</summary>
public sealed record PolicyProblem(int Line, int Column, string Message);

/// <summary>Reads the line and column out of the management API's policy messages (<c>Line 3, column 7 (policies/inbound): …</c>).</summary>
public static partial class PolicyErrors
{
    public static IReadOnlyList<PolicyProblem> Of(ManagementError? error, string field = "value")
    {
        if (error is null)
        {
            return [];
        }

        return error.For(field).Select(message =>
        {
            var match = LineColumn().Match(message);
            return match.Success
                ? new PolicyProblem(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture), message)
                : new PolicyProblem(0, 0, message);
        }).ToList();
    }

    [GeneratedRegex(@"\bLine (\d+), column (\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex LineColumn();
}
