using Microsoft.ML;
using Microsoft.ML.Data;
using Tollgate.Studio.Data;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.Tables;

namespace Tollgate.Studio.Learning;

/// <summary>What a learner predicts.</summary>
public enum ModelKind
{
    /// <summary>One of two label values, with the probability of the positive one.</summary>
    TwoClass,

    /// <summary>One of several label values, with a probability for each.</summary>
    Multiclass,

    /// <summary>A number.</summary>
    Regression,

    /// <summary>A cluster of similar rows.</summary>
    Clustering,

    /// <summary>An imported ONNX model (<see cref="OnnxModel"/>): its outputs, named as in the model.</summary>
    Onnx,
}

/// <summary>
/// The output of a learner module (Studio's <c>Untrained model</c>): the learner and its options, ready to be trained
/// by Train Model (or Train Clustering Model).
/// </summary>
/// <param name="LearnerName">The module name, e.g. <c>Two-Class Logistic Regression</c>.</param>
/// <param name="Kind">What it predicts.</param>
/// <param name="Seed">The random number seed (MLContext seed; single-threaded training, so a seed gives one model).</param>
/// <param name="CreateTrainer">Creates the ML.NET trainer reading <see cref="FeatureRow"/> columns.</param>
public sealed record UntrainedModel(string LearnerName, ModelKind Kind, int Seed, Func<MLContext, IEstimator<ITransformer>> CreateTrainer)
{
    /// <summary>The learner module that made it, when it came from one: Tune Model Hyperparameters makes variants through it.</summary>
    public LearnerModule? Learner { get; init; }

    /// <summary>The learner module's parameters this model was made with (with <see cref="Learner"/>).</summary>
    public Modules.ModuleParameterValues? Parameters { get; init; }
}

/// <summary>One training or scoring row as ML.NET sees it.</summary>
public sealed class FeatureRow
{
    /// <summary>The feature vector (its length is set per model in the schema definition).</summary>
    public float[] Features { get; set; } = [];

    /// <summary>The label of a regression row.</summary>
    public float Label { get; set; }

    /// <summary>The label of a two-class row: true for the positive class.</summary>
    public bool BoolLabel { get; set; }

    /// <summary>The label of a multiclass row: the 0-based class index (ML.NET reads a key field of a class 0-based).</summary>
    public uint KeyLabel { get; set; }

    internal static SchemaDefinition Definition(int features, int classes)
    {
        var definition = SchemaDefinition.Create(typeof(FeatureRow));
        definition[nameof(Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, features);
        definition[nameof(KeyLabel)].ColumnType = new KeyDataViewType(typeof(uint), Math.Max(classes, 1));
        return definition;
    }
}

/// <summary>
/// A trained model (Studio's <c>Trained model</c>): the featurizer, the ML.NET model and what the label looked like,
/// so scoring returns label values of the training data's type.
/// </summary>
public sealed class TrainedModel
{
    /// <summary>The names of the score columns, as Studio (classic) wrote them.</summary>
    public const string ScoredLabels = "Scored Labels";
    public const string ScoredProbabilities = "Scored Probabilities";
    public const string Assignments = "Assignments";

    /// <summary>The learner name of an imported ONNX model.</summary>
    public const string OnnxLearner = "ONNX model";

    private readonly MLContext? _ml;
    private readonly ITransformer? _model;
    private readonly OnnxModel? _onnx;

    internal TrainedModel(string learnerName, ModelKind kind, Featurizer featurizer, string? labelName, ColumnType labelType,
        IReadOnlyList<object> classes, MLContext ml, ITransformer model)
    {
        LearnerName = learnerName;
        Kind = kind;
        Featurizer = featurizer;
        LabelName = labelName;
        LabelType = labelType;
        Classes = classes;
        _ml = ml;
        _model = model;
    }

    /// <summary>An imported ONNX model.</summary>
    internal TrainedModel(OnnxModel onnx)
    {
        _onnx = onnx ?? throw new ArgumentNullException(nameof(onnx));
        LearnerName = OnnxLearner;
        Kind = ModelKind.Onnx;
        Featurizer = new Featurizer([]);
        LabelType = ColumnType.String;
        Classes = [];
    }

