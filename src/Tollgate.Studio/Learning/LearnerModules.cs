using Microsoft.ML;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.Tables;

namespace Tollgate.Studio.Learning;

/// <summary>
/// The values Tune Model Hyperparameters tries for one learner parameter (Studio's "Parameter Range" of the learner,
/// here a built-in range per learner: docs/studio-modules.md lists them).
/// </summary>
/// <param name="Parameter">The classic parameter name, e.g. <c>L2 regularization weight</c>.</param>
/// <param name="Values">The values to try (int for an Int parameter, double for a Double one).</param>
public sealed record SweepRange(string Parameter, IReadOnlyList<object> Values);

/// <summary>
/// A learner module of Machine Learning / Initialize Model: no input, one <c>Untrained model</c> output, the classic
/// parameters mapped to an ML.NET trainer's options (docs/studio-modules.md lists the mapping).
/// </summary>
public sealed class LearnerModule : TableModule
{
    /// <summary>The classic name of the seed parameter, common to every learner.</summary>
    public const string SeedParameter = "Random number seed";

    private readonly ModelKind _kind;
    private readonly Func<ModuleParameterValues, Func<MLContext, IEstimator<ITransformer>>> _trainer;

    private LearnerModule(string name, string category, string description, ModelKind kind, IEnumerable<ModuleParameter> parameters,
        Func<ModuleParameterValues, Func<MLContext, IEstimator<ITransformer>>> trainer, IReadOnlyList<SweepRange>? sweep = null)
    {
        _kind = kind;
        _trainer = trainer;
        SweepRanges = sweep ?? [];
        Definition = new ModuleDefinition(name, category, description,
            parameters.Append(new ModuleParameter(SeedParameter, ModuleParameterType.Int, 0, 0, Description: "Seeds the learner's random numbers; a seed gives the same model every time.")),
            [],
            [new ModulePort("Untrained model", PortDirection.Output, ModulePort.UntrainedModel)]);
    }

    /// <inheritdoc />
    public override ModuleDefinition Definition { get; }

    /// <summary>The parameters Tune Model Hyperparameters sweeps, and the values it tries for each (none for clustering).</summary>
    public IReadOnlyList<SweepRange> SweepRanges { get; }

