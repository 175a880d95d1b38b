using Tollgate.Studio.Data;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.Tables;
using static Tollgate.UnitTests.Studio.Tables.TableTestData;

namespace Tollgate.UnitTests.Studio.Tables;

public class DataModuleTests
{
    private static readonly (string, ColumnType)[] People = [("Id", ColumnType.Int32), ("Age", ColumnType.Double), ("City", ColumnType.String), ("Score", ColumnType.Int32)];

    private static DataTable PeopleTable() => Table(People,
        [1, 30.0, "Oslo", 7],
        [2, null, "Rome", null],
        [3, 50.0, null, 9],
        [4, 41.0, "Rome", 9],
        [5, null, "Rome", 4]);

    [Fact]
    public void CleanMissingData_Mean_Median_Mode_ReplaceFromTheColumnsOwnValues()
    {
        var module = new CleanMissingDataModule();
        var table = PeopleTable();

        var (mean, transformation) = module.Clean(table, Bind(module, ("Columns to be cleaned", "Age,Score"), ("Cleaning mode", "Replace with mean")));
        var ageMean = new[] { 30.0, 50.0, 41.0 }.Average();
        Assert.Equal([30.0, ageMean, 50.0, 41.0, ageMean], Column(mean, "Age"));
        var scoreMean = (int)Math.Round(new[] { 7.0, 9, 9, 4 }.Average(), MidpointRounding.AwayFromZero);
        Assert.Equal([7, scoreMean, 9, 9, 4], Column(mean, "Score"));
        Assert.Equal(ageMean, transformation.ReplacementFor("Age"));

        var (median, _) = module.Clean(table, Bind(module, ("Columns to be cleaned", "Age,Score"), ("Cleaning mode", "Replace with median")));
        Assert.Equal(41.0, median["Age"].GetValue(1));
        Assert.Equal(8, median["Score"].GetValue(1)); // (7 + 9) / 2 of 4, 7, 9, 9

        var (mode, _) = module.Clean(table, Bind(module, ("Columns to be cleaned", "City,Score"), ("Cleaning mode", "Replace with mode")));
        Assert.Equal(["Oslo", "Rome", "Rome", "Rome", "Rome"], Column(mode, "City"));
        Assert.Equal(9, mode["Score"].GetValue(1));
    }

    [Fact]
    public void CleanMissingData_CustomValue_Indicators_AndTransformationAppliesToNewData()
    {
        var module = new CleanMissingDataModule();
        var (cleaned, transformation) = module.Clean(PeopleTable(), Bind(module,
            ("Columns to be cleaned", "Age"), ("Replacement value", "-1"), ("Generate missing value indicator column", true)));
        Assert.Equal([30.0, -1.0, 50.0, 41.0, -1.0], Column(cleaned, "Age"));
        Assert.Equal([false, true, false, false, true], Column(cleaned, "Age_IsMissing"));
        Assert.Equal("Age_IsMissing", cleaned.Schema[^1].Name);

        var other = Table(People, [9, null, "Oslo", 1]);
        Assert.Equal(-1.0, transformation.Apply(other)["Age"].GetValue(0));
    }

    [Fact]
    public void CleanMissingData_RemoveRowsOrColumns_RespectsTheMissingRatioWindow()
    {
        var module = new CleanMissingDataModule();
        var table = PeopleTable();
        var (rows, _) = module.Clean(table, Bind(module, ("Cleaning mode", "Remove entire row")));
        Assert.Equal([1, 4], Column(rows, "Id"));

        // Age is 2/5 missing, City 1/5, Score 1/5: a window of [0.3, 1] removes Age only.
        var (columns, _) = module.Clean(table, Bind(module, ("Cleaning mode", "Remove entire column"), ("Minimum missing value ratio", 0.3)));
        Assert.Equal(["Id", "City", "Score"], columns.Schema.Names);
    }

