using Tollgate.Studio.Data;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.Tables;

namespace Tollgate.Studio.Learning;

/// <summary>A point of a ROC or precision-recall curve at a threshold on the scored probability.</summary>
/// <param name="Threshold">Rows with a probability ≥ threshold are predicted positive.</param>
/// <param name="X">False positive rate (ROC) or recall (precision-recall).</param>
/// <param name="Y">True positive rate (ROC) or precision (precision-recall).</param>
public sealed record CurvePoint(double Threshold, double X, double Y);

/// <summary>The metrics of one scored dataset.</summary>
public sealed class Evaluation
{
    internal Evaluation(ModelKind kind, IReadOnlyList<(string Name, object Value)> metrics)
    {
        Kind = kind;
        Metrics = metrics;
    }

    /// <summary>Two-class, multiclass or regression.</summary>
    public ModelKind Kind { get; }

    /// <summary>The metrics, by classic name, in output order.</summary>
    public IReadOnlyList<(string Name, object Value)> Metrics { get; }

    /// <summary>A metric by name.</summary>
    public object this[string name] => Metrics.First(m => m.Name == name).Value;

    /// <summary>Two-class: the ROC curve, thresholds descending.</summary>
    public IReadOnlyList<CurvePoint> RocCurve { get; internal init; } = [];

    /// <summary>Two-class: the precision-recall curve, thresholds descending.</summary>
    public IReadOnlyList<CurvePoint> PrecisionRecallCurve { get; internal init; } = [];

    /// <summary>Multiclass: the classes, in the order of <see cref="ConfusionMatrix"/>.</summary>
    public IReadOnlyList<object> Classes { get; internal init; } = [];

    /// <summary>Multiclass: counts by [actual class, predicted class].</summary>
    public int[,] ConfusionMatrix { get; internal init; } = new int[0, 0];

    /// <summary>Multiclass: each class's one-vs-rest accuracy.</summary>
    public IReadOnlyList<double> ClassAccuracy { get; internal init; } = [];
}

/// <summary>
/// Evaluate Model (Machine Learning / Evaluate): metrics of a scored dataset (and of a second one to compare), one row
/// each. The label is the column Score Model marked as the label; the kind comes from the score columns.
/// </summary>
/// <remarks>
/// <para>Two-class (<c>Scored Labels</c> + <c>Scored Probabilities</c>): the confusion matrix of the scored labels
/// (threshold 0.5), Accuracy, Precision = TP / (TP + FP), Recall = TP / (TP + FN), F1 Score, AUC (the probability
/// that a positive row scores above a negative one, ties counting half), Average Log Loss (probabilities clipped to
/// [1e-15, 1 − 1e-15]); the ROC and precision-recall curves are on <see cref="Evaluation"/>. A ratio with a zero
/// denominator is 0.</para>
/// <para>Multiclass: Overall accuracy, Average accuracy (the mean of each class's one-vs-rest accuracy), micro- and
/// macro-averaged precision and recall (macro: mean over classes); the confusion matrix is on <see cref="Evaluation"/>.</para>
/// <para>Regression: Mean Absolute Error, Root Mean Squared Error, Relative Absolute Error Σ|y − ŷ| / Σ|y − ȳ|,
/// Relative Squared Error Σ(y − ŷ)² / Σ(y − ȳ)², Coefficient of Determination 1 − RSE.</para>
/// <para>Rows whose label or score is missing are left out. No label column: Error 0035; no score columns, or a
/// clustering result: Error 0039; no row to evaluate: Error 0003.</para>
/// </remarks>
public sealed class EvaluateModelModule : TableModule
{
    public const string Name = "Evaluate Model";

    /// <inheritdoc />
    public override ModuleDefinition Definition { get; } = new(
        Name, "Machine Learning / Evaluate", "Evaluates the results of a classification or regression model with standard metrics.",
        [],
        [new ModulePort("Scored dataset", PortDirection.Input), new ModulePort("Scored dataset to compare", PortDirection.Input)],
        [new ModulePort("Evaluation results", PortDirection.Output)]);

    /// <inheritdoc />
    public override IReadOnlyList<object> Run(IReadOnlyList<object?> inputs, ModuleParameterValues parameters, CancellationToken cancellationToken = default)
    {
        var first = Evaluate(RequireTable(inputs, 0));
        var second = inputs.Count > 1 && inputs[1] is DataTable compare ? Evaluate(compare) : null;
        if (second is not null && second.Kind != first.Kind)
        {
            throw new StudioModuleException(ModuleErrors.OperationNotSupported("The two scored datasets come from different kinds of model and cannot be compared."));
        }

        var schema = new DataSchema(first.Metrics.Select(m => new ColumnSchema(m.Name, m.Value switch
        {
            int => ColumnType.Int32,
            double => ColumnType.Double,
            _ => ColumnType.String,
        })));
        var builder = new DataBatchBuilder(schema, 2);
        builder.AppendRow(first.Metrics.Select(m => m.Value).ToArray());
        if (second is not null)
        {
            builder.AppendRow(second.Metrics.Select(m => m.Value).ToArray());
        }

        return [new DataTable(builder.Build())];
    }

