using System.Text.Json.Nodes;
using Tollgate.Studio.Data;

namespace Tollgate.Studio.Experiments;

/// <summary>
/// What Studio shows when a port is inspected ("Visualize"): the row and column counts, the first rows, and per
/// column its type, missing values, distinct values (counted up to <see cref="DistinctCap"/>) and, for numbers, min,
/// max and mean. Built batch by batch.
/// </summary>
public sealed class PortStatistics
{
    /// <summary>Distinct values are counted up to this many per column; beyond it the count is reported as at least this.</summary>
    public const int DistinctCap = 1000;

    private readonly DataSchema _schema;
    private readonly int _previewRows;
    private readonly List<JsonArray> _rows = [];
    private readonly long[] _missing;
    private readonly double[] _sum;
    private readonly double[] _min;
    private readonly double[] _max;
    private readonly long[] _numeric;
    private readonly HashSet<string>?[] _distinct;
    private long _rowCount;

    public PortStatistics(DataSchema schema, int previewRows)
    {
        _schema = schema;
        _previewRows = previewRows;
        _missing = new long[schema.Count];
        _sum = new double[schema.Count];
        _min = Enumerable.Repeat(double.PositiveInfinity, schema.Count).ToArray();
        _max = Enumerable.Repeat(double.NegativeInfinity, schema.Count).ToArray();
        _numeric = new long[schema.Count];
        _distinct = schema.Select(_ => new HashSet<string>(StringComparer.Ordinal)).ToArray();
    }

    public void Add(DataBatch batch)
    {
        for (var r = 0; r < batch.RowCount && _rows.Count < _previewRows; r++)
        {
            _rows.Add(new JsonArray(batch.Columns.Select(c => (JsonNode?)c.GetText(r)).ToArray()));
        }

        for (var c = 0; c < batch.Columns.Count; c++)
        {
            var column = batch[c];
            var distinct = _distinct[c];
            for (var r = 0; r < batch.RowCount; r++)
            {
                if (column.IsMissing(r))
                {
                    _missing[c]++;
                    continue;
                }

                if (column is SparseInt32Column sparse)
                {
                    AddNumber(c, sparse[r]);
                }
                else if (column is ValueColumn<int> i)
                {
                    AddNumber(c, i.Values[r]);
                }
                else if (column is ValueColumn<long> l)
                {
                    AddNumber(c, l.Values[r]);
                }
                else if (column is ValueColumn<double> d)
                {
                    AddNumber(c, d.Values[r]);
                }

                if (distinct is not null && distinct.Add(column.GetText(r)!) && distinct.Count > DistinctCap)
                {
                    _distinct[c] = null;
                    distinct = null;
                }
            }
        }

        _rowCount += batch.RowCount;
    }

    private void AddNumber(int c, double value)
    {
        _numeric[c]++;
        _sum[c] += value;
        _min[c] = Math.Min(_min[c], value);
        _max[c] = Math.Max(_max[c], value);
    }

    /// <summary>The schema of the summarised rows.</summary>
    public DataSchema Schema => _schema;

    public JsonObject ToJson(string port)
    {
        var columns = new JsonArray();
        for (var c = 0; c < _schema.Count; c++)
        {
            var column = new JsonObject
            {
                ["name"] = _schema[c].Name,
                ["type"] = _schema[c].Type.ToString(),
                ["missingValues"] = _missing[c],
                ["uniqueValues"] = _distinct[c]?.Count ?? DistinctCap,
                ["uniqueValuesCapped"] = _distinct[c] is null,
            };
            if (_numeric[c] > 0)
            {
                column["min"] = _min[c];
                column["max"] = _max[c];
                column["mean"] = _sum[c] / _numeric[c];
            }

            columns.Add(column);
        }

        return new JsonObject
        {
            ["port"] = port,
            ["rowCount"] = _rowCount,
            ["columnCount"] = _schema.Count,
            ["columns"] = columns,
            ["rows"] = new JsonArray(_rows.Select(r => (JsonNode)r).ToArray()),
        };
    }
}
