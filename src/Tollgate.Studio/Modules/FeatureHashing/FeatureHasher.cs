using System.Text;

namespace Tollgate.Studio.Modules.FeatureHashing;

/// <summary>
/// ML Studio (classic) "Feature Hashing" for one text cell: Vowpal Wabbit tokenisation, <c>hashstring</c>
/// (seed 0, default namespace), contiguous n-grams combined with VW's <c>quadratic_constant</c>, and a bucket
/// index made of the low <c>bits</c> bits. The output is a count per bucket (docs/studio-protocol.md §5.3).
/// </summary>
/// <remarks>
/// <para>Per row the features are all unigrams, then all contiguous bigrams, …, up to <see cref="NGrams"/>. The hash of
/// tokens <c>h[i..i+n-1]</c> is <c>v = h[i]; v = v * 27942141 + h[i+j]</c> for j = 1..n−1, in unsigned 64-bit
/// arithmetic. The bucket is <c>v &amp; (2^bits − 1)</c>, and each feature adds 1 to its bucket, so duplicates and
/// collisions add up.</para>
/// <para>[I] Choices for the points the spec leaves open:</para>
/// <list type="bullet">
/// <item>N-grams = 0 behaves as N-grams = 1 (unigrams only), as the designer re-implementation's <c>max(ngrams, 1)</c> does.</item>
/// <item>A null (missing) or empty cell, or one holding only spaces and tabs, gives all-zero counts. The row is kept, not dropped.</item>
/// <item>Tokenisation details (separators, trimming, non-ASCII, control characters) are those of <see cref="VwTokenizer"/>.</item>
/// </list>
/// <para>An instance reuses its internal UTF-8 and token-hash buffers between calls, so it does not allocate per row
/// once warmed up. It is therefore <b>not</b> thread-safe: use one instance per thread.</para>
/// </remarks>
public sealed class FeatureHasher
{
    /// <summary>Studio display name of the bitsize parameter.</summary>
    public const string HashingBitsizeParameterName = "Hashing bitsize";

    /// <summary>Studio display name of the n-grams parameter.</summary>
    public const string NGramsParameterName = "N-grams";

    /// <summary>Default hashing bitsize (1024 buckets).</summary>
    public const int DefaultHashingBitsize = 10;

    /// <summary>Smallest allowed hashing bitsize.</summary>
    public const int MinHashingBitsize = 1;

    /// <summary>Largest allowed hashing bitsize.</summary>
    public const int MaxHashingBitsize = 31;

    /// <summary>Default n-gram length.</summary>
    public const int DefaultNGrams = 2;

    /// <summary>Smallest allowed n-gram length (0 behaves as 1).</summary>
    public const int MinNGrams = 0;

    /// <summary>Largest allowed n-gram length.</summary>
    public const int MaxNGrams = 10;

    /// <summary>VW's <c>quadratic_constant</c>, used to combine token hashes into n-gram hashes.</summary>
    public const ulong QuadraticConstant = 27942141;

    private byte[] _utf8 = new byte[256];
    private ulong[] _tokenHashes = new ulong[32];

    /// <summary>Creates a hasher, validating the parameters as Studio does.</summary>
    /// <param name="hashingBitsize">Bits of the hash kept, in [1;31]: 2^bits buckets.</param>
    /// <param name="nGrams">Longest n-gram, in [0;10]; all lengths 1..n are produced.</param>
    /// <exception cref="StudioParameterOutOfRangeException">A parameter is out of range.</exception>
    public FeatureHasher(int hashingBitsize = DefaultHashingBitsize, int nGrams = DefaultNGrams)
    {
        ValidateParameters(hashingBitsize, nGrams);
        HashingBitsize = hashingBitsize;
        NGrams = nGrams;
        Mask = (uint)((1UL << hashingBitsize) - 1);
    }

    /// <summary>The hashing bitsize.</summary>
    public int HashingBitsize { get; }

    /// <summary>The n-grams parameter as given (0..10).</summary>
    public int NGrams { get; }

