namespace Tollgate.UnitTests.Fuzz;

/// <summary>
/// How many cases each property test tries: a few seconds' worth in the unit test suite, as many as
/// <c>TOLLGATE_FUZZ_ITERATIONS</c> says when run from <c>scripts/fuzz.sh</c>. <c>TOLLGATE_FUZZ_SEED</c> replays a
/// failure (CsCheck prints the seed).
/// </summary>
internal static class FuzzIterations
{
    public static long Of(long defaultIterations) =>
        long.TryParse(Environment.GetEnvironmentVariable("TOLLGATE_FUZZ_ITERATIONS"), out var n) && n > 0 ? n : defaultIterations;

    public static string? Seed => Environment.GetEnvironmentVariable("TOLLGATE_FUZZ_SEED") is { Length: > 0 } seed ? seed : null;
}
