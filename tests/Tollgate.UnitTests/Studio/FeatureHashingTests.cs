using System.Text;
using Tollgate.Studio.Modules.FeatureHashing;

namespace Tollgate.UnitTests.Studio;

public class FeatureHashingTests
{
    private const string GoodDay = "This is a good day";

    // ---------------------------------------------------------------- MurmurHash3

    [Theory]
    [InlineData("", 0u, 0u)]
    [InlineData("", 1u, 0x514E28B7u)]
    [InlineData("", 0xFFFFFFFFu, 0x81F16F39u)]
    [InlineData("hello", 0u, 0x248BFA47u)]
    [InlineData("a", 0u, 0x3C2569B2u)]
    [InlineData("abcd", 0u, 0x43ED676Au)]
    [InlineData("abcde", 0u, 0xE89B9AF6u)]
    public void Murmur_MatchesReferenceCheckValues(string input, uint seed, uint expected)
    {
        Assert.Equal(expected, MurmurHash3.Hash32(Encoding.UTF8.GetBytes(input), seed));
    }

    [Theory]
    [InlineData("This", 2997037087UL)]
    [InlineData("is", 2021799277UL)]
    [InlineData("a", 1009084850UL)]
    [InlineData("good", 115441729UL)]
    [InlineData("day", 3774761357UL)]
    public void HashToken_AppendixATokenHashes(string token, ulong expected)
    {
        Assert.Equal(expected, VwTokenizer.HashToken(Encoding.UTF8.GetBytes(token)));
    }

    [Fact]
    public void Bigram_ThisIs_AppendixAValue()
    {
        ulong v = unchecked((VwTokenizer.HashToken("This"u8) * FeatureHasher.QuadraticConstant) + VwTokenizer.HashToken("is"u8));
        Assert.Equal(83743634888982544UL, v);
    }

    // ---------------------------------------------------------------- Appendix A vectors

    [Theory]
    [InlineData(GoodDay, 3, 2, new[] { 1, 1, 2, 2, 0, 2, 0, 1 })] // documented S5 output
    [InlineData(GoodDay, 3, 1, new[] { 0, 1, 1, 0, 0, 2, 0, 1 })]
    [InlineData(GoodDay, 3, 3, new[] { 2, 1, 3, 2, 1, 2, 0, 1 })]
    [InlineData("I loved this book", 3, 2, new[] { 0, 1, 1, 2, 1, 0, 2, 0 })]
    public void AppendixA_DenseVectors(string text, int bits, int ngrams, int[] expected)
    {
        Assert.Equal(expected, new FeatureHasher(bits, ngrams).Hash(text));
    }

    [Fact]
    public void AppendixA_Bits10_NonZeroBuckets()
    {
        int[] counts = new FeatureHasher(10, 2).Hash(GoodDay);
        Assert.Equal(1024, counts.Length);
        int[] nonZero = Enumerable.Range(0, counts.Length).Where(i => counts[i] != 0).ToArray();
        Assert.Equal(new[] { 16, 31, 65, 299, 365, 397, 434, 458, 619 }, nonZero);
        Assert.All(nonZero, i => Assert.Equal(1, counts[i]));
    }

    [Fact]
    public void Defaults_AreBits10_NGrams2()
    {
        var hasher = new FeatureHasher();
        Assert.Equal(10, hasher.HashingBitsize);
        Assert.Equal(2, hasher.NGrams);
        Assert.Equal(1024, hasher.BucketCount);
        Assert.Equal(new FeatureHasher(10, 2).Hash(GoodDay), hasher.Hash(GoodDay));
    }

    [Fact]
    public void LowerCasing_IsNotApplied()
    {
        Assert.Equal(new[] { 0, 1, 2, 3, 0, 2, 1, 0 }, new FeatureHasher(3, 2).Hash("this is a good day"));
    }

    // ---------------------------------------------------------------- digits