    /// <summary>Evaluates one scored dataset.</summary>
    public Evaluation Evaluate(DataTable scored)
    {
        ArgumentNullException.ThrowIfNull(scored);
        var scoredLabels = scored.Schema.IndexOf(TrainedModel.ScoredLabels);
        var probabilities = scored.Schema.IndexOf(TrainedModel.ScoredProbabilities);
        var classColumns = Enumerable.Range(0, scored.Schema.Count)
            .Where(c => scored.Schema[c].Name.StartsWith(TrainedModel.ScoredProbabilities + " for Class ", StringComparison.Ordinal)).ToArray();
        if (scoredLabels < 0)
        {
            throw new StudioModuleException(ModuleErrors.OperationNotSupported(
                $"The dataset has no \"{TrainedModel.ScoredLabels}\" column: evaluate the output of Score Model for a classification or regression model."));
        }

        var label = scored.LabelIndex;
        if (label < 0)
        {
            throw new StudioModuleException(ModuleErrors.LabelColumn(
                "The scored dataset has no label column. Score a dataset that holds the label the model was trained on.", null));
        }

        var rows = Enumerable.Range(0, scored.RowCount)
            .Where(r => !scored[label].IsMissing(r) && !scored[scoredLabels].IsMissing(r) && (probabilities < 0 || !scored[probabilities].IsMissing(r)))
            .ToArray();
        if (rows.Length == 0)
        {
            throw new StudioModuleException(ModuleErrors.DatasetEmpty(Definition.Inputs[0].Name));
        }

        if (probabilities >= 0)
        {
            return TwoClass(scored, rows, label, scoredLabels, probabilities);
        }

        return classColumns.Length > 0 ? Multiclass(scored, rows, label, scoredLabels) : Regression(scored, rows, label, scoredLabels);
    }

    private static Evaluation TwoClass(DataTable scored, int[] rows, int label, int scoredLabels, int probabilities)
    {
        var values = new SortedSet<object>(CellComparer.Instance!);
        foreach (var r in rows)
        {
            values.Add(scored.GetValue(r, label)!);
            values.Add(scored.GetValue(r, scoredLabels)!);
        }

        if (values.Count > 2)
        {
            throw new StudioModuleException(ModuleErrors.LabelColumn(
                $"The label column \"{scored.Schema[label].Name}\" has more than two values; a two-class evaluation needs two.", null));
        }

        var positive = values.Max!;
        var negative = values.Min!;
        var actual = rows.Select(r => CellComparer.Instance.Equals(scored.GetValue(r, label), positive)).ToArray();
        var predicted = rows.Select(r => CellComparer.Instance.Equals(scored.GetValue(r, scoredLabels), positive)).ToArray();
        var p = rows.Select(r => (double)scored.GetValue(r, probabilities)!).ToArray();
        int tp = 0, fn = 0, fp = 0, tn = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            _ = (actual[i], predicted[i]) switch
            {
                (true, true) => tp++,
                (true, false) => fn++,
                (false, true) => fp++,
                _ => tn++,
            };
        }

        var precision = Ratio(tp, tp + fp);
        var recall = Ratio(tp, tp + fn);
        var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        var logLoss = -Enumerable.Range(0, p.Length).Average(i =>
        {
            var q = Math.Clamp(p[i], 1e-15, 1 - 1e-15);
            return actual[i] ? Math.Log(q) : Math.Log(1 - q);
        });

