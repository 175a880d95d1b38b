using Tollgate.Studio.Data;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.Tables;
using Tollgate.UnitTests.Studio.Modules;

namespace Tollgate.UnitTests.Studio.Tables;

internal static class TableTestData
{
    public static DataTable Table((string Name, ColumnType Type)[] columns, params object?[][] rows) =>
        new(ModuleTestData.Batch(ModuleTestData.Schema(columns), rows));

    public static object?[] Column(DataTable table, string name) =>
        Enumerable.Range(0, table.RowCount).Select(r => table[name].GetValue(r)).ToArray();

    public static List<object?[]> Rows(DataTable table) =>
        Enumerable.Range(0, table.RowCount).Select(r => Enumerable.Range(0, table.Schema.Count).Select(c => table.GetValue(r, c)).ToArray()).ToList();

    public static ModuleParameterValues Bind(TableModule module, params (string Name, object? Value)[] values) =>
        module.Definition.Bind(values.ToDictionary(v => v.Name, v => v.Value));

    public static StudioModuleException Fails(Action action) => Assert.Throws<StudioModuleException>(action);
}
