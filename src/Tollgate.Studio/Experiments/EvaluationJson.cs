using System.Text.Json.Nodes;
using Tollgate.Studio.Data;
using Tollgate.Studio.Learning;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.Tables;

namespace Tollgate.Studio.Experiments;

/// <summary>
/// What Studio's Visualize of Evaluate Model showed beside the metrics: for a two-class model the ROC and
/// precision-recall curves (at most <see cref="MaxCurvePoints"/> points each, evenly picked, ends kept) and the
/// confusion matrix; for a multiclass model the confusion matrix and each class's accuracy.
/// </summary>
public static class EvaluationJson
{
    /// <summary>The most points a curve keeps.</summary>
    public const int MaxCurvePoints = 101;

    /// <summary>One entry per scored dataset the Evaluate Model node read (<c>scored</c>, then <c>scoredToCompare</c>).</summary>
    internal static JsonArray Visualize(PlanNode evaluate, IReadOnlyDictionary<(PlanNode, int), List<DataTable>> tables)
    {
        var module = new EvaluateModelModule();
        var result = new JsonArray();
        foreach (var edge in evaluate.InputEdges)
        {
            if (edge is null || !tables.TryGetValue((edge.From, edge.FromPort), out var parts) || parts.Count == 0)
            {
                continue;
            }

            var scored = parts.Count == 1 ? parts[0] : DataTable.FromBatches(parts[0].Schema, parts.Select(p => p.Data), parts[0].Metadata);
            try
            {
                result.Add(ToJson(module.Evaluate(scored)));
            }
            catch (StudioModuleException)
            {
                // The module's own run reported the error.
            }
        }

        return result;
    }

    /// <summary>The JSON of one evaluation.</summary>
    public static JsonObject ToJson(Evaluation evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        var json = new JsonObject
        {
            ["kind"] = evaluation.Kind.ToString(),
            ["metrics"] = new JsonObject(evaluation.Metrics.Select(m => KeyValuePair.Create(m.Name, (JsonNode?)(m.Value switch
            {
                int i => i,
                double d => double.IsFinite(d) ? d : null,
                _ => CellText.Format(m.Value),
            })))),
        };
        if (evaluation.Kind == ModelKind.TwoClass)
        {
            json["rocCurve"] = Curve(evaluation.RocCurve, "falsePositiveRate", "truePositiveRate");
            json["precisionRecallCurve"] = Curve(evaluation.PrecisionRecallCurve, "recall", "precision");
        }
        else if (evaluation.Kind == ModelKind.Multiclass)
        {
            var n = evaluation.Classes.Count;
            json["classes"] = new JsonArray(evaluation.Classes.Select(c => (JsonNode?)CellText.Format(c)).ToArray());
            json["confusionMatrix"] = new JsonArray(Enumerable.Range(0, n)
                .Select(a => (JsonNode)new JsonArray(Enumerable.Range(0, n).Select(p => (JsonNode)evaluation.ConfusionMatrix[a, p]).ToArray())).ToArray());
            json["classAccuracy"] = new JsonArray(evaluation.ClassAccuracy.Select(a => (JsonNode)a).ToArray());
        }

        return json;
    }

    private static JsonArray Curve(IReadOnlyList<CurvePoint> points, string x, string y)
    {
        var picked = points.Count <= MaxCurvePoints
            ? points
            : Enumerable.Range(0, MaxCurvePoints).Select(i => points[(int)Math.Round(i * (points.Count - 1) / (double)(MaxCurvePoints - 1))]).ToArray();
        return new JsonArray(picked.Select(p => (JsonNode)new JsonObject { ["threshold"] = p.Threshold, [x] = p.X, [y] = p.Y }).ToArray());
    }
}
