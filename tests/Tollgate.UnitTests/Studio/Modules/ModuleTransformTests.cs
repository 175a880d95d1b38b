using Tollgate.Studio.Data;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.FeatureHashing;

namespace Tollgate.UnitTests.Studio.Modules;

public class ModuleTransformTests
{
    private static readonly DataSchema TutorialSchema = ModuleTestData.Schema(("Col1", ColumnType.Int32), ("Col2", ColumnType.String));

    [Fact]
    public async Task SelectColumns_ProjectsBatches()
    {
        var schema = ModuleTestData.Schema(("A", ColumnType.Int32), ("B", ColumnType.String), ("C", ColumnType.Double));
        var module = new SelectColumnsModule(schema, ColumnSelection.ByName("C", "A"));
        Assert.Equal(ModuleTestData.Schema(("C", ColumnType.Double), ("A", ColumnType.Int32)), module.OutputSchema);

        var batch1 = ModuleTestData.Batch(schema, [1, "x", 1.5], [null, "y", null]);
        var batch2 = ModuleTestData.Batch(schema, [3, null, 2.5]);
        var output = await ModuleTestData.ToListAsync(module.TransformAsync(ModuleTestData.AsAsync(batch1, batch2)));

        Assert.Equal(2, output.Count);
        Assert.All(output, b => Assert.Equal(module.OutputSchema, b.Schema));
        Assert.Equal([1.5, null], Enumerable.Range(0, 2).Select(r => output[0][0].GetValue(r)));
        Assert.Equal([1, null], Enumerable.Range(0, 2).Select(r => output[0][1].GetValue(r)));
        Assert.Equal(3, output[1]["A"].GetValue(0));
    }

    [Fact]
    public void SelectColumns_FromBoundParameters_ReportsMissingColumnUpFront()
    {
        var values = BuiltInModules.SelectColumns.Bind(new Dictionary<string, object?> { ["Select columns"] = "Col1,Col9" });
        var ex = Assert.Throws<StudioModuleException>(() => new SelectColumnsModule(TutorialSchema, values));
        Assert.Equal("Error 0001: Cannot find one or more specified columns of the dataset: Col9", ex.FullMessage);
    }

    [Fact]
    public void SelectColumns_RejectsBatchOfOtherSchema()
    {
        var module = new SelectColumnsModule(TutorialSchema, ColumnSelection.AllColumns());
        var other = ModuleTestData.Batch(ModuleTestData.Schema(("X", ColumnType.String)), ["a"]);
        Assert.Throws<ArgumentException>(() => module.Transform(other));
    }

    [Fact]
    public async Task FeatureHashing_TutorialInput_GivesAppendixAVector()
    {
        var values = BuiltInModules.FeatureHashing.Bind(new Dictionary<string, object?>
        {
            ["Target columns"] = ColumnSelection.ByName("Col2"),
            ["Hashing bitsize"] = 3,
        });
        var module = new FeatureHashingModule(TutorialSchema, values);

        var expectedNames = new[] { "Col1", "Col2" }.Concat(Enumerable.Range(0, 8).Select(i => $"Col2_HashingFeature.{i}"));
        Assert.Equal(expectedNames, module.OutputSchema.Names);
        Assert.All(module.OutputSchema.Skip(2), c => Assert.Equal(ColumnType.Int32, c.Type));

        var input = ModuleTestData.Batch(TutorialSchema, [0, "This is a good day"]);
        var output = Assert.Single(await ModuleTestData.ToListAsync(module.TransformAsync(ModuleTestData.AsAsync(input))));

        Assert.Equal(0, output["Col1"].GetValue(0));
        Assert.Equal("This is a good day", output["Col2"].GetValue(0));
        Assert.Equal([1, 1, 2, 2, 0, 2, 0, 1], Enumerable.Range(0, 8).Select(i => (int)output[$"Col2_HashingFeature.{i}"].GetValue(0)!));
    }

