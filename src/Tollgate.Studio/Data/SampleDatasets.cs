using System.Runtime.CompilerServices;
using System.Text;

namespace Tollgate.Studio.Data;

/// <summary>
/// Datasets shipped with Tollgate, generated deterministically at run time (nothing is downloaded).
/// </summary>
public static class SampleDatasets
{
    /// <summary>The name of the book reviews sample, after the original's "Book Reviews from Amazon".</summary>
    public const string BookReviewsName = "Book Reviews from Amazon";

    /// <summary>The number of rows of the book reviews sample.</summary>
    public const int BookReviewsRowCount = 5000;

    /// <summary>The seed of the book reviews generator; the same seed gives the same rows on every run and machine.</summary>
    public const int BookReviewsSeed = 20140612;

    private static readonly string[] Openings =
    [
        "This book", "The story", "This novel", "The author's new novel", "This one", "The first book in the series",
        "This memoir", "The sequel", "This thriller", "The audiobook version", "My book club's pick this month",
        "This cookbook", "The plot", "This collection of short stories", "The kindle edition", "This children's book",
    ];

    private static readonly string[][] ByRating =
    [
        // 1 star
        [
            "was a waste of time", "is boring and badly written", "never gets going", "has flat characters and a silly plot",
            "was a disappointment", "lost me after fifty pages", "is full of typos", "does not deserve the hype",
        ],

        // 2 stars
        [
            "was slow in the middle", "has a weak ending", "could have been much shorter", "was not what I expected",
            "has some good moments but drags", "has forced dialogue",
        ],

        // 3 stars
        [
            "was an okay read", "is fine for a long flight", "has a good idea but uneven writing", "was neither good nor bad",
            "kept me reading but did not stay with me", "is average at best",
        ],

        // 4 stars
        [
            "was a good read", "has likeable characters", "kept me turning the pages", "is well written and funny",
            "was a pleasant surprise", "made me think about my own family",
        ],

        // 5 stars
        [
            "is a wonderful story", "is one of the best books I have read this year", "is beautifully written", "made me laugh and cry",
            "is a great gift", "has characters I will never forget", "is a masterpiece", "is highly recommended",
        ],
    ];

    private static readonly string[] Closings =
    [
        "", "", "I loved this book.", "Highly recommended.", "Would not recommend.", "I will read the sequel.", "Five stars from me!", "Just my opinion.",
        "The audiobook is also good.", "Not for everyone.", "Thanks to the publisher for an early copy.", "This is a good day to read it.",
    ];

    private static readonly int[] RatingWeights = [8, 7, 12, 28, 45];

    /// <summary>The columns of the book reviews sample: <c>Col1</c> the rating (Int32, 1–5) then <c>Col2</c> the review text (String).</summary>
    public static DataSchema BookReviewsSchema { get; } =
        new(new ColumnSchema("Col1", ColumnType.Int32), new ColumnSchema("Col2", ColumnType.String));

    /// <summary>The metadata of the book reviews sample.</summary>
    public static Dataset BookReviewsDataset { get; } = new(BookReviewsName, BookReviewsSchema, BookReviewsRowCount, null);