    /// <summary>The longest n-gram actually produced: <c>max(NGrams, 1)</c>.</summary>
    public int EffectiveNGrams => Math.Max(NGrams, 1);

    /// <summary>The number of buckets, 2^<see cref="HashingBitsize"/> (up to 2^31, hence <see cref="long"/>).</summary>
    public long BucketCount => 1L << HashingBitsize;

    /// <summary>The bucket mask, 2^<see cref="HashingBitsize"/> − 1.</summary>
    public uint Mask { get; }

    /// <summary>
    /// Validates the module parameters.
    /// </summary>
    /// <remarks>
    /// [I] Codes and texts follow Studio's module error catalogue. A bitsize below 1 gives Error 0004
    /// (<c>Parameter "Hashing bitsize" should be greater than 0.</c>), the code the module's documentation lists. An
    /// n-gram count below 0 gives Error 0005 (<c>… should be greater than or equal to 0.</c>). A value above the maximum
    /// gives Error 0007 (<c>… should be less than or equal to 31.</c> / <c>10.</c>). Bitsize is checked first.
    /// </remarks>
    /// <exception cref="StudioParameterOutOfRangeException">A parameter is out of range.</exception>
    public static void ValidateParameters(int hashingBitsize, int nGrams)
    {
        if (hashingBitsize < MinHashingBitsize)
        {
            throw new StudioParameterOutOfRangeException(
                nameof(hashingBitsize), hashingBitsize, "0004",
                $"Parameter \"{HashingBitsizeParameterName}\" should be greater than {MinHashingBitsize - 1}.");
        }

        if (hashingBitsize > MaxHashingBitsize)
        {
            throw new StudioParameterOutOfRangeException(
                nameof(hashingBitsize), hashingBitsize, "0007",
                $"Parameter \"{HashingBitsizeParameterName}\" should be less than or equal to {MaxHashingBitsize}.");
        }

        if (nGrams < MinNGrams)
        {
            throw new StudioParameterOutOfRangeException(
                nameof(nGrams), nGrams, "0005",
                $"Parameter \"{NGramsParameterName}\" should be greater than or equal to {MinNGrams}.");
        }

        if (nGrams > MaxNGrams)
        {
            throw new StudioParameterOutOfRangeException(
                nameof(nGrams), nGrams, "0007",
                $"Parameter \"{NGramsParameterName}\" should be less than or equal to {MaxNGrams}.");
        }
    }

    /// <summary>
    /// Hashes one cell into a new dense array of 2^bits counts. This is a convenience method; for streaming, use
    /// <see cref="Hash(ReadOnlySpan{char}, Span{int})"/> with a reused buffer.
    /// </summary>
    /// <param name="text">The cell text; null means a missing value (all zeros).</param>
    /// <exception cref="InvalidOperationException">2^bits exceeds the largest .NET array (bitsize 31); use
    /// <see cref="HashSparse(ReadOnlySpan{char}, Dictionary{int, int})"/>.</exception>
    public int[] Hash(string? text)
    {
        if (BucketCount > Array.MaxLength)
        {
            throw new InvalidOperationException(
                $"A dense array of 2^{HashingBitsize} counts is too large; use {nameof(HashSparse)} for this bitsize.");
        }

        var counts = new int[BucketCount];
        Hash(text.AsSpan(), counts);
        return counts;
    }

    /// <summary>
    /// Hashes one cell into <paramref name="counts"/>. The span is cleared first and must hold exactly 2^bits elements.
    /// </summary>
    /// <param name="text">The cell text; an empty span (which is also what a null string gives) yields all zeros.</param>
    /// <param name="counts">The reusable counts buffer, indexed by bucket.</param>
    /// <exception cref="ArgumentException"><paramref name="counts"/> has the wrong length.</exception>
    public void Hash(ReadOnlySpan<char> text, Span<int> counts)
    {
        if (counts.Length != BucketCount)
        {
            throw new ArgumentException(
                $"The counts buffer must have exactly 2^{HashingBitsize} = {BucketCount} elements.", nameof(counts));
        }

        counts.Clear();
        var sink = new DenseSink(counts);
        Accumulate(text, ref sink);
    }