    [Fact]
    public void CleanMissingData_BadInput_GivesModuleErrors()
    {
        var module = new CleanMissingDataModule();
        Assert.Equal("0017", Fails(() => module.Clean(PeopleTable(), Bind(module, ("Columns to be cleaned", "City"), ("Cleaning mode", "Replace with mean")))).ErrorCode);
        Assert.Equal("0002", Fails(() => module.Clean(PeopleTable(), Bind(module, ("Columns to be cleaned", "Score"), ("Replacement value", "abc")))).ErrorCode);
        Assert.Equal("0001", Fails(() => module.Clean(PeopleTable(), Bind(module, ("Columns to be cleaned", "Nope")))).ErrorCode);
        Assert.Equal("0007", Fails(() => Bind(module, ("Maximum missing value ratio", 1.5))).ErrorCode);
        Assert.Equal("0003", Fails(() => module.Run([null], Bind(module))).ErrorCode);
    }

    [Fact]
    public void SplitData_IsASeededPartition_WithTheRequestedFraction()
    {
        var module = new SplitDataModule();
        var table = Table([("Id", ColumnType.Int32)], Enumerable.Range(0, 20).Select(i => new object?[] { i }).ToArray());
        var (first, second) = module.Split(table, Bind(module, ("Fraction of rows in the first output dataset", 0.7), ("Random seed", 42)));
        Assert.Equal(14, first.RowCount);
        Assert.Equal(6, second.RowCount);
        var ids = Column(first, "Id").Concat(Column(second, "Id")).Cast<int>().Order();
        Assert.Equal(Enumerable.Range(0, 20), ids);
        Assert.NotEqual(Enumerable.Range(0, 14).Cast<object?>(), Column(first, "Id"));

        var (again, _) = module.Split(table, Bind(module, ("Fraction of rows in the first output dataset", 0.7), ("Random seed", 42)));
        Assert.Equal(Column(first, "Id"), Column(again, "Id"));
        var (otherSeed, _) = module.Split(table, Bind(module, ("Fraction of rows in the first output dataset", 0.7), ("Random seed", 7)));
        Assert.NotEqual(Column(first, "Id"), Column(otherSeed, "Id"));

        var (head, tail) = module.Split(table, Bind(module, ("Fraction of rows in the first output dataset", 0.25), ("Randomized split", false)));
        Assert.Equal(Enumerable.Range(0, 5).Cast<object?>(), Column(head, "Id"));
        Assert.Equal(Enumerable.Range(5, 15).Cast<object?>(), Column(tail, "Id"));
    }

    [Fact]
    public void SplitData_Stratified_KeepsEachKeysProportion()
    {
        var module = new SplitDataModule();
        var rows = Enumerable.Range(0, 30).Select(i => new object?[] { i, i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : i < 20 ? "c" : null }).ToArray();
        var table = Table([("Id", ColumnType.Int32), ("Key", ColumnType.String)], rows);
        var (first, second) = module.Split(table, Bind(module, ("Fraction of rows in the first output dataset", 0.5), ("Stratified split", true),
            ("Stratification key column", "Key"), ("Random seed", 3)));

        foreach (var group in rows.GroupBy(r => r[1]))
        {
            var expected = (int)Math.Round(group.Count() * 0.5, MidpointRounding.AwayFromZero);
            Assert.Equal(expected, Column(first, "Key").Count(k => Equals(k, group.Key)));
            Assert.Equal(group.Count() - expected, Column(second, "Key").Count(k => Equals(k, group.Key)));
        }

        Assert.Equal("0022", Fails(() => module.Split(table, Bind(module, ("Stratified split", true)))).ErrorCode);
    }