        var positives = actual.Count(a => a);
        var negatives = actual.Length - positives;
        var roc = new List<CurvePoint>();
        var pr = new List<CurvePoint>();
        var order = Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).ToArray();
        int truePositives = 0, falsePositives = 0;
        double auc = 0;
        for (var k = 0; k < order.Length;)
        {
            var threshold = p[order[k]];
            int groupPositives = 0, groupNegatives = 0;
            for (; k < order.Length && p[order[k]] == threshold; k++)
            {
                _ = actual[order[k]] ? groupPositives++ : groupNegatives++;
            }

            // Every negative of this group ties with its positives (half), and ranks below every positive seen before.
            auc += groupNegatives * (truePositives + (groupPositives / 2.0));
            truePositives += groupPositives;
            falsePositives += groupNegatives;
            roc.Add(new CurvePoint(threshold, Ratio(falsePositives, negatives), Ratio(truePositives, positives)));
            pr.Add(new CurvePoint(threshold, Ratio(truePositives, positives), Ratio(truePositives, truePositives + falsePositives)));
        }

        auc = positives == 0 || negatives == 0 ? 0 : auc / ((double)positives * negatives);
        return new Evaluation(ModelKind.TwoClass,
        [
            ("True Positive", tp), ("False Negative", fn), ("False Positive", fp), ("True Negative", tn),
            ("Positive Label", CellText.Format(positive)!), ("Negative Label", CellText.Format(negative)!),
            ("Accuracy", Ratio(tp + tn, rows.Length)), ("Precision", precision), ("Recall", recall), ("F1 Score", f1),
            ("Threshold", 0.5), ("AUC", auc), ("Average Log Loss", logLoss),
        ])
        {
            RocCurve = roc,
            PrecisionRecallCurve = pr,
        };
    }

    private static Evaluation Multiclass(DataTable scored, int[] rows, int label, int scoredLabels)
    {
        var classes = new SortedSet<object>(CellComparer.Instance!);
        foreach (var r in rows)
        {
            classes.Add(scored.GetValue(r, label)!);
            classes.Add(scored.GetValue(r, scoredLabels)!);
        }

        var list = classes.ToArray();
        int Index(object value) => Array.FindIndex(list, c => CellComparer.Instance.Equals(c, value));
        var matrix = new int[list.Length, list.Length];
        foreach (var r in rows)
        {
            matrix[Index(scored.GetValue(r, label)!), Index(scored.GetValue(r, scoredLabels)!)]++;
        }

        var n = rows.Length;
        var correct = Enumerable.Range(0, list.Length).Sum(k => matrix[k, k]);
        var perClass = new double[list.Length];
        var precisions = new double[list.Length];
        var recalls = new double[list.Length];
        for (var k = 0; k < list.Length; k++)
        {
            var actualK = Enumerable.Range(0, list.Length).Sum(j => matrix[k, j]);
            var predictedK = Enumerable.Range(0, list.Length).Sum(j => matrix[j, k]);
            var tp = matrix[k, k];
            var tn = n - actualK - predictedK + tp;
            perClass[k] = Ratio(tp + tn, n);
            precisions[k] = Ratio(tp, predictedK);
            recalls[k] = Ratio(tp, actualK);
        }

        var overall = Ratio(correct, n);
        return new Evaluation(ModelKind.Multiclass,
        [
            ("Overall accuracy", overall), ("Average accuracy", perClass.Average()),
            ("Micro-averaged precision", overall), ("Macro-averaged precision", precisions.Average()),
            ("Micro-averaged recall", overall), ("Macro-averaged recall", recalls.Average()),
        ])
        {
            Classes = list,
            ConfusionMatrix = matrix,
            ClassAccuracy = perClass,
        };
    }

    private static Evaluation Regression(DataTable scored, int[] rows, int label, int scoredLabels)
    {
        if (!DataTable.IsNumeric(scored.Schema[label].Type) && scored.Schema[label].Type != ColumnType.Boolean)
        {
            throw new StudioModuleException(ModuleErrors.LabelColumn(
                $"The label column \"{scored.Schema[label].Name}\" is {scored.Schema[label].Type}; a regression evaluation needs a numeric label.", null));
        }

        var y = rows.Select(r => DataTable.GetNumber(scored[label], r)!.Value).ToArray();
        var yHat = rows.Select(r => DataTable.GetNumber(scored[scoredLabels], r)!.Value).ToArray();
        var mean = y.Average();
        var absolute = y.Zip(yHat).Sum(p => Math.Abs(p.First - p.Second));
        var squared = y.Zip(yHat).Sum(p => (p.First - p.Second) * (p.First - p.Second));
        var absoluteAroundMean = y.Sum(v => Math.Abs(v - mean));
        var squaredAroundMean = y.Sum(v => (v - mean) * (v - mean));
        var rse = squaredAroundMean == 0 ? 0 : squared / squaredAroundMean;
        return new Evaluation(ModelKind.Regression,
        [
            ("Mean Absolute Error", absolute / y.Length), ("Root Mean Squared Error", Math.Sqrt(squared / y.Length)),
            ("Relative Absolute Error", absoluteAroundMean == 0 ? 0 : absolute / absoluteAroundMean), ("Relative Squared Error", rse),
            ("Coefficient of Determination", 1 - rse),
        ]);
    }

    private static double Ratio(double numerator, double denominator) => denominator == 0 ? 0 : numerator / denominator;
}
