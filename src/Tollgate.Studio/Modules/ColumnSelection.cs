using System.Globalization;
using Tollgate.Studio.Data;

namespace Tollgate.Studio.Modules;

/// <summary>What a <see cref="ColumnSelectionRule"/> matches.</summary>
public enum ColumnRuleKind
{
    /// <summary>Every column of the dataset.</summary>
    AllColumns,

    /// <summary>The listed column names (ordinal, case-sensitive), in the listed order.</summary>
    Names,

    /// <summary>Every column of one of the listed <see cref="ColumnType"/>s, in dataset order.</summary>
    Types,

    /// <summary>The listed 1-based index ranges (<c>"1-3,5"</c>), in the listed order.</summary>
    IndexRanges,
}

/// <summary>One include or exclude rule of Studio's column picker.</summary>
public sealed record ColumnSelectionRule
{
    private ColumnSelectionRule(bool exclude, ColumnRuleKind kind, IReadOnlyList<string> names, IReadOnlyList<ColumnType> types,
        IReadOnlyList<(int First, int Last)> ranges)
    {
        Exclude = exclude;
        Kind = kind;
        Names = names;
        Types = types;
        Ranges = ranges;
    }

    /// <summary>True to remove the matched columns, false to add them.</summary>
    public bool Exclude { get; }

    /// <summary>What the rule matches.</summary>
    public ColumnRuleKind Kind { get; }

    /// <summary>The names of a <see cref="ColumnRuleKind.Names"/> rule.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The types of a <see cref="ColumnRuleKind.Types"/> rule.</summary>
    public IReadOnlyList<ColumnType> Types { get; }

    /// <summary>The inclusive 1-based ranges of an <see cref="ColumnRuleKind.IndexRanges"/> rule.</summary>
    public IReadOnlyList<(int First, int Last)> Ranges { get; }

    /// <summary>A rule matching every column.</summary>
    public static ColumnSelectionRule All(bool exclude = false) => new(exclude, ColumnRuleKind.AllColumns, [], [], []);

    /// <summary>A rule matching the named columns.</summary>
    /// <exception cref="ArgumentException">The list is empty or a name is null or empty.</exception>
    public static ColumnSelectionRule ByName(IEnumerable<string> names, bool exclude = false)
    {
        ArgumentNullException.ThrowIfNull(names);
        var list = names.ToArray();
        if (list.Length == 0 || list.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("A column name rule needs at least one non-empty name.", nameof(names));
        }

        return new(exclude, ColumnRuleKind.Names, list, [], []);
    }

    /// <summary>A rule matching the columns of the given types.</summary>
    public static ColumnSelectionRule ByType(IEnumerable<ColumnType> types, bool exclude = false)
    {
        ArgumentNullException.ThrowIfNull(types);
        return new(exclude, ColumnRuleKind.Types, [], types.Distinct().ToArray(), []);
    }

    /// <summary>A rule matching 1-based index ranges written as Studio does, e.g. <c>"1-3,5"</c>.</summary>
    /// <exception cref="StudioModuleException">Error 0002 when the text is not a valid range list.</exception>
    public static ColumnSelectionRule ByIndexRanges(string ranges, bool exclude = false) =>
        new(exclude, ColumnRuleKind.IndexRanges, [], [], ParseRanges(ranges));

    /// <summary>Parses <c>"1-3,5"</c> into inclusive 1-based ranges. Spaces around items are allowed.</summary>
    /// <exception cref="StudioModuleException">Error 0002 when the text is not a valid range list.</exception>
    public static IReadOnlyList<(int First, int Last)> ParseRanges(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new StudioModuleException(ModuleErrors.ParameterParse("Column indices", text, "a list of 1-based column index ranges"));
        }

        var result = new List<(int, int)>();
        foreach (var rawItem in text.Split(','))
        {
            var item = rawItem.Trim();
            var dash = item.IndexOf('-', StringComparison.Ordinal);
            var firstText = dash < 0 ? item : item[..dash].Trim();
            var lastText = dash < 0 ? item : item[(dash + 1)..].Trim();
            if (!int.TryParse(firstText, NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                || !int.TryParse(lastText, NumberStyles.None, CultureInfo.InvariantCulture, out var last)
                || first < 1 || last < first)
            {
                throw new StudioModuleException(ModuleErrors.ParameterParse("Column indices", text, "a list of 1-based column index ranges"));
            }

            result.Add((first, last));
        }

        return result;
    }
}

/// <summary>
/// A column selection as made with Studio's column picker: either a plain list of names, or rules applied in order
/// (typically "All columns" or "No columns", then include / exclude rules by name, type or index range).
/// </summary>
/// <remarks>
/// Resolution starts from no columns and applies each rule in turn. An include rule appends the columns it matches that
/// are not selected yet (names and index ranges in the listed order, types and "All columns" in dataset order); an
/// exclude rule removes the columns it matches. [I] The result keeps that insertion order, so a name list can reorder
/// columns, and "All columns" minus exclusions keeps dataset order. A name or index that does not exist, in an include
/// or an exclude rule, gives Error 0001; a type rule that matches nothing is not an error.
/// </remarks>
public sealed class ColumnSelection
{
    /// <summary>Creates a selection from rules applied in order.</summary>
    public ColumnSelection(IEnumerable<ColumnSelectionRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        Rules = rules.ToArray();
        if (Rules.Any(r => r is null))
        {
            throw new ArgumentException("A rule is null.", nameof(rules));
        }
    }

