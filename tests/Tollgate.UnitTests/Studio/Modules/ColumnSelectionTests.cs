using Tollgate.Studio.Data;
using Tollgate.Studio.Modules;

namespace Tollgate.UnitTests.Studio.Modules;

public class ColumnSelectionTests
{
    private static readonly DataSchema Schema = ModuleTestData.Schema(
        ("Col1", ColumnType.Int32),
        ("Col2", ColumnType.String),
        ("Col3", ColumnType.Double),
        ("Col4", ColumnType.String),
        ("Col5", ColumnType.Boolean));

    [Fact]
    public void ByName_KeepsListedOrder()
    {
        Assert.Equal([3, 0], ColumnSelection.ByName("Col4", "Col1").Resolve(Schema));
    }

    [Fact]
    public void ByName_IsCaseSensitive()
    {
        var ex = Assert.Throws<StudioModuleException>(() => ColumnSelection.ByName("col1").Resolve(Schema));
        Assert.Equal("0001", ex.ErrorCode);
    }

    [Fact]
    public void ByType_SelectsAllStringColumnsInDatasetOrder()
    {
        Assert.Equal([1, 3], ColumnSelection.ByType(ColumnType.String).Resolve(Schema));
        Assert.Equal([0, 2], ColumnSelection.ByType(ColumnType.Double, ColumnType.Int32).Resolve(Schema));
        Assert.Empty(ColumnSelection.ByType(ColumnType.DateTime).Resolve(Schema));
    }

    [Theory]
    [InlineData("1-3,5", new[] { 0, 1, 2, 4 })]
    [InlineData("5, 1", new[] { 4, 0 })]
    [InlineData("2-2", new[] { 1 })]
    [InlineData("1-3,2-4", new[] { 0, 1, 2, 3 })]
    public void ByIndexRanges_IsOneBased(string ranges, int[] expected)
    {
        Assert.Equal(expected, ColumnSelection.ByIndexRanges(ranges).Resolve(Schema));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("3-1")]
    [InlineData("a")]
    [InlineData("1,,2")]
    [InlineData("")]
    public void ByIndexRanges_RejectsBadSyntax(string ranges)
    {
        var ex = Assert.Throws<StudioModuleException>(() => ColumnSelection.ByIndexRanges(ranges));
        Assert.Equal("0002", ex.ErrorCode);
    }

    [Fact]
    public void ByIndexRanges_OutOfRangeIsError0001()
    {
        var ex = Assert.Throws<StudioModuleException>(() => ColumnSelection.ByIndexRanges("4-9").Resolve(Schema));
        Assert.Equal("Error 0001: Cannot find one or more specified columns of the dataset: 6", ex.FullMessage);
    }

    [Fact]
    public void AllColumns_WithExclusions_KeepsDatasetOrder()
    {
        Assert.Equal([0, 1, 2, 3, 4], ColumnSelection.AllColumns().Resolve(Schema));
        Assert.Equal([0, 2, 4], ColumnSelection.AllColumns().ExcludingTypes(ColumnType.String).Resolve(Schema));
        Assert.Equal([1, 2, 3], ColumnSelection.AllColumns().ExcludingNames("Col5", "Col1").Resolve(Schema));
        Assert.Equal([3, 4], ColumnSelection.AllColumns().Excluding(ColumnSelectionRule.ByIndexRanges("1-3")).Resolve(Schema));
    }

    [Fact]
    public void Rules_IncludeAfterExcludeDoesNotDuplicate()
    {
        var selection = ColumnSelection.AllColumns()
            .ExcludingNames("Col2")
            .Then(ColumnSelectionRule.ByName(["Col2"]))
            .Then(ColumnSelectionRule.ByType([ColumnType.String]));
        Assert.Equal([0, 2, 3, 4, 1], selection.Resolve(Schema));
    }

    [Fact]
    public void MissingNames_AreAllNamedInError0001()
    {
        var ex = Assert.Throws<StudioModuleException>(() => ColumnSelection.ByName("Col1", "Col9", "Other").Resolve(Schema, "Select columns"));
        Assert.Equal("Error 0001: Cannot find one or more specified columns of the dataset: Col9, Other", ex.FullMessage);
        Assert.Equal("Select columns", ex.Error.ParameterName);
    }

    [Fact]
    public void MissingExcludedName_IsAlsoAnError()
    {
        var ex = Assert.Throws<StudioModuleException>(() => ColumnSelection.AllColumns().ExcludingNames("Col9").Resolve(Schema));
        Assert.Equal("Error 0001: Cannot find one or more specified columns of the dataset: Col9", ex.FullMessage);
    }
}