    /// <summary>The ONNX model of an imported model; null for a model trained by Train Model.</summary>
    public OnnxModel? Onnx => _onnx;

    /// <summary>The columns the model reads: its feature columns, or an ONNX model's inputs.</summary>
    public IReadOnlyList<string> InputColumns => _onnx is not null ? _onnx.Inputs.Select(i => i.Name).ToArray() : Featurizer.Columns.Select(c => c.Name).ToArray();

    /// <summary>
    /// The slots of the feature vector (<c>Features</c>) an exported ONNX model takes, in order: a numeric or Boolean
    /// column is one slot of its name, a String or categorical column one 0/1 slot per training value (<c>name=value</c>).
    /// </summary>
    public IReadOnlyList<string> FeatureSlots => Featurizer.Columns
        .SelectMany(c => c.Categories is null ? [c.Name] : c.Categories.Select(v => $"{c.Name}={CellText.Format(v)}"))
        .ToArray();

    /// <summary>The learner, e.g. <c>Two-Class Boosted Decision Tree</c>.</summary>
    public string LearnerName { get; }

    /// <summary>What it predicts.</summary>
    public ModelKind Kind { get; }

    /// <summary>How rows become features.</summary>
    public Featurizer Featurizer { get; }

    /// <summary>The label column of the training data (null for clustering).</summary>
    public string? LabelName { get; }

    /// <summary>The label's type (Double for regression).</summary>
    public ColumnType LabelType { get; }

    /// <summary>Two-class: the negative then the positive label value; multiclass: the classes in order; otherwise empty.</summary>
    public IReadOnlyList<object> Classes { get; }

    /// <summary>The name of the probability column of a multiclass class: <c>Scored Probabilities for Class "x"</c>.</summary>
    public static string ClassProbabilityColumn(object value) => $"{ScoredProbabilities} for Class \"{CellText.Format(value)}\"";

    /// <summary>
    /// Scores <paramref name="table"/>: two-class appends <c>Scored Labels</c> (positive when the probability is above
    /// 0.5) and <c>Scored Probabilities</c>; multiclass
    /// one <c>Scored Probabilities for Class "x"</c> per class then <c>Scored Labels</c>; regression <c>Scored Labels</c>;
    /// clustering <c>Assignments</c> (the 0-based cluster). Without <paramref name="append"/>, only the score columns.
    /// The label column, when present, is marked as the label for Evaluate Model.
    /// </summary>
    /// <exception cref="StudioModuleException">Error 0001 when a feature column is missing, 0017 when its type changed.</exception>
    public DataTable Score(DataTable table, bool append = true)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (_onnx is not null)
        {
            return _onnx.Score(table, append);
        }

        var indices = Featurizer.Bind(table.Schema);
        var rows = new FeatureRow[table.RowCount];
        for (var r = 0; r < rows.Length; r++)
        {
            rows[r] = new FeatureRow { Features = Featurizer.Featurize(table, indices, r) };
        }

        var predictions = rows.Length <= EngineRows ? PredictEach(rows) : PredictAll(rows);
        var output = append ? table.ToColumnList() : [];
        var taken = new HashSet<string>(output.Select(c => c.Schema.Name), StringComparer.Ordinal);
        void Add(string name, ColumnType type, IEnumerable<object?> values)
        {
            var builder = DataColumnBuilder.Create(type, rows.Length);
            foreach (var value in values)
            {
                builder.AppendValue(value);
            }

            var unique = name;
            for (var n = 2; taken.Contains(unique); n++)
            {
                unique = $"{name} ({n})";
            }

            taken.Add(unique);
            output.Add((new ColumnSchema(unique, type), builder.Build(), ColumnMetadata.Default));
        }