    [Theory]
    [InlineData("2015", 2015UL)]
    [InlineData("0", 0UL)]
    [InlineData("007", 7UL)]
    [InlineData(" 42\n", 42UL)]
    [InlineData("12345678901234567890", 12345678901234567890UL)]
    [InlineData("99999999999999999999", 7766279631452241919UL)] // 10^20 - 1 wraps modulo 2^64, as VW's size_t
    public void HashToken_DigitOnlyTokens_AreTheirDecimalValue(string token, ulong expected)
    {
        Assert.Equal(expected, VwTokenizer.HashToken(Encoding.UTF8.GetBytes(token)));
    }

    [Theory]
    [InlineData("-5", 3601535403UL)]
    [InlineData("1.5", 4025916689UL)]
    public void HashToken_NumbersWithSignOrPoint_AreMurmurHashed(string token, ulong expected)
    {
        Assert.Equal(expected, VwTokenizer.HashToken(Encoding.UTF8.GetBytes(token)));
        Assert.Equal(expected, MurmurHash3.Hash32(Encoding.UTF8.GetBytes(token)));
    }

    [Fact]
    public void HashToken_NonAsciiDigits_AreMurmurHashed()
    {
        byte[] arabicIndic = Encoding.UTF8.GetBytes("\u0661\u0662");
        Assert.Equal(MurmurHash3.Hash32(arabicIndic), VwTokenizer.HashToken(arabicIndic));
    }

    [Fact]
    public void DigitTokens_LandInBucketOfTheirValue()
    {
        var hasher = new FeatureHasher(31, 1);
        Dictionary<int, int> sparse = hasher.HashSparse("2015 1 12345678901234567890");
        Assert.Equal(3, sparse.Count);
        Assert.Equal(1, sparse[2015]);
        Assert.Equal(1, sparse[1]);
        Assert.Equal(1, sparse[(int)(12345678901234567890UL & 0x7FFFFFFF)]);

        int[] dense = new FeatureHasher(4, 1).Hash("2015 2015");
        Assert.Equal(2, dense[2015 & 15]);
        Assert.Equal(2, dense.Sum());
    }

    // ---------------------------------------------------------------- empty / missing

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\t \t  ")]
    public void EmptyOrMissingCell_GivesAllZeros(string? text)
    {
        var hasher = new FeatureHasher(3, 2);
        Assert.Equal(new int[8], hasher.Hash(text));
        Assert.Empty(hasher.HashSparse(text));
    }

    [Fact]
    public void ReusedBuffer_IsClearedBetweenRows()
    {
        var hasher = new FeatureHasher(3, 2);
        var buffer = new int[8];
        hasher.Hash(GoodDay, buffer);
        Assert.Equal(new[] { 1, 1, 2, 2, 0, 2, 0, 1 }, buffer);
        hasher.Hash(ReadOnlySpan<char>.Empty, buffer);
        Assert.Equal(new int[8], buffer);
        hasher.Hash("I loved this book", buffer);
        Assert.Equal(new[] { 0, 1, 1, 2, 1, 0, 2, 0 }, buffer);

        var sparse = new Dictionary<int, int> { [5] = 99 };
        hasher.HashSparse("", sparse);
        Assert.Empty(sparse);
    }

    [Fact]
    public void WrongBufferLength_Throws()
    {
        var hasher = new FeatureHasher(3, 2);
        Assert.Throws<ArgumentException>(() => hasher.Hash(GoodDay, new int[7]));
    }

    // ---------------------------------------------------------------- tokenisation

    [Theory]
    [InlineData("  This\tis \t a   good\t\tday  ")]
    [InlineData("\tThis is a good day\t")]
    [InlineData("This  is  a  good  day")]
    public void TabsAndRepeatedSpaces_AreSingleSeparators(string text)
    {
        Assert.Equal(new[] { "This", "is", "a", "good", "day" }, VwTokenizer.TokenizeToStrings(text));
        Assert.Equal(new[] { 1, 1, 2, 2, 0, 2, 0, 1 }, new FeatureHasher(3, 2).Hash(text));
    }

    [Fact]
    public void PunctuationAndVwSpecialCharacters_StayInTokens()
    {
        Assert.Equal(new[] { "a|b", "c:1", "day." }, VwTokenizer.TokenizeToStrings("a|b c:1 day."));
    }