    [Fact]
    public void NormalizeData_ZScore_MinMax_Logistic_TanH_MatchTheirFormulas()
    {
        var module = new NormalizeDataModule();
        double[] x = [2, 4, 4, 4, 5, 5, 7, 9];
        var table = Table([("X", ColumnType.Int32), ("Label", ColumnType.String)], x.Select(v => new object?[] { (int)v, "k" }).ToArray());

        var mean = x.Sum() / x.Length;
        var s = Math.Sqrt(x.Select(v => (v - mean) * (v - mean)).Sum() / (x.Length - 1));
        var (z, function) = module.Normalize(table, Bind(module, ("Columns to transform", "X")));
        Assert.Equal(ColumnType.Double, z.Schema[0].Type);
        Assert.All(Enumerable.Range(0, x.Length), i => Assert.Equal((x[i] - mean) / s, (double)z["X"].GetValue(i)!, 12));
        Assert.Equal("k", z["Label"].GetValue(0));

        var applied = function.Apply(Table([("X", ColumnType.Int32), ("Label", ColumnType.String)], [11, "n"]));
        Assert.Equal((11 - mean) / s, (double)applied["X"].GetValue(0)!, 12);

        var (minMax, _) = module.Normalize(table, Bind(module, ("Transformation method", "MinMax")));
        Assert.Equal(x.Select(v => (v - 2) / 7).Cast<object?>(), Column(minMax, "X"));

        var (logistic, _) = module.Normalize(table, Bind(module, ("Transformation method", "Logistic")));
        Assert.All(Enumerable.Range(0, x.Length), i => Assert.Equal(1 / (1 + Math.Exp(-x[i])), (double)logistic["X"].GetValue(i)!, 14));

        var (tanh, _) = module.Normalize(table, Bind(module, ("Transformation method", "Tanh")));
        Assert.All(Enumerable.Range(0, x.Length), i => Assert.Equal(Math.Tanh(x[i]), (double)tanh["X"].GetValue(i)!, 14));
    }

    [Fact]
    public void NormalizeData_LogNormal_IsTheFittedLogNormalCdf_AndConstantColumnsBecomeZero()
    {
        var module = new NormalizeDataModule();
        double[] x = [1, 2, 3, 5, 8, 13];
        var table = Table([("X", ColumnType.Double), ("C", ColumnType.Double)], x.Select(v => new object?[] { v, 4.0 }).ToArray());
        var (result, _) = module.Normalize(table, Bind(module, ("Transformation method", "LogNormal")));

        var logs = x.Select(v => Math.Log(v)).ToArray();
        var mu = logs.Average();
        var sigma = Math.Sqrt(logs.Sum(l => (l - mu) * (l - mu)) / (logs.Length - 1));
        for (var i = 0; i < x.Length; i++)
        {
            Assert.Equal(NormalCdfByIntegration((logs[i] - mu) / sigma), (double)result["X"].GetValue(i)!, 9);
        }

        Assert.All(Column(result, "C"), v => Assert.Equal(0.0, v));
        var (nan, _) = module.Normalize(table, Bind(module, ("Transformation method", "MinMax"), ("Use 0 for constant columns when checked", false)));
        Assert.All(Column(nan, "C"), v => Assert.True(double.IsNaN((double)v!)));
        Assert.Equal("0017", Fails(() => module.Normalize(PeopleTable(), Bind(module, ("Columns to transform", "City")))).ErrorCode);
    }

    [Fact]
    public void EditMetadata_Renames_Converts_AndMarksLabelAndCategorical()
    {
        var module = new EditMetadataModule();
        var table = Table([("a", ColumnType.String), ("b", ColumnType.Double), ("c", ColumnType.Int32)], ["1", 2.0, 1], ["2", null, 0]);
        var result = module.Edit(table, Bind(module, ("Column", "a,b"), ("Data type", "Integer"), ("Categorical", "Categorical"), ("New column names", "A, B")));
        Assert.Equal(["A", "B", "c"], result.Schema.Names);
        Assert.Equal([ColumnType.Int32, ColumnType.Int32, ColumnType.Int32], result.Schema.Select(c => c.Type));
        Assert.Equal([1, 2], Column(result, "A"));
        Assert.Equal([2, null], Column(result, "B"));
        Assert.True(result.Metadata[0].IsCategorical);
        Assert.False(result.Metadata[2].IsCategorical);

        var labelled = module.Edit(result, Bind(module, ("Column", "c"), ("Fields", "Label")));
        Assert.Equal(2, labelled.LabelIndex);
        var relabelled = module.Edit(labelled, Bind(module, ("Column", "A"), ("Fields", "Label")));
        Assert.Equal(0, relabelled.LabelIndex);
        Assert.Equal(ColumnRole.None, relabelled.Metadata[2].Role);
        Assert.Equal([true, false], Column(module.Edit(table, Bind(module, ("Column", "c"), ("Data type", "Boolean"))), "c"));
    }