        switch (Kind)
        {
            case ModelKind.TwoClass:
                // The label follows the probability at the 0.5 threshold (a calibrator may move it off the raw score's sign).
                var probability = predictions.Probability!;
                Add(ScoredLabels, LabelType, probability.Select(p => (object?)Classes[p > 0.5f ? 1 : 0]));
                Add(ScoredProbabilities, ColumnType.Double, probability.Select(p => (object?)(double)p));
                break;
            case ModelKind.Multiclass:
                var scores = predictions.Scores!;
                for (var k = 0; k < Classes.Count; k++)
                {
                    Add(ClassProbabilityColumn(Classes[k]), ColumnType.Double, scores.Select(s => (object?)(double)s[k]));
                }

                Add(ScoredLabels, LabelType, scores.Select(s => (object?)Classes[ArgMax(s)]));
                break;
            case ModelKind.Regression:
                Add(ScoredLabels, ColumnType.Double, predictions.Score!.Select(s => (object?)(double)s));
                break;
            default:
                Add(Assignments, ColumnType.Int32, predictions.Cluster!.Select(k => (object?)(int)(k - 1)));
                break;
        }

        if (append && LabelName is not null && table.Schema.IndexOf(LabelName) is var label and >= 0)
        {
            output[label] = (output[label].Schema, output[label].Column, output[label].Metadata with { Role = ColumnRole.Label });
        }

        return DataTable.Create(output);
    }

    /// <summary>
    /// Up to this many rows (an RRS request's), rows are scored one by one through pooled ML.NET prediction engines:
    /// building a data view and a transform per call costs about half a millisecond, an engine's prediction microseconds.
    /// </summary>
    internal const int EngineRows = 32;

    private readonly System.Collections.Concurrent.ConcurrentBag<PredictionEngine<FeatureRow, Prediction>> _engines = [];

    /// <summary>What the ML.NET model gives per row, by kind: the probability, the class scores, the score or the cluster key.</summary>
    private sealed record Predictions(float[]? Probability = null, float[][]? Scores = null, float[]? Score = null, uint[]? Cluster = null);

    /// <summary>One row's prediction columns (those of the model's kind are read; see <see cref="PredictionSchema"/>).</summary>
    private sealed class Prediction
    {
        public float Probability { get; set; }

        public float[] Scores { get; set; } = [];

        public float Score { get; set; }

        public uint PredictedLabel { get; set; }
    }

    private Predictions PredictAll(FeatureRow[] rows)
    {
        var scored = _model!.Transform(_ml!.Data.LoadFromEnumerable(rows, FeatureRow.Definition(Featurizer.Length, Classes.Count)));
        return Kind switch
        {
            ModelKind.TwoClass => new Predictions(Probability: scored.GetColumn<float>("Probability").ToArray()),
            ModelKind.Multiclass => new Predictions(Scores: scored.GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray()),
            ModelKind.Regression => new Predictions(Score: scored.GetColumn<float>("Score").ToArray()),
            _ => new Predictions(Cluster: scored.GetColumn<uint>("PredictedLabel").ToArray()),
        };
    }

    private Predictions PredictEach(FeatureRow[] rows)
    {
        if (!_engines.TryTake(out var engine))
        {
            engine = _ml!.Model.CreatePredictionEngine<FeatureRow, Prediction>(_model!, ignoreMissingColumns: true,
                FeatureRow.Definition(Featurizer.Length, Classes.Count), PredictionSchema());
        }

        try
        {
            var one = new Prediction();
            switch (Kind)
            {
                case ModelKind.TwoClass:
                    var probability = new float[rows.Length];
                    for (var r = 0; r < rows.Length; r++)
                    {
                        engine.Predict(rows[r], ref one);
                        probability[r] = one.Probability;
                    }

                    return new Predictions(Probability: probability);
                case ModelKind.Multiclass:
                    var scores = new float[rows.Length][];
                    for (var r = 0; r < rows.Length; r++)
                    {
                        engine.Predict(rows[r], ref one);
                        scores[r] = one.Scores.ToArray();
                    }

                    return new Predictions(Scores: scores);
                case ModelKind.Regression:
                    var score = new float[rows.Length];
                    for (var r = 0; r < rows.Length; r++)
                    {
                        engine.Predict(rows[r], ref one);
                        score[r] = one.Score;
                    }

                    return new Predictions(Score: score);
                default:
                    var cluster = new uint[rows.Length];
                    for (var r = 0; r < rows.Length; r++)
                    {
                        engine.Predict(rows[r], ref one);
                        cluster[r] = one.PredictedLabel;
                    }

                    return new Predictions(Cluster: cluster);
            }
        }
        finally
        {
            _engines.Add(engine);
        }
    }