    /// <summary>Hashes one cell into a new sparse map of bucket → count (only non-zero buckets). Works for every bitsize.</summary>
    /// <param name="text">The cell text; null means a missing value (empty map).</param>
    public Dictionary<int, int> HashSparse(string? text)
    {
        var counts = new Dictionary<int, int>();
        HashSparse(text.AsSpan(), counts);
        return counts;
    }

    /// <summary>Hashes one cell into <paramref name="counts"/> (bucket → count), which is cleared first.</summary>
    /// <param name="text">The cell text.</param>
    /// <param name="counts">The reusable map; after the call it holds only non-zero buckets.</param>
    public void HashSparse(ReadOnlySpan<char> text, Dictionary<int, int> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        counts.Clear();
        var sink = new SparseSink(counts);
        Accumulate(text, ref sink);
    }

    /// <summary>
    /// Appends the bucket of every feature of the cell to <paramref name="buckets"/>, in emission order: unigrams first, then
    /// bigrams, and so on (diagnostics and tests).
    /// </summary>
    internal void CollectBuckets(string? text, List<int> buckets)
    {
        var sink = new ListSink(buckets);
        Accumulate(text.AsSpan(), ref sink);
    }

    /// <summary>Appends the bucket of every feature of the cell to <paramref name="buckets"/> (reused; emission order).</summary>
    internal void CollectBuckets(ReadOnlySpan<char> text, List<int> buckets)
    {
        var sink = new ListSink(buckets);
        Accumulate(text, ref sink);
    }

    private void Accumulate<TSink>(ReadOnlySpan<char> text, ref TSink sink)
        where TSink : IBucketSink, allows ref struct
    {
        if (text.IsEmpty)
        {
            return;
        }

        int maxBytes = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (_utf8.Length < maxBytes)
        {
            _utf8 = new byte[Math.Max(maxBytes, _utf8.Length * 2)];
        }

        int byteCount = Encoding.UTF8.GetBytes(text, _utf8);
        ReadOnlySpan<byte> utf8 = _utf8.AsSpan(0, byteCount);

        int tokenCount = 0;
        foreach (ReadOnlySpan<byte> token in VwTokenizer.Tokenize(utf8))
        {
            if (tokenCount == _tokenHashes.Length)
            {
                Array.Resize(ref _tokenHashes, _tokenHashes.Length * 2);
            }

            _tokenHashes[tokenCount++] = VwTokenizer.HashToken(token);
        }

        ReadOnlySpan<ulong> hashes = _tokenHashes.AsSpan(0, tokenCount);
        uint mask = Mask;
        int maxN = Math.Min(EffectiveNGrams, tokenCount);
        for (int n = 1; n <= maxN; n++)
        {
            for (int i = 0; i + n <= tokenCount; i++)
            {
                ulong v = hashes[i];
                for (int j = 1; j < n; j++)
                {
                    v = unchecked((v * QuadraticConstant) + hashes[i + j]);
                }

                sink.Add((int)((uint)v & mask));
            }
        }
    }

    private interface IBucketSink
    {
        void Add(int bucket);
    }

    private readonly ref struct DenseSink(Span<int> counts) : IBucketSink
    {
        private readonly Span<int> _counts = counts;

        public void Add(int bucket) => _counts[bucket]++;
    }

    private readonly struct SparseSink(Dictionary<int, int> counts) : IBucketSink
    {
        private readonly Dictionary<int, int> _counts = counts;

        public void Add(int bucket)
        {
            System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_counts, bucket, out _)++;
        }
    }

    private readonly struct ListSink(List<int> buckets) : IBucketSink
    {
        private readonly List<int> _buckets = buckets;

        public void Add(int bucket) => _buckets.Add(bucket);
    }
}