    [Fact]
    public void LineBreaks_AreNotSeparators_ButAreTrimmedAtTokenEnds()
    {
        Assert.Equal(new[] { "a\nb" }, VwTokenizer.TokenizeToStrings("a\nb"));
        Assert.Equal(VwTokenizer.HashToken("day"u8), VwTokenizer.HashToken("day\r\n"u8));

        // A token made only of control characters trims to empty and hashes to the seed (0), and still counts.
        Dictionary<int, int> sparse = new FeatureHasher(31, 1).HashSparse("a \n b");
        Assert.Equal(3, sparse.Count);
        Assert.Equal(1, sparse[0]);
        Assert.Equal(1, sparse[1009084850]);
        Assert.Equal(1, sparse[366902787]); // "b" = 2514386435, low 31 bits
    }

    [Theory]
    [InlineData("caf\u00e9", 605818632u)]
    [InlineData("\u65e5\u672c\u8a9e", 2779017879u)]
    [InlineData("na\u00efve r\u00e9sum\u00e9", 2602603230u)] // two tokens; check the first-level murmur of the whole string
    public void NonAscii_IsHashedAsUtf8Bytes(string text, uint murmurOfWholeText)
    {
        Assert.Equal(murmurOfWholeText, MurmurHash3.Hash32(Encoding.UTF8.GetBytes(text)));
        if (!text.Contains(' '))
        {
            Assert.Equal(murmurOfWholeText, VwTokenizer.HashToken(Encoding.UTF8.GetBytes(text)));
        }
    }

    [Fact]
    public void NonAscii_Row_Bits31_Bigrams()
    {
        Dictionary<int, int> sparse = new FeatureHasher(31, 2).HashSparse("caf\u00e9 \u65e5\u672c\u8a9e");
        Assert.Equal(
            new Dictionary<int, int> { [605818632] = 1, [631534231] = 1, [1846947199] = 1 },
            sparse);
    }

    [Fact]
    public void NonAsciiWhitespace_IsNotASeparator()
    {
        Assert.Single(VwTokenizer.TokenizeToStrings("a\u00a0b"));
        Assert.Single(VwTokenizer.TokenizeToStrings("a\u3000b"));
        int[] counts = new FeatureHasher(4, 2).Hash("a\u00a0b");
        Assert.Equal(1, counts[8]);
        Assert.Equal(1, counts.Sum());
    }

    // ---------------------------------------------------------------- bitsize extremes

    [Fact]
    public void Bitsize1_TwoBuckets()
    {
        Assert.Equal(new[] { 3, 6 }, new FeatureHasher(1, 2).Hash(GoodDay));
        Assert.Equal(new[] { 1, 4 }, new FeatureHasher(1, 0).Hash(GoodDay));
        Assert.Equal(new[] { "t_HashingFeature.0", "t_HashingFeature.1" }, FeatureHashingOutput.GetColumnNames("t", 1));
    }

    [Fact]
    public void Bitsize31_Sparse()
    {
        var hasher = new FeatureHasher(31, 2);
        Assert.Equal(2147483648L, hasher.BucketCount);
        Assert.Equal(0x7FFFFFFFu, hasher.Mask);
        Dictionary<int, int> sparse = hasher.HashSparse(GoodDay);
        var expected = new Dictionary<int, int>
        {
            [849553439] = 1,   // This (2997037087 & 0x7FFFFFFF)
            [2021799277] = 1,  // is
            [1009084850] = 1,  // a
            [115441729] = 1,   // good
            [1627277709] = 1,  // day (3774761357 & 0x7FFFFFFF)
            [1774321680] = 1,
            [124346987] = 1,
            [1275784491] = 1,
            [605775306] = 1,
        };
        Assert.Equal(expected, sparse);
        Assert.Equal(1774321680, (int)(83743634888982544UL & 0x7FFFFFFF)); // bigram (This, is)
    }

    [Fact]
    public void Bitsize31_DenseConvenience_IsRefused()
    {
        Assert.Throws<InvalidOperationException>(() => new FeatureHasher(31, 2).Hash(GoodDay));
    }

    // ---------------------------------------------------------------- n-grams