    [Fact]
    public void EditMetadata_BadInput_GivesModuleErrors()
    {
        var module = new EditMetadataModule();
        var table = Table([("a", ColumnType.String), ("b", ColumnType.Double)], ["x", 2.5]);
        var conversion = Fails(() => module.Edit(table, Bind(module, ("Column", "a"), ("Data type", "Double"))));
        Assert.Equal("0018", conversion.ErrorCode);
        Assert.Contains("\"x\" in row 1 of column \"a\"", conversion.Message, StringComparison.Ordinal);
        Assert.Equal("0018", Fails(() => module.Edit(table, Bind(module, ("Column", "b"), ("Data type", "Integer")))).ErrorCode);
        Assert.Equal("0020", Fails(() => module.Edit(table, Bind(module, ("Column", "a,b"), ("New column names", "x")))).ErrorCode);
        Assert.Equal("0022", Fails(() => module.Edit(table, Bind(module, ("Column", "a,b"), ("Fields", "Label")))).ErrorCode);
        Assert.Equal("0002", Fails(() => module.Edit(table, Bind(module, ("Column", "a"), ("New column names", "b")))).ErrorCode);
        Assert.Equal("0003", Fails(() => Bind(module)).ErrorCode);
    }

    [Fact]
    public void JoinData_AllJoinTypes_MatchANestedLoopJoin()
    {
        var module = new JoinDataModule();
        (string, ColumnType)[] leftColumns = [("Id", ColumnType.Int32), ("Name", ColumnType.String)];
        (string, ColumnType)[] rightColumns = [("Key", ColumnType.Int32), ("Name", ColumnType.String), ("Amount", ColumnType.Double)];
        object?[][] leftRows = [[1, "ann"], [2, "bob"], [3, "cy"], [null, "nil"], [2, "bob2"]];
        object?[][] rightRows = [[2, "B", 1.5], [4, "D", 4.0], [2, "B2", 2.5], [1, "A", 0.5], [null, "N", 9.0]];
        var left = Table(leftColumns, leftRows);
        var right = Table(rightColumns, rightRows);

        static bool Match(object?[] l, object?[] r) => l[0] is not null && r[0] is not null && Equals(l[0], r[0]);
        var inner = leftRows.SelectMany(l => rightRows.Where(r => Match(l, r)).Select(r => l.Concat(r).ToArray())).ToList();
        var leftOuter = leftRows.SelectMany(l => rightRows.Any(r => Match(l, r))
            ? rightRows.Where(r => Match(l, r)).Select(r => l.Concat(r).ToArray())
            : [l.Concat(new object?[3]).ToArray()]).ToList();
        var fullOuter = leftOuter.Concat(rightRows.Where(r => !leftRows.Any(l => Match(l, r))).Select(r => new object?[2].Concat(r).ToArray())).ToList();
        var semi = leftRows.Where(l => rightRows.Any(r => Match(l, r))).ToList();

        DataTable Run(string type, bool keep = true) =>
            module.Join(left, right, Bind(module, ("Join key columns for L", "Id"), ("Join key columns for R", "Key"), ("Join type", type),
                ("Keep right key columns in joined table", keep)));

        var innerResult = Run("Inner Join");
        Assert.Equal(["Id", "Name", "Key", "Name (2)", "Amount"], innerResult.Schema.Names);
        Assert.Equal(inner, Rows(innerResult));
        Assert.Equal(leftOuter, Rows(Run("Left Outer Join")));
        Assert.Equal(fullOuter, Rows(Run("Full Outer Join")));
        Assert.Equal(semi, Rows(Run("Left Semi-Join")));

        var noRightKey = Run("Full Outer Join", keep: false);
        Assert.Equal(["Id", "Name", "Name (2)", "Amount"], noRightKey.Schema.Names);
        Assert.Equal([4, null, "D", 4.0], Rows(noRightKey)[^2]);
    }