    /// <summary>The rules, in order.</summary>
    public IReadOnlyList<ColumnSelectionRule> Rules { get; }

    /// <summary>The named columns, in the given order.</summary>
    public static ColumnSelection ByName(params string[] names) => new([ColumnSelectionRule.ByName(names)]);

    /// <summary>Every column of one of the given types, in dataset order (e.g. all String columns).</summary>
    public static ColumnSelection ByType(params ColumnType[] types) => new([ColumnSelectionRule.ByType(types)]);

    /// <summary>The columns at 1-based index ranges such as <c>"1-3,5"</c>.</summary>
    public static ColumnSelection ByIndexRanges(string ranges) => new([ColumnSelectionRule.ByIndexRanges(ranges)]);

    /// <summary>Every column (add exclusions with <see cref="Excluding(ColumnSelectionRule)"/>).</summary>
    public static ColumnSelection AllColumns() => new([ColumnSelectionRule.All()]);

    /// <summary>This selection followed by <paramref name="rule"/>.</summary>
    public ColumnSelection Then(ColumnSelectionRule rule) => new(Rules.Append(rule ?? throw new ArgumentNullException(nameof(rule))));

    /// <summary>This selection minus the columns that <paramref name="rule"/> matches (its own exclude flag is ignored).</summary>
    public ColumnSelection Excluding(ColumnSelectionRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var excluded = rule.Kind switch
        {
            ColumnRuleKind.AllColumns => ColumnSelectionRule.All(exclude: true),
            ColumnRuleKind.Names => ColumnSelectionRule.ByName(rule.Names, exclude: true),
            ColumnRuleKind.Types => ColumnSelectionRule.ByType(rule.Types, exclude: true),
            _ => ColumnSelectionRule.ByIndexRanges(string.Join(",", rule.Ranges.Select(r => $"{r.First}-{r.Last}")), exclude: true),
        };
        return Then(excluded);
    }

    /// <summary>This selection minus the named columns.</summary>
    public ColumnSelection ExcludingNames(params string[] names) => Then(ColumnSelectionRule.ByName(names, exclude: true));

    /// <summary>This selection minus the columns of the given types.</summary>
    public ColumnSelection ExcludingTypes(params ColumnType[] types) => Then(ColumnSelectionRule.ByType(types, exclude: true));

    /// <summary>Resolves the selection against <paramref name="schema"/> into 0-based column indices, in output order.</summary>
    /// <param name="schema">The input dataset's schema.</param>
    /// <param name="parameterName">The Studio parameter name to attach to errors.</param>
    /// <exception cref="StudioModuleException">Error 0001 naming every column name or 1-based index that does not exist.</exception>
    public IReadOnlyList<int> Resolve(DataSchema schema, string? parameterName = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var selected = new List<int>();
        var isSelected = new bool[schema.Count];
        var missing = new List<string>();

        void Include(int index)
        {
            if (!isSelected[index])
            {
                isSelected[index] = true;
                selected.Add(index);
            }
        }

        void Apply(bool exclude, int index)
        {
            if (exclude)
            {
                if (isSelected[index])
                {
                    isSelected[index] = false;
                    selected.Remove(index);
                }
            }
            else
            {
                Include(index);
            }
        }

        foreach (var rule in Rules)
        {
            switch (rule.Kind)
            {
                case ColumnRuleKind.AllColumns:
                    for (var i = 0; i < schema.Count; i++)
                    {
                        Apply(rule.Exclude, i);
                    }

                    break;
                case ColumnRuleKind.Types:
                    for (var i = 0; i < schema.Count; i++)
                    {
                        if (rule.Types.Contains(schema[i].Type))
                        {
                            Apply(rule.Exclude, i);
                        }
                    }

                    break;
                case ColumnRuleKind.Names:
                    foreach (var name in rule.Names)
                    {
                        var index = schema.IndexOf(name);
                        if (index < 0)
                        {
                            missing.Add(name);
                        }
                        else
                        {
                            Apply(rule.Exclude, index);
                        }
                    }

                    break;
                case ColumnRuleKind.IndexRanges:
                    foreach (var (first, last) in rule.Ranges)
                    {
                        for (long oneBased = first; oneBased <= last; oneBased++)
                        {
                            if (oneBased > schema.Count)
                            {
                                missing.Add(oneBased.ToString(CultureInfo.InvariantCulture));
                                break;
                            }

                            Apply(rule.Exclude, (int)oneBased - 1);
                        }
                    }

                    break;
            }
        }

        if (missing.Count > 0)
        {
            throw new StudioModuleException(ModuleErrors.ColumnNotFound(missing.Distinct(StringComparer.Ordinal), parameterName));
        }

        return selected.ToArray();
    }

    /// <inheritdoc />
    public override string ToString() => string.Join("; ", Rules.Select(r => (r.Exclude ? "exclude " : "include ") + r.Kind switch
    {
        ColumnRuleKind.AllColumns => "all columns",
        ColumnRuleKind.Names => "names " + string.Join(",", r.Names),
        ColumnRuleKind.Types => "types " + string.Join(",", r.Types),
        _ => "indices " + string.Join(",", r.Ranges.Select(x => x.First == x.Last ? $"{x.First}" : $"{x.First}-{x.Last}")),
    }));
}