    [Fact]
    public void NGrams0_BehavesAsUnigrams()
    {
        var zero = new FeatureHasher(10, 0);
        Assert.Equal(1, zero.EffectiveNGrams);
        Assert.Equal(new FeatureHasher(10, 1).Hash(GoodDay), zero.Hash(GoodDay));
        Assert.Equal(new[] { 0, 1, 1, 0, 0, 2, 0, 1 }, new FeatureHasher(3, 0).Hash(GoodDay));
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(1, 5)]
    [InlineData(2, 9)]
    [InlineData(3, 12)]
    [InlineData(10, 15)]
    public void NGrams_FeatureCount_IsAllContiguousGramsUpToN(int ngrams, int expectedFeatures)
    {
        var buckets = new List<int>();
        new FeatureHasher(31, ngrams).CollectBuckets(GoodDay, buckets);
        Assert.Equal(expectedFeatures, buckets.Count);
        Assert.Equal(expectedFeatures, new FeatureHasher(10, ngrams).Hash(GoodDay).Sum());
    }

    [Fact]
    public void NGrams3_EmitsUnigramsBigramsTrigramsInOrder()
    {
        var buckets = new List<int>();
        new FeatureHasher(31, 3).CollectBuckets("a b c", buckets);
        ulong a = VwTokenizer.HashToken("a"u8), b = VwTokenizer.HashToken("b"u8), c = VwTokenizer.HashToken("c"u8);
        ulong q = FeatureHasher.QuadraticConstant;
        ulong[] raw =
        [
            a, b, c,
            unchecked((a * q) + b), unchecked((b * q) + c),
            unchecked((((a * q) + b) * q) + c),
        ];
        Assert.Equal(raw.Select(v => (int)(v & 0x7FFFFFFF)), buckets);
        Assert.Equal(new[] { 1009084850, 366902787, 1630721631, 1527245549, 610038614, 517287576 }, buckets);
    }

    [Fact]
    public void NGrams_WordOrderMatters()
    {
        var hasher = new FeatureHasher(31, 2);
        Assert.NotEqual(hasher.HashSparse("good day"), hasher.HashSparse("day good"));
        Assert.Equal(new FeatureHasher(31, 1).HashSparse("good day"), new FeatureHasher(31, 1).HashSparse("day good"));
    }

    [Fact]
    public void DuplicateTokens_AddUp()
    {
        Dictionary<int, int> sparse = new FeatureHasher(31, 2).HashSparse("a a a");
        Assert.Equal(2, sparse.Count);
        Assert.Equal(3, sparse[1009084850]); // unigram "a" three times
        Assert.Equal(2, sparse.Single(p => p.Key != 1009084850).Value); // bigram (a, a) twice
    }