    [Fact]
    public void FeatureHashing_MissingAndEmptyCells_GiveZeros_AndRowsAreIndependent()
    {
        var module = new FeatureHashingModule(TutorialSchema, null, hashingBitsize: 3, nGrams: 2);
        var input = ModuleTestData.Batch(TutorialSchema, [1, null], [2, "This is a good day"], [3, ""], [4, "I loved this book"]);
        var output = module.Transform(input);

        Assert.Equal(4, output.RowCount);
        int[] Row(int r) => Enumerable.Range(0, 8).Select(i => (int)output[2 + i].GetValue(r)!).ToArray();
        Assert.Equal(new int[8], Row(0));
        Assert.Equal([1, 1, 2, 2, 0, 2, 0, 1], Row(1));
        Assert.Equal(new int[8], Row(2));
        Assert.Equal([0, 1, 1, 2, 1, 0, 2, 0], Row(3));
    }

    [Fact]
    public void FeatureHashing_DefaultTargets_HashEveryStringColumnInOrder()
    {
        var schema = ModuleTestData.Schema(("a", ColumnType.String), ("n", ColumnType.Int32), ("b", ColumnType.String));
        var module = new FeatureHashingModule(schema, null, hashingBitsize: 1, nGrams: 0);
        Assert.Equal(
            ["a", "n", "b", "a_HashingFeature.0", "a_HashingFeature.1", "b_HashingFeature.0", "b_HashingFeature.1"],
            module.OutputSchema.Names);
        var output = module.Transform(ModuleTestData.Batch(schema, ["x y", 5, "z"]));
        Assert.Equal(2, (int)output[3].GetValue(0)! + (int)output[4].GetValue(0)!);
        Assert.Equal(1, (int)output[5].GetValue(0)! + (int)output[6].GetValue(0)!);
    }

    [Fact]
    public void FeatureHashing_NonStringTarget_GivesError0017NamingColumn()
    {
        var ex = Assert.Throws<StudioModuleException>(() =>
            new FeatureHashingModule(TutorialSchema, ColumnSelection.ByName("Col2", "Col1"), 3, 2));
        Assert.Equal("0017", ex.ErrorCode);
        Assert.Equal("Error 0017: Cannot process column \"Col1\" of type Int32. The type is not supported by the module.", ex.FullMessage);
    }

    [Fact]
    public void FeatureHashing_MissingTarget_GivesError0001()
    {
        var ex = Assert.Throws<StudioModuleException>(() => new FeatureHashingModule(TutorialSchema, ColumnSelection.ByName("Col9"), 3, 2));
        Assert.Equal("Error 0001: Cannot find one or more specified columns of the dataset: Col9", ex.FullMessage);
    }

    [Fact]
    public void FeatureHashing_OutOfRangeParameter_UsesHasherError()
    {
        var ex = Assert.Throws<StudioParameterOutOfRangeException>(() => new FeatureHashingModule(TutorialSchema, null, 0, 2));
        Assert.Equal("Error 0004: Parameter \"Hashing bitsize\" should be greater than 0.", ex.FullMessage);
    }

    [Fact]
    public void FeatureHashing_RenamesOnCollision()
    {
        var schema = ModuleTestData.Schema(("t", ColumnType.String), ("t_HashingFeature.1", ColumnType.Int32));
        var module = new FeatureHashingModule(schema, null, hashingBitsize: 1, nGrams: 1);
        Assert.Equal(["t", "t_HashingFeature.1", "t_HashingFeature2.0", "t_HashingFeature2.1"], module.OutputSchema.Names);
    }

    [Fact]
    public void FeatureHashing_TooManyColumns_IsRejected()
    {
        var ex = Assert.Throws<StudioModuleException>(() => new FeatureHashingModule(TutorialSchema, null, 31, 2));
        Assert.Equal("0007", ex.ErrorCode);
        Assert.Contains("Hashing bitsize", ex.Message, StringComparison.Ordinal);
    }
}