    [Fact]
    public void JoinData_MatchCase_AndKeyCountErrors()
    {
        var module = new JoinDataModule();
        var left = Table([("k", ColumnType.String)], ["Abc"], ["x"]);
        var right = Table([("k", ColumnType.String), ("v", ColumnType.Int32)], ["abc", 1]);
        var caseSensitive = module.Join(left, right, Bind(module, ("Join key columns for L", "k"), ("Join key columns for R", "k")));
        Assert.Equal(0, caseSensitive.RowCount);
        var ignoringCase = module.Join(left, right, Bind(module, ("Join key columns for L", "k"), ("Join key columns for R", "k"), ("Match case", false)));
        Assert.Equal([1], Column(ignoringCase, "v"));
        Assert.Equal("0020", Fails(() => module.Join(left, right, Bind(module, ("Join key columns for L", "k"), ("Join key columns for R", "k,v")))).ErrorCode);
        Assert.Equal("0003", Fails(() => module.Run([left, null], Bind(module, ("Join key columns for L", "k"), ("Join key columns for R", "k")))).ErrorCode);
    }

    [Fact]
    public void RemoveDuplicateRows_KeepsFirstOrLastOfEachKey()
    {
        var module = new RemoveDuplicateRowsModule();
        object?[][] rows = [[1, "a", 1.0], [2, "b", 2.0], [3, "a", 3.0], [4, null, 4.0], [5, "b", 5.0], [6, null, 6.0]];
        var table = Table([("Id", ColumnType.Int32), ("K", ColumnType.String), ("V", ColumnType.Double)], rows);

        var firsts = rows.GroupBy(r => r[1]).Select(g => g.First()[0]).OrderBy(x => x).ToArray();
        var lasts = rows.GroupBy(r => r[1]).Select(g => g.Last()[0]).OrderBy(x => x).ToArray();
        Assert.Equal(firsts, Column(module.RemoveDuplicates(table, Bind(module, ("Key column selection filter expression", "K"))), "Id"));
        Assert.Equal(lasts, Column(module.RemoveDuplicates(table, Bind(module, ("Key column selection filter expression", "K"), ("Retain first duplicate row", false))), "Id"));
        Assert.Equal(6, module.RemoveDuplicates(table, Bind(module, ("Key column selection filter expression", "K,V"))).RowCount);
    }