    [Fact]
    public void LongRow_GrowsBuffers_AndSparseMatchesDense()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 5000; i++)
        {
            sb.Append("tok").Append(i % 37).Append(i % 3 == 0 ? '\t' : ' ').Append("\u00fc ");
        }

        var hasher = new FeatureHasher(12, 3);
        int[] dense = hasher.Hash(sb.ToString());
        Dictionary<int, int> sparse = hasher.HashSparse(sb.ToString());
        Assert.Equal(10000 + 9999 + 9998, dense.Sum());
        Assert.Equal(dense.Select((c, i) => (c, i)).Where(p => p.c != 0).ToDictionary(p => p.i, p => p.c), sparse);
        Assert.Equal(new[] { 1, 1, 2, 2, 0, 2, 0, 1 }, new FeatureHasher(3, 2).Hash(GoodDay));
    }

    // ---------------------------------------------------------------- column names

    [Fact]
    public void ColumnNames_FollowV1Rule()
    {
        Assert.Equal(
            new[] { "text_HashingFeature.0", "text_HashingFeature.1", "text_HashingFeature.2", "text_HashingFeature.3" },
            FeatureHashingOutput.GetColumnNames("text", 2));
        Assert.Equal("Int32", FeatureHashingOutput.ColumnType);
        Assert.Equal(1024, FeatureHashingOutput.GetColumnNames("Col2", 10).Count());
        Assert.Equal("Col2_HashingFeature.1023", FeatureHashingOutput.GetColumnNames("Col2", 10).Last());
    }

    [Fact]
    public void OutputColumns_KeepInputsThenOneBlockPerTarget()
    {
        IReadOnlyList<string> names = FeatureHashingOutput.GetOutputColumnNames(["text", "text2"], ["text", "text2"], 2);
        Assert.Equal(
            new[]
            {
                "text", "text2",
                "text_HashingFeature.0", "text_HashingFeature.1", "text_HashingFeature.2", "text_HashingFeature.3",
                "text2_HashingFeature.0", "text2_HashingFeature.1", "text2_HashingFeature.2", "text2_HashingFeature.3",
            },
            names);
    }

    [Fact]
    public void ColumnNames_OnCollision_UseNumberedSuffix()
    {
        Assert.Equal("text_HashingFeature2.", FeatureHashingOutput.GetColumnPrefix("text", 2, ["text", "text_HashingFeature.3"]));
        Assert.Equal(
            "text_HashingFeature3.",
            FeatureHashingOutput.GetColumnPrefix("text", 2, ["text_HashingFeature.0", "text_HashingFeature2.1"]));

        // Names outside the block (index ≥ 2^bits, non-canonical, other case) do not collide.
        Assert.Equal(
            "text_HashingFeature.",
            FeatureHashingOutput.GetColumnPrefix("text", 2, ["text_HashingFeature.4", "text_HashingFeature.01", "Text_HashingFeature.0", "text_HashingFeature."]));

        // Hashing the same column twice yields a second, numbered block.
        IReadOnlyList<string> names = FeatureHashingOutput.GetOutputColumnNames(["text"], ["text", "text"], 1);
        Assert.Equal(new[] { "text", "text_HashingFeature.0", "text_HashingFeature.1", "text_HashingFeature2.0", "text_HashingFeature2.1" }, names);
    }

    [Fact]
    public void ColumnNames_Bitsize31_AreLazy()
    {
        IEnumerable<string> names = FeatureHashingOutput.GetColumnNames("t", 31);
        Assert.Equal(new[] { "t_HashingFeature.0", "t_HashingFeature.1" }, names.Take(2));
        Assert.Equal("t_HashingFeature.2147483647", FeatureHashingOutput.GetColumnName("t_HashingFeature.", int.MaxValue));
    }

    // ---------------------------------------------------------------- parameter validation

    [Theory]
    [InlineData(0, 2, "hashingBitsize", "0004", "Parameter \"Hashing bitsize\" should be greater than 0.")]
    [InlineData(-3, 2, "hashingBitsize", "0004", "Parameter \"Hashing bitsize\" should be greater than 0.")]
    [InlineData(32, 2, "hashingBitsize", "0007", "Parameter \"Hashing bitsize\" should be less than or equal to 31.")]
    [InlineData(10, -1, "nGrams", "0005", "Parameter \"N-grams\" should be greater than or equal to 0.")]
    [InlineData(10, 11, "nGrams", "0007", "Parameter \"N-grams\" should be less than or equal to 10.")]
    public void OutOfRangeParameters_ThrowStudioErrors(int bits, int ngrams, string paramName, string code, string message)
    {
        var ex = Assert.Throws<StudioParameterOutOfRangeException>(() => new FeatureHasher(bits, ngrams));
        Assert.IsAssignableFrom<ArgumentOutOfRangeException>(ex);
        Assert.Equal(paramName, ex.ParamName);
        Assert.Equal(code, ex.ErrorCode);
        Assert.Equal(message, ex.Message);
        Assert.Equal($"Error {code}: {message}", ex.FullMessage);
        Assert.Equal(paramName == "hashingBitsize" ? bits : ngrams, ex.ActualValue);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(31, 10)]
    [InlineData(10, 2)]
    public void BoundaryParameters_AreAccepted(int bits, int ngrams)
    {
        var hasher = new FeatureHasher(bits, ngrams);
        Assert.Equal(bits, hasher.HashingBitsize);
        Assert.Equal(ngrams, hasher.NGrams);
    }

    [Fact]
    public void ColumnNames_ValidateBitsize()
    {
        Assert.Throws<StudioParameterOutOfRangeException>(() => FeatureHashingOutput.GetColumnPrefix("t", 0));
        Assert.Throws<StudioParameterOutOfRangeException>(() => FeatureHashingOutput.GetColumnPrefix("t", 32));
    }
}