    /// <summary>
    /// Streams the book reviews sample: <see cref="BookReviewsRowCount"/> deterministic rows in batches of
    /// <paramref name="batchSize"/>. The ratings lean positive, as on Amazon, and the text's sentiment follows the rating.
    /// </summary>
    public static async IAsyncEnumerable<DataBatch> BookReviews(int batchSize = DataBatch.DefaultSize, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var random = new Random(BookReviewsSeed);
        var ratings = new ValueColumnBuilder<int>(batchSize, CellText.TryParseInt32);
        var texts = new StringColumnBuilder(batchSize);
        var text = new StringBuilder();
        for (var row = 0; row < BookReviewsRowCount; row++)
        {
            var rating = PickRating(random);
            text.Clear().Append(Pick(random, Openings)).Append(' ').Append(Pick(random, ByRating[rating - 1]));
            if (random.Next(3) == 0)
            {
                var neighbour = Math.Clamp(rating + random.Next(-1, 2), 1, 5);
                text.Append(", and it ").Append(Pick(random, ByRating[neighbour - 1]));
            }

            text.Append('.');
            var closing = Pick(random, Closings);
            if (closing.Length > 0)
            {
                text.Append(' ').Append(closing);
            }

            ratings.Append(rating);
            texts.Append(text.ToString());
            if (ratings.Count == batchSize || row == BookReviewsRowCount - 1)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return new DataBatch(BookReviewsSchema, [ratings.Build(), texts.Build()]);
                await Task.Yield();
            }
        }
    }

    private static string Pick(Random random, string[] choices) => choices[random.Next(choices.Length)];

    private static int PickRating(Random random)
    {
        var roll = random.Next(100);
        for (var i = 0; i < RatingWeights.Length; i++)
        {
            roll -= RatingWeights[i];
            if (roll < 0)
            {
                return i + 1;
            }
        }

        return 5;
    }

    /// <summary>The name of the census sample, after Studio's "Adult Census Income Binary Classification dataset".</summary>
    public const string AdultCensusName = "Adult Census Income Binary Classification dataset";

    /// <summary>The number of rows of the census sample.</summary>
    public const int AdultCensusRowCount = 2000;

    /// <summary>The seed of the census generator.</summary>
    public const int AdultCensusSeed = 19940501;

    private static readonly string[] WorkClasses = ["Private", "Self-emp-not-inc", "Local-gov", "State-gov", "Federal-gov"];
    private static readonly string[] MaritalStatuses = ["Never-married", "Married-civ-spouse", "Divorced", "Separated", "Widowed"];

    /// <summary>
    /// The census sample's columns, named as in the UCI Adult data Studio shipped: <c>age</c>, <c>workclass</c>,
    /// <c>education-num</c>, <c>marital-status</c>, <c>sex</c>, <c>hours-per-week</c> and the label <c>income</c>
    /// (<c>&lt;=50K</c> / <c>&gt;50K</c>).
    /// </summary>
    public static DataSchema AdultCensusSchema { get; } = new(
        new ColumnSchema("age", ColumnType.Int32), new ColumnSchema("workclass", ColumnType.String), new ColumnSchema("education-num", ColumnType.Int32),
        new ColumnSchema("marital-status", ColumnType.String), new ColumnSchema("sex", ColumnType.String), new ColumnSchema("hours-per-week", ColumnType.Int32),
        new ColumnSchema("income", ColumnType.String));

    /// <summary>
    /// Streams the census sample: <see cref="AdultCensusRowCount"/> synthetic rows (not the UCI records), generated from
    /// <see cref="AdultCensusSeed"/>. The chance of <c>&gt;50K</c> is a logistic function of age, education, hours, being
    /// married and self-employment, so a two-class learner finds a real but imperfect signal (an AUC well above 0.5, below 1).
    /// </summary>
    public static async IAsyncEnumerable<DataBatch> AdultCensus(int batchSize = DataBatch.DefaultSize, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var random = new Random(AdultCensusSeed);
        var builder = new DataBatchBuilder(AdultCensusSchema, batchSize);
        for (var row = 0; row < AdultCensusRowCount; row++)
        {
            var age = 17 + random.Next(58);
            var work = Pick(random, WorkClasses);
            var education = Math.Clamp(9 + (int)Math.Round((random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5) * 5), 1, 16);
            var marital = age < 25 && random.Next(3) > 0 ? "Never-married" : Pick(random, MaritalStatuses);
            var sex = random.Next(3) == 0 ? "Female" : "Male";
            var hours = Math.Clamp(40 + (int)Math.Round((random.NextDouble() - 0.5) * 40), 5, 90);
            var score = -9.0 + 0.045 * Math.Min(age, 60) + 0.33 * education + 0.04 * hours
                + (marital == "Married-civ-spouse" ? 1.6 : 0) + (work == "Self-emp-not-inc" ? 0.4 : 0) + (random.NextDouble() - 0.5) * 2;
            var income = random.NextDouble() < 1 / (1 + Math.Exp(-score)) ? ">50K" : "<=50K";
            builder.AppendRow(age, work, education, marital, sex, hours, income);
            if (builder.RowCount == batchSize || row == AdultCensusRowCount - 1)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return builder.Build();
                builder = new DataBatchBuilder(AdultCensusSchema, batchSize);
                await Task.Yield();
            }
        }
    }
}
