using System.Security.Cryptography;
using Tollgate.Security;

namespace Tollgate.UnitTests.Security;

public sealed class SharedAccessSignatureTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Create_MatchesApimFormat()
    {
        var token = SharedAccessSignature.Create("integration", "key", new DateTimeOffset(2014, 8, 4, 22, 3, 0, TimeSpan.Zero));

        var expectedSignature = Convert.ToBase64String(HMACSHA512.HashData("key"u8.ToArray(), "integration\n2014-08-04T22:03:00.0000000Z"u8.ToArray()));
        Assert.Equal($"SharedAccessSignature uid=integration&ex=2014-08-04T22:03:00.0000000Z&sn={expectedSignature}", token);
    }

    [Fact]
    public void Validate_AcceptsEitherKey_RejectsTamperingAndExpiry()
    {
        IReadOnlyList<string> Keys(string uid) => uid == "integration" ? ["primary", "secondary"] : [];
        var valid = SharedAccessSignature.Create("integration", "secondary", Now.AddHours(1));

        Assert.Null(SharedAccessSignature.Validate(valid, Keys, Now));
        Assert.Equal("The SharedAccessSignature token has expired.", SharedAccessSignature.Validate(valid, Keys, Now.AddHours(2)));
        Assert.Equal("The SharedAccessSignature token has an invalid signature.", SharedAccessSignature.Validate(valid.Replace("ex=2026-11-23T13", "ex=2026-11-23T14"), Keys, Now));
        Assert.Equal("The SharedAccessSignature token has an invalid signature.", SharedAccessSignature.Validate(SharedAccessSignature.Create("someone", "primary", Now.AddHours(1)), Keys, Now));
        Assert.Equal("The Authorization header must use the SharedAccessSignature scheme.", SharedAccessSignature.Validate("Basic x", Keys, Now));
        Assert.Equal("The SharedAccessSignature token must carry uid, ex and sn.", SharedAccessSignature.Validate("Bearer x", Keys, Now));
        Assert.Equal("The SharedAccessSignature token must carry uid, ex and sn.", SharedAccessSignature.Validate("SharedAccessSignature uid=a", Keys, Now));
    }
}

public sealed class BearerSharedAccessSignatureTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private static IReadOnlyList<string> Keys(string uid) => uid == "1" ? ["primary", "secondary"] : [];

    [Fact]
    public void AzureSdkBearerHeader_CarryingASharedAccessSignature_IsAccepted_WithOrWithoutTheSchemeName()
    {
        // An Azure SDK sends its credential's token as "Bearer {token}"; a TokenCredential returning Tollgate's token works.
        var token = SharedAccessSignature.Create("1", "primary", Now.AddHours(1));

        Assert.Null(SharedAccessSignature.Validate("Bearer " + token, Keys, Now));
        Assert.Null(SharedAccessSignature.Validate("Bearer " + token["SharedAccessSignature ".Length..], Keys, Now));
        Assert.Equal("The SharedAccessSignature token has expired.", SharedAccessSignature.Validate("Bearer " + token, Keys, Now.AddHours(2)));
        Assert.Equal("The SharedAccessSignature token has an invalid signature.",
            SharedAccessSignature.Validate("Bearer " + SharedAccessSignature.Create("1", "other", Now.AddHours(1)), Keys, Now));
    }
}

public sealed class SecretTests
{
    [Fact]
    public void SubscriptionKeys_Are32LowercaseHex_AndDiffer()
    {
        var keys = Enumerable.Range(0, 100).Select(_ => SecretGenerator.NewSubscriptionKey()).ToList();

        Assert.All(keys, k => Assert.Matches("^[0-9a-f]{32}$", k));
        Assert.Equal(100, keys.Distinct().Count());
    }

    [Fact]
    public void KeyDigest_RoundTripsAndCompares()
    {
        var a = KeyDigest.Of("abc");

        Assert.Equal(a, KeyDigest.Parse(a.ToString()));
        Assert.NotEqual(a, KeyDigest.Of("abd"));
        Assert.Equal(Convert.ToBase64String(SHA256.HashData("abc"u8)), a.ToString());
    }

    [Fact]
    public void SecretProtector_RoundTrips_AndDetectsTampering()
    {
        var protector = new SecretProtector(RandomNumberGenerator.GetBytes(32));
        var sealedValue = protector.Protect("key material"u8);

        Assert.Equal("key material"u8.ToArray(), protector.Unprotect(sealedValue));
        sealedValue[^1] ^= 1;
        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(sealedValue));
        Assert.ThrowsAny<CryptographicException>(() => new SecretProtector(RandomNumberGenerator.GetBytes(32)).Unprotect(protector.Protect("x"u8)));
    }

    [Fact]
    public void PasswordHasher_VerifiesOnlyTheRightPassword()
    {
        var hash = PasswordHasher.Hash("correct horse");

        Assert.True(PasswordHasher.Verify("correct horse", hash));
        Assert.False(PasswordHasher.Verify("wrong", hash));
        Assert.DoesNotContain("correct horse", hash);
    }
}
