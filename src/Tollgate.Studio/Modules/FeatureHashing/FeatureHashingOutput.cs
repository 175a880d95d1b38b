using System.Globalization;

namespace Tollgate.Studio.Modules.FeatureHashing;

/// <summary>
/// Output schema of the Feature Hashing module (docs/studio-protocol.md §5.2): for each target column in order,
/// 2^bits <see cref="ColumnType"/> columns named <c>&lt;column&gt;_HashingFeature.&lt;i&gt;</c>, appended after all input columns.
/// </summary>
/// <remarks>
/// If a generated name already exists, the V1 rule uses <c>&lt;column&gt;_HashingFeature2.&lt;i&gt;</c>, then <c>…3.</c>,
/// and so on. [I] Choices the spec leaves open:
/// <list type="bullet">
/// <item>A set of names "already exists" when any existing column equals <c>prefix + i</c> for some i in
/// [0, 2^bits), compared ordinally (case-sensitive). The same number then applies to all 2^bits names of that
/// target column, so its block is never mixed.</item>
/// <item>When several columns are hashed, the names made for earlier target columns count as existing for the later ones.</item>
/// </list>
/// </remarks>
public static class FeatureHashingOutput
{
    /// <summary>The RRS <c>ColumnTypes</c> entry of every hashed column ([I] Int32 counts).</summary>
    public const string ColumnType = "Int32";

    /// <summary>The text between the source column name and the optional number / dot.</summary>
    public const string Infix = "_HashingFeature";

    /// <summary>
    /// The name prefix (ending in <c>.</c>) for the hashed columns of <paramref name="column"/>:
    /// <c>col_HashingFeature.</c>, or <c>col_HashingFeature2.</c>, <c>3.</c>, … if names would collide with
    /// <paramref name="existingColumnNames"/>.
    /// </summary>
    public static string GetColumnPrefix(string column, int hashingBitsize, IEnumerable<string>? existingColumnNames = null)
    {
        ArgumentNullException.ThrowIfNull(column);
        FeatureHasher.ValidateParameters(hashingBitsize, FeatureHasher.DefaultNGrams);
        if (existingColumnNames is null)
        {
            return column + Infix + ".";
        }

        var existing = existingColumnNames as IReadOnlyCollection<string> ?? existingColumnNames.ToList();
        long bucketCount = 1L << hashingBitsize;
        for (int k = 1; ; k++)
        {
            string prefix = k == 1 ? column + Infix + "." : column + Infix + k.ToString(CultureInfo.InvariantCulture) + ".";
            if (!existing.Any(name => CollidesWith(name, prefix, bucketCount)))
            {
                return prefix;
            }
        }
    }

    /// <summary>The name of bucket <paramref name="index"/> under <paramref name="prefix"/>.</summary>
    public static string GetColumnName(string prefix, int index) => prefix + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The 2^bits hashed column names of one target column, produced lazily (2^31 names at bitsize 31).
    /// </summary>
    public static IEnumerable<string> GetColumnNames(string column, int hashingBitsize, IEnumerable<string>? existingColumnNames = null)
    {
        string prefix = GetColumnPrefix(column, hashingBitsize, existingColumnNames);
        return Enumerate(prefix, 1L << hashingBitsize);

        static IEnumerable<string> Enumerate(string prefix, long count)
        {
            for (long i = 0; i < count; i++)
            {
                yield return GetColumnName(prefix, (int)i);
            }
        }
    }

    /// <summary>
    /// The full output column list: <paramref name="inputColumns"/> unchanged, then the hashed block of each
    /// target column in order. Materialises every name, so it is meant for moderate bitsizes.
    /// </summary>
    public static IReadOnlyList<string> GetOutputColumnNames(
        IReadOnlyList<string> inputColumns, IReadOnlyList<string> targetColumns, int hashingBitsize)
    {
        ArgumentNullException.ThrowIfNull(inputColumns);
        ArgumentNullException.ThrowIfNull(targetColumns);
        var all = new List<string>(inputColumns);
        foreach (string target in targetColumns)
        {
            all.AddRange(GetColumnNames(target, hashingBitsize, all).ToList());
        }

        return all;
    }

    private static bool CollidesWith(string name, string prefix, long bucketCount)
    {
        if (!name.StartsWith(prefix, StringComparison.Ordinal) || name.Length == prefix.Length)
        {
            return false;
        }

        ReadOnlySpan<char> suffix = name.AsSpan(prefix.Length);
        if (suffix.Length > 1 && suffix[0] == '0')
        {
            return false; // not a canonical index such as "07"
        }

        foreach (char c in suffix)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return long.TryParse(suffix, NumberStyles.None, CultureInfo.InvariantCulture, out long index) && index < bucketCount;
    }
}