    /// <summary>Two-Class Logistic Regression → <c>LbfgsLogisticRegressionBinaryTrainer</c>.</summary>
    public static LearnerModule TwoClassLogisticRegression { get; } = new(
        "Two-Class Logistic Regression", "Machine Learning / Initialize Model / Classification", "Creates a two-class logistic regression model.",
        ModelKind.TwoClass, LogisticParameters(), p => ml => Normalized(ml).Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options
        {
            LabelColumnName = nameof(FeatureRow.BoolLabel),
            FeatureColumnName = nameof(FeatureRow.Features),
            OptimizationTolerance = (float)p.GetDouble("Optimization tolerance"),
            L1Regularization = (float)p.GetDouble("L1 regularization weight"),
            L2Regularization = (float)p.GetDouble("L2 regularization weight"),
            HistorySize = p.GetInt32("Memory size for L-BFGS"),
            NumberOfThreads = 1,
        })), LogisticSweep);

    /// <summary>Multiclass Logistic Regression → <c>LbfgsMaximumEntropyMulticlassTrainer</c>.</summary>
    public static LearnerModule MulticlassLogisticRegression { get; } = new(
        "Multiclass Logistic Regression", "Machine Learning / Initialize Model / Classification", "Creates a multiclass logistic regression classification model.",
        ModelKind.Multiclass, LogisticParameters(), p => ml => Normalized(ml).Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
        {
            LabelColumnName = nameof(FeatureRow.KeyLabel),
            FeatureColumnName = nameof(FeatureRow.Features),
            OptimizationTolerance = (float)p.GetDouble("Optimization tolerance"),
            L1Regularization = (float)p.GetDouble("L1 regularization weight"),
            L2Regularization = (float)p.GetDouble("L2 regularization weight"),
            HistorySize = p.GetInt32("Memory size for L-BFGS"),
            NumberOfThreads = 1,
        })), LogisticSweep);

    /// <summary>The boosted tree learners' parameters (Studio names the tree count differently for classification and regression).</summary>
    private static ModuleParameter[] BoostedTreeParameters(string treesParameter) =>
    [
        new ModuleParameter("Maximum number of leaves per tree", ModuleParameterType.Int, 20, 2, 131072),
        new ModuleParameter("Minimum number of samples per leaf node", ModuleParameterType.Int, 10, 1),
        new ModuleParameter("Learning rate", ModuleParameterType.Double, 0.2, 0, 1, MinExclusive: true),
        new ModuleParameter(treesParameter, ModuleParameterType.Int, 100, 1, 100000),
    ];

    /// <summary>Sets FastTree's options from the boosted tree parameters: seeded and single-threaded, so a seed gives one model.</summary>
    private static TOptions BoostedTree<TOptions>(TOptions options, ModuleParameterValues p, string treesParameter)
        where TOptions : Microsoft.ML.Trainers.FastTree.BoostedTreeOptions
    {
        options.FeatureColumnName = nameof(FeatureRow.Features);
        options.NumberOfLeaves = p.GetInt32("Maximum number of leaves per tree");
        options.MinimumExampleCountPerLeaf = p.GetInt32("Minimum number of samples per leaf node");
        options.LearningRate = p.GetDouble("Learning rate");
        options.NumberOfTrees = p.GetInt32(treesParameter);
        options.Seed = p.GetInt32(SeedParameter);
        options.NumberOfThreads = 1;
        return options;
    }

    /// <summary>Two-Class Boosted Decision Tree → <c>FastTreeBinaryTrainer</c>.</summary>
    public static LearnerModule TwoClassBoostedDecisionTree { get; } = new(
        "Two-Class Boosted Decision Tree", "Machine Learning / Initialize Model / Classification", "Creates a binary classifier using a boosted decision tree algorithm.",
        ModelKind.TwoClass,
        BoostedTreeParameters("Number of trees constructed"),
        p => ml => ml.BinaryClassification.Trainers.FastTree(
            BoostedTree(new FastTreeBinaryTrainer.Options { LabelColumnName = nameof(FeatureRow.BoolLabel) }, p, "Number of trees constructed")),
        BoostedTreeSweep("Number of trees constructed"));

    /// <summary>The decision forests' parameters, with Studio (classic)'s names and defaults.</summary>
    private static ModuleParameter[] DecisionForestParameters() =>
    [
        new ModuleParameter(ResamplingParameter, ModuleParameterType.Enum, Bagging, EnumValues: [Bagging, Replicate],
            Description: "Bagging: each tree learns from its own sample of the rows; Replicate: every tree learns from all of them."),
        new ModuleParameter("Number of decision trees", ModuleParameterType.Int, 8, 1, 1000),
        new ModuleParameter("Maximum depth of the decision trees", ModuleParameterType.Int, 32, 1, 64,
            Description: "Bounds a tree's leaves to 2^depth (at most 131072): FastTree grows trees leaf by leaf, not level by level."),
        new ModuleParameter("Number of random splits per node", ModuleParameterType.Int, 128, 1, 65535,
            Description: "The candidate thresholds per feature at a node (FastTree's bins per feature, minus one)."),
        new ModuleParameter("Minimum number of samples per leaf node", ModuleParameterType.Int, 1, 1),
        new ModuleParameter(AllowUnknownParameter, ModuleParameterType.Boolean, true,
            Description: "A categorical value not seen in training gives zeros for its column's features; False is not offered."),
    ];

    private const string ResamplingParameter = "Resampling method";
    private const string Bagging = "Bagging";
    private const string Replicate = "Replicate";
    private const string AllowUnknownParameter = "Allow unknown values for categorical features";

    /// <summary>
    /// The FastForest binary trainer of the decision forest parameters: seeded and single-threaded, so a seed gives one
    /// model. Bagging gives each tree its own bag (<c>BaggingSize</c> 1) of <c>BaggingExampleFraction</c> 0.632 of the
    /// rows, the share of distinct rows in a bootstrap sample; Replicate trains every tree on all rows, the trees then
    /// differing by the features drawn at each node.
    /// </summary>
    private static FastForestBinaryTrainer.Options DecisionForest(ModuleParameterValues p, string labelColumn)
    {
        if (!p.GetBoolean(AllowUnknownParameter))
        {
            throw new StudioModuleException(ModuleErrors.OperationNotSupported(
                $"\"{AllowUnknownParameter}\" False is not offered: a categorical value not seen in training always gives zeros."));
        }

        var bagging = p.GetString(ResamplingParameter) != Replicate;
        return new FastForestBinaryTrainer.Options
        {
            LabelColumnName = labelColumn,
            FeatureColumnName = nameof(FeatureRow.Features),
            NumberOfTrees = p.GetInt32("Number of decision trees"),
            NumberOfLeaves = 1 << Math.Min(p.GetInt32("Maximum depth of the decision trees"), 17),
            MaximumBinCountPerFeature = p.GetInt32("Number of random splits per node") + 1,
            MinimumExampleCountPerLeaf = p.GetInt32("Minimum number of samples per leaf node"),
            BaggingSize = bagging ? 1 : 0,
            BaggingExampleFraction = 0.632,
            // Studio's trees could split on any feature (FastForest's default keeps 70% of them per tree), each node
            // choosing among random candidates: here 70% of the features, drawn per node.
            FeatureFraction = 1,
            FeatureFractionPerSplit = 0.7,
            // FastTree keeps a histogram per open leaf; a bounded pool keeps deep trees' memory small.
            HistogramPoolSize = 64,
            Seed = p.GetInt32(SeedParameter),
            FeatureSelectionSeed = p.GetInt32(SeedParameter),
            NumberOfThreads = 1,
        };
    }

    /// <summary>Two-Class Decision Forest → <c>FastForestBinaryTrainer</c>, Platt-calibrated for Scored Probabilities.</summary>
    public static LearnerModule TwoClassDecisionForest { get; } = new(
        "Two-Class Decision Forest", "Machine Learning / Initialize Model / Classification", "Creates a two-class classification model using the decision forest algorithm.",
        ModelKind.TwoClass,
        DecisionForestParameters(),
        p =>
        {
            var options = DecisionForest(p, nameof(FeatureRow.BoolLabel));
            return ml => ml.BinaryClassification.Trainers.FastForest(options).Append(Calibrated(ml));
        },
        DecisionForestSweep);

    /// <summary>
    /// Multiclass Decision Forest → one-versus-all (<c>OneVersusAllTrainer</c>) over <c>FastForestBinaryTrainer</c>, each
    /// class's forest Platt-calibrated and the class probabilities normalized to sum to 1 (ML.NET has no multiclass forest).
    /// </summary>
    public static LearnerModule MulticlassDecisionForest { get; } = new(
        "Multiclass Decision Forest", "Machine Learning / Initialize Model / Classification", "Creates a multiclass classification model using the decision forest algorithm.",
        ModelKind.Multiclass,
        DecisionForestParameters(),
        p =>
        {
            var options = DecisionForest(p, nameof(FeatureRow.KeyLabel));
            return ml => ml.MulticlassClassification.Trainers.OneVersusAll(
                ml.BinaryClassification.Trainers.FastForest(options), nameof(FeatureRow.KeyLabel), useProbabilities: true);
        },
        DecisionForestSweep);

    /// <summary>Two-Class Averaged Perceptron → <c>AveragedPerceptronTrainer</c>, Platt-calibrated for Scored Probabilities.</summary>
    public static LearnerModule TwoClassAveragedPerceptron { get; } = new(
        "Two-Class Averaged Perceptron", "Machine Learning / Initialize Model / Classification", "Creates an averaged perceptron binary classification model.",
        ModelKind.TwoClass,
        [
            new ModuleParameter("Learning rate", ModuleParameterType.Double, 1.0, 0, MinExclusive: true),
            new ModuleParameter("Maximum number of iterations", ModuleParameterType.Int, 10, 1),
        ],
        p => ml => Normalized(ml).Append(ml.BinaryClassification.Trainers.AveragedPerceptron(new AveragedPerceptronTrainer.Options
        {
            LabelColumnName = nameof(FeatureRow.BoolLabel),
            FeatureColumnName = nameof(FeatureRow.Features),
            LearningRate = (float)p.GetDouble("Learning rate"),
            NumberOfIterations = p.GetInt32("Maximum number of iterations"),
        })).Append(Calibrated(ml)),
        [new SweepRange("Learning rate", [0.1, 0.5, 1.0]), new SweepRange("Maximum number of iterations", [1, 10])]);

    /// <summary>Two-Class Support Vector Machine → <c>LinearSvmTrainer</c>, Platt-calibrated for Scored Probabilities.</summary>
    public static LearnerModule TwoClassSupportVectorMachine { get; } = new(
        "Two-Class Support Vector Machine", "Machine Learning / Initialize Model / Classification", "Creates a binary classification model using the Support Vector Machine algorithm.",
        ModelKind.TwoClass,
        [
            new ModuleParameter("Number of iterations", ModuleParameterType.Int, 1, 1),
            new ModuleParameter("Lambda", ModuleParameterType.Double, 0.001, 0, MinExclusive: true),
            new ModuleParameter("Normalize features", ModuleParameterType.Boolean, true),
            new ModuleParameter("Project to the unit-sphere", ModuleParameterType.Boolean, false),
        ],
        p => ml =>
        {
            var trainer = ml.BinaryClassification.Trainers.LinearSvm(new LinearSvmTrainer.Options
            {
                LabelColumnName = nameof(FeatureRow.BoolLabel),
                FeatureColumnName = nameof(FeatureRow.Features),
                NumberOfIterations = p.GetInt32("Number of iterations"),
                Lambda = (float)p.GetDouble("Lambda"),
                PerformProjection = p.GetBoolean("Project to the unit-sphere"),
            });
            return p.GetBoolean("Normalize features")
                ? Normalized(ml).Append(trainer).Append(Calibrated(ml))
                : trainer.Append(Calibrated(ml));
        },
        [new SweepRange("Number of iterations", [1, 10, 100]), new SweepRange("Lambda", [0.00001, 0.0001, 0.001, 0.01, 0.1])]);

    /// <summary>Boosted Decision Tree Regression → <c>FastTreeRegressionTrainer</c>.</summary>
    public static LearnerModule BoostedDecisionTreeRegression { get; } = new(
        "Boosted Decision Tree Regression", "Machine Learning / Initialize Model / Regression", "Creates a regression model using the Boosted Decision Tree algorithm.",
        ModelKind.Regression,
        BoostedTreeParameters("Total number of trees constructed"),
        p => ml => ml.Regression.Trainers.FastTree(
            BoostedTree(new FastTreeRegressionTrainer.Options { LabelColumnName = nameof(FeatureRow.Label) }, p, "Total number of trees constructed")),
        BoostedTreeSweep("Total number of trees constructed"));

    /// <summary>Poisson Regression → <c>LbfgsPoissonRegressionTrainer</c>.</summary>
    public static LearnerModule PoissonRegression { get; } = new(
        "Poisson Regression", "Machine Learning / Initialize Model / Regression", "Creates a regression model that assumes data has a Poisson distribution.",
        ModelKind.Regression, LogisticParameters(), p => ml => Normalized(ml).Append(ml.Regression.Trainers.LbfgsPoissonRegression(new LbfgsPoissonRegressionTrainer.Options
        {
            LabelColumnName = nameof(FeatureRow.Label),
            FeatureColumnName = nameof(FeatureRow.Features),
            OptimizationTolerance = (float)p.GetDouble("Optimization tolerance"),
            L1Regularization = (float)p.GetDouble("L1 regularization weight"),
            L2Regularization = (float)p.GetDouble("L2 regularization weight"),
            HistorySize = p.GetInt32("Memory size for L-BFGS"),
            NumberOfThreads = 1,
        })), LogisticSweep);

    /// <summary>Linear Regression, solution method Online Gradient Descent → <c>OnlineGradientDescentTrainer</c>.</summary>
    public static LearnerModule LinearRegression { get; } = new(
        "Linear Regression", "Machine Learning / Initialize Model / Regression", "Creates a linear regression model.",
        ModelKind.Regression,
        [
            new ModuleParameter("Solution method", ModuleParameterType.Enum, "Online Gradient Descent", EnumValues: ["Online Gradient Descent"],
                Description: "Ordinary Least Squares is not offered: ML.NET's OLS trainer needs Intel MKL (Microsoft.ML.Mkl.Components)."),
            new ModuleParameter("L2 regularization weight", ModuleParameterType.Double, 0.001, 0),
            new ModuleParameter("Learning rate", ModuleParameterType.Double, 0.1, 0, MinExclusive: true),
            new ModuleParameter("Number of training epochs", ModuleParameterType.Int, 10, 1),
            new ModuleParameter("Normalize features", ModuleParameterType.Boolean, true, Description: "Min-max scale the features first."),
            new ModuleParameter("Average final hypothesis", ModuleParameterType.Boolean, true),
            new ModuleParameter("Decrease learning rate", ModuleParameterType.Boolean, true),
        ],
        p => ml =>
        {
            var trainer = ml.Regression.Trainers.OnlineGradientDescent(new OnlineGradientDescentTrainer.Options
            {
                LabelColumnName = nameof(FeatureRow.Label),
                FeatureColumnName = nameof(FeatureRow.Features),
                LearningRate = (float)p.GetDouble("Learning rate"),
                NumberOfIterations = p.GetInt32("Number of training epochs"),
                L2Regularization = (float)p.GetDouble("L2 regularization weight"),
                Averaged = p.GetBoolean("Average final hypothesis"),
                DecreaseLearningRate = p.GetBoolean("Decrease learning rate"),
            });
            return p.GetBoolean("Normalize features")
                ? Normalized(ml).Append(trainer)
                : trainer;
        },
        [
            new SweepRange("Learning rate", [0.025, 0.05, 0.1, 0.2]), new SweepRange("Number of training epochs", [1, 10, 100]),
            new SweepRange("L2 regularization weight", [0.0001, 0.001, 0.01]),
        ]);

    /// <summary>K-Means Clustering → <c>KMeansTrainer</c>.</summary>
    public static LearnerModule KMeansClustering { get; } = new(
        "K-Means Clustering", "Machine Learning / Initialize Model / Clustering", "Configures and initializes a K-means clustering model.",
        ModelKind.Clustering,
        [
            new ModuleParameter("Number of Centroids", ModuleParameterType.Int, 2, 2, 1000),
            new ModuleParameter("Initialization", ModuleParameterType.Enum, "K-Means++", EnumValues: ["K-Means++", "K-Means++ Fast", "Random"]),
            new ModuleParameter("Metric", ModuleParameterType.Enum, "Euclidean", EnumValues: ["Euclidean"]),
            new ModuleParameter("Iterations", ModuleParameterType.Int, 100, 1),
        ],
        p => ml => ml.Clustering.Trainers.KMeans(new KMeansTrainer.Options
        {
            FeatureColumnName = nameof(FeatureRow.Features),
            NumberOfClusters = p.GetInt32("Number of Centroids"),
            InitializationAlgorithm = p.GetString("Initialization") switch
            {
                "Random" => KMeansTrainer.InitializationAlgorithm.Random,
                "K-Means++ Fast" => KMeansTrainer.InitializationAlgorithm.KMeansYinyang,
                _ => KMeansTrainer.InitializationAlgorithm.KMeansPlusPlus,
            },
            MaximumNumberOfIterations = p.GetInt32("Iterations"),
            NumberOfThreads = 1,
        }));

    /// <summary>Every learner.</summary>
    public static IReadOnlyList<LearnerModule> All { get; } =
        [
            TwoClassLogisticRegression, TwoClassBoostedDecisionTree, TwoClassDecisionForest, TwoClassAveragedPerceptron, TwoClassSupportVectorMachine,
            MulticlassLogisticRegression, MulticlassDecisionForest, LinearRegression, BoostedDecisionTreeRegression, PoissonRegression, KMeansClustering,
        ];

    /// <summary>The untrained model of these parameters.</summary>
    public UntrainedModel Create(ModuleParameterValues parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new UntrainedModel(Definition.Name, _kind, parameters.GetInt32(SeedParameter), _trainer(parameters))
        {
            Learner = this,
            Parameters = parameters,
        };
    }

    /// <summary>The untrained model of <paramref name="parameters"/> with some of them replaced by <paramref name="overrides"/>.</summary>
    /// <exception cref="StudioModuleException">An override out of the parameter's range.</exception>
    public UntrainedModel Create(ModuleParameterValues parameters, IReadOnlyDictionary<string, object> overrides)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(overrides);
        var values = parameters.Values.ToDictionary(v => v.Key, v => (object?)v.Value, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in overrides)
        {
            values[name] = value;
        }

        return Create(Definition.Bind(values));
    }

    /// <inheritdoc />
    public override IReadOnlyList<object> Run(IReadOnlyList<object?> inputs, ModuleParameterValues parameters, CancellationToken cancellationToken = default) =>
        [Create(parameters)];

    /// <summary>Min-max scaling of the features, which the linear learners need (Studio's learners normalized automatically).</summary>
    private static IEstimator<ITransformer> Normalized(MLContext ml) =>
        ml.Transforms.NormalizeMinMax(nameof(FeatureRow.Features));

    /// <summary>Platt calibration of a two-class score into the probability of the positive class.</summary>
    private static IEstimator<ITransformer> Calibrated(MLContext ml) =>
        ml.BinaryClassification.Calibrators.Platt(labelColumnName: nameof(FeatureRow.BoolLabel));

    /// <summary>The range Studio's logistic regression learners swept by default.</summary>
    private static SweepRange[] LogisticSweep =>
    [
        new SweepRange("Optimization tolerance", [1e-4, 1e-7]),
        new SweepRange("L1 regularization weight", [0.0, 0.01, 0.1, 1.0]),
        new SweepRange("L2 regularization weight", [0.01, 0.1, 1.0]),
        new SweepRange("Memory size for L-BFGS", [5, 20, 50]),
    ];

    /// <summary>The range Studio's boosted tree learners swept by default.</summary>
    private static SweepRange[] BoostedTreeSweep(string treesParameter) =>
    [
        new SweepRange("Maximum number of leaves per tree", [2, 8, 32, 128]),
        new SweepRange("Minimum number of samples per leaf node", [1, 10, 50]),
        new SweepRange("Learning rate", [0.025, 0.05, 0.1, 0.2, 0.4]),
        new SweepRange(treesParameter, [20, 100, 500]),
    ];

    /// <summary>The range Studio's decision forests swept by default (their Parameter Range defaults).</summary>
    private static SweepRange[] DecisionForestSweep =>
    [
        new SweepRange("Number of decision trees", [1, 8, 32]),
        new SweepRange("Maximum depth of the decision trees", [1, 16, 64]),
        new SweepRange("Number of random splits per node", [1, 128, 1024]),
        new SweepRange("Minimum number of samples per leaf node", [1, 4, 16]),
    ];

    private static ModuleParameter[] LogisticParameters() =>
    [
        new ModuleParameter("Optimization tolerance", ModuleParameterType.Double, 1e-7, 0, MinExclusive: true),
        new ModuleParameter("L1 regularization weight", ModuleParameterType.Double, 1.0, 0),
        new ModuleParameter("L2 regularization weight", ModuleParameterType.Double, 1.0, 0),
        new ModuleParameter("Memory size for L-BFGS", ModuleParameterType.Int, 20, 1),
    ];
}