    /// <summary>The prediction columns of the model's kind: the others are left out of the engine's output.</summary>
    private SchemaDefinition PredictionSchema()
    {
        var definition = SchemaDefinition.Create(typeof(Prediction));
        var keep = Kind switch
        {
            ModelKind.TwoClass => nameof(Prediction.Probability),
            ModelKind.Multiclass => nameof(Prediction.Scores),
            ModelKind.Regression => nameof(Prediction.Score),
            _ => nameof(Prediction.PredictedLabel),
        };
        foreach (var column in definition.Where(c => c.MemberName != keep).ToArray())
        {
            definition.Remove(column);
        }

        if (Kind == ModelKind.Multiclass)
        {
            definition[0].ColumnName = "Score";
        }

        return definition;
    }

    /// <summary>Writes the ML.NET model (see <see cref="TrainedModelFile"/>).</summary>
    internal void SaveMlNet(Stream stream)
    {
        var ml = _ml ?? throw new InvalidOperationException("An ONNX model is saved as its .onnx file.");
        var schema = ml.Data.LoadFromEnumerable(Array.Empty<FeatureRow>(), FeatureRow.Definition(Featurizer.Length, Classes.Count)).Schema;
        ml.Model.Save(_model, schema, stream);
    }

    /// <summary>
    /// Writes the ML.NET model as ONNX (Microsoft.ML.OnnxConverter). The ONNX model takes the feature vector,
    /// <c>Features</c> (float[N, <see cref="FeatureSlots"/>]), and gives ML.NET's prediction columns, named
    /// <c>{column}.output</c>: two-class <c>PredictedLabel</c> (bool), <c>Score</c> and <c>Probability</c>; multiclass
    /// <c>PredictedLabel</c> (1-based class key) and <c>Score</c> (one probability per class); regression <c>Score</c>;
    /// clustering <c>PredictedLabel</c> (the 0-based cluster, as <c>Assignments</c>) and <c>Score</c> (distances).
    /// </summary>
    /// <exception cref="StudioModuleException">Error 0039 when the model is an imported ONNX model or the converter cannot export it.</exception>
    internal void ExportOnnx(Stream stream)
    {
        if (_ml is null || _model is null)
        {
            throw new StudioModuleException(ModuleErrors.OperationNotSupported("The model is an imported ONNX model: download the file it was imported from."));
        }

        var definition = SchemaDefinition.Create(typeof(FeatureVector));
        definition[nameof(FeatureVector.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Featurizer.Length);
        var input = _ml.Data.LoadFromEnumerable(Array.Empty<FeatureVector>(), definition);
        try
        {
            // The prediction columns only (the converter would echo the Features input as an output too).
            var schema = _model.GetOutputSchema(input.Schema);
            var outputs = new[] { "PredictedLabel", "Score", "Probability" }.Where(c => schema.GetColumnOrNull(c) is not null).ToArray();
            _ml.Model.ConvertToOnnx(_model, input, stream, outputs);
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or ArgumentException or NotImplementedException)
        {
            throw new StudioModuleException(ModuleErrors.OperationNotSupported($"\"{LearnerName}\" cannot be exported to ONNX: {ex.Message}"));
        }
    }

    /// <summary>The only input of an exported ONNX model.</summary>
    public sealed class FeatureVector
    {
        public float[] Features { get; set; } = [];
    }

    private static int ArgMax(float[] values)
    {
        var best = 0;
        for (var k = 1; k < values.Length; k++)
        {
            if (values[k] > values[best])
            {
                best = k;
            }
        }

        return best;
    }
}