    [Fact]
    public void ConvertToIndicatorValues_OneColumnPerValue()
    {
        var module = new ConvertToIndicatorValuesModule();
        string?[] colors = ["red", "blue", null, "red", "green"];
        var table = Table([("Id", ColumnType.Int32), ("Color", ColumnType.String)], colors.Select((c, i) => new object?[] { i, c }).ToArray());
        var result = module.Convert(table, Bind(module, ("Categorical columns to convert", "Color")));

        var values = colors.Where(c => c is not null).Distinct().Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "Id", "Color" }.Concat(values.Select(v => "Color-" + v)), result.Schema.Names);
        foreach (var v in values)
        {
            Assert.Equal(colors.Select(c => (object?)(c == v ? 1 : 0)), Column(result, "Color-" + v));
        }

        var overwritten = module.Convert(table, Bind(module, ("Categorical columns to convert", "Color"), ("Overwrite categorical columns", true)));
        Assert.Equal(new[] { "Id" }.Concat(values.Select(v => "Color-" + v)), overwritten.Schema.Names);

        var numbers = Table([("N", ColumnType.Int32)], [1], [2]);
        Assert.Equal("0056", Fails(() => module.Convert(numbers, Bind(module, ("Categorical columns to convert", "N")))).ErrorCode);
        var categorical = new EditMetadataModule().Edit(numbers, Bind(new EditMetadataModule(), ("Column", "N"), ("Categorical", "Categorical")));
        Assert.Equal(["N", "N-1", "N-2"], module.Convert(categorical, Bind(module, ("Categorical columns to convert", "N"))).Schema.Names);
    }

    [Fact]
    public void ApplySqlTransformation_QueriesThreeTables_AndKeepsColumnTypes()
    {
        var module = new ApplySqlTransformationModule();
        var t1 = Table([("id", ColumnType.Int32), ("name", ColumnType.String), ("ok", ColumnType.Boolean)], [1, "a", true], [2, "b", false], [3, "c", true]);
        var t2 = Table([("id", ColumnType.Int32), ("amount", ColumnType.Double)], [1, 2.5], [1, 1.5], [3, 4.0]);
        var t3 = Table([("name", ColumnType.String)], ["c"]);

        var result = module.Execute(
            "create temp table x as select 1 as one; select t1.id, t1.ok, sum(t2.amount) as total, count(*) as n from t1 join t2 on t1.id = t2.id " +
            "where t1.name not in (select name from t3) group by t1.id order by t1.id;", [t1, t2, t3]);

        var expected = new[] { (1, true), (2, false), (3, true) }
            .Where(r => r.Item1 != 3)
            .Select(r => (r.Item1, r.Item2, Rows: new[] { (1, 2.5), (1, 1.5), (3, 4.0) }.Where(a => a.Item1 == r.Item1).ToArray()))
            .Where(r => r.Rows.Length > 0)
            .Select(r => new object?[] { r.Item1, r.Item2, r.Rows.Sum(a => a.Item2), (long)r.Rows.Length })
            .ToList();
        Assert.Equal(["id", "ok", "total", "n"], result.Schema.Names);
        Assert.Equal([ColumnType.Int32, ColumnType.Boolean, ColumnType.Double, ColumnType.Int64], result.Schema.Select(c => c.Type));
        Assert.Equal(expected, Rows(result));
    }

    [Fact]
    public void ApplySqlTransformation_BadScripts_GiveError0069_AndCannotTouchFiles()
    {
        var module = new ApplySqlTransformationModule();
        var t1 = Table([("a", ColumnType.Int32)], [1]);
        var path = Path.Combine(Path.GetTempPath(), "tollgate-sql-" + Guid.NewGuid().ToString("N") + ".db");

        Assert.Contains("no such table: t2", Fails(() => module.Execute("select * from t2", [t1])).Message, StringComparison.Ordinal);
        Assert.Equal("0069", Fails(() => module.Execute("selec 1", [t1])).ErrorCode);
        Assert.Equal("0069", Fails(() => module.Execute("create table y(a)", [t1])).ErrorCode);
        Assert.Equal("0069", Fails(() => module.Execute($"attach database '{path}' as other; select 1", [t1])).ErrorCode);
        Assert.Equal("0069", Fails(() => module.Execute($"vacuum into '{path}'; select 1", [t1])).ErrorCode);
        Assert.Equal("0069", Fails(() => module.Execute("pragma table_info(t1)", [t1])).ErrorCode);
        Assert.False(File.Exists(path));
        Assert.Equal("0003", Fails(() => module.Run([null, t1, null], module.Definition.Bind(null))).ErrorCode);
    }

    [Fact]
    public void ApplySqlTransformation_StopsARunawayScript()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var module = new ApplySqlTransformationModule(time) { Timeout = TimeSpan.FromSeconds(5) };
        var t1 = Table([("a", ColumnType.Int32)], [1]);
        using var cancel = new CancellationTokenSource();
        var run = Task.Run(() => module.Execute("with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r", [t1]));
        while (!run.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(6));
            Thread.Yield();
        }

        var ex = Assert.Throws<StudioModuleException>(() => run.GetAwaiter().GetResult());
        Assert.Equal("0069", ex.ErrorCode);
        Assert.Contains("longer than 5 seconds", ex.Message, StringComparison.Ordinal);
    }

    private static double NormalCdfByIntegration(double z)
    {
        // Simpson's rule on the standard normal density from -10 to z.
        const int n = 20000;
        var a = -10.0;
        var h = (z - a) / n;
        double Density(double t) => Math.Exp(-t * t / 2) / Math.Sqrt(2 * Math.PI);
        var sum = Density(a) + Density(z);
        for (var i = 1; i < n; i++)
        {
            sum += (i % 2 == 1 ? 4 : 2) * Density(a + (i * h));
        }

        return sum * h / 3;
    }
}
