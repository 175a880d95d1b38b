using Tollgate.Security;

namespace Tollgate.Portal.Management;

/// <summary>Gives the <c>Authorization</c> header value (a <c>SharedAccessSignature</c>) for the next management call.</summary>
public interface IManagementTokenSource
{
    ValueTask<string> GetTokenAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Signs short-lived tokens with a tenant access key (a portal running alone, <c>Tollgate:Portal:ManagementKey</c>),
/// renewed well before they expire.
/// </summary>
public sealed class SigningTokenSource(string keyId, string key, TimeProvider timeProvider) : IManagementTokenSource
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    private (string Token, DateTimeOffset RenewAt)? _current;

    public ValueTask<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        if (_current is { } c && c.RenewAt > now)
        {
            return ValueTask.FromResult(c.Token);
        }

        var token = SharedAccessSignature.Create(keyId, key, now + Lifetime);
        _current = (token, now + Lifetime / 2);
        return ValueTask.FromResult(token);
    }
}

/// <summary>Tokens from a delegate: the all-in-one process signs with the management role's own key.</summary>
public sealed class DelegateTokenSource(Func<CancellationToken, Task<string>> create, TimeProvider timeProvider) : IManagementTokenSource
{
    private static readonly TimeSpan Renewal = TimeSpan.FromMinutes(5);
    private (string Token, DateTimeOffset RenewAt)? _current;

    public async ValueTask<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        if (_current is { } c && c.RenewAt > now)
        {
            return c.Token;
        }

        var token = await create(cancellationToken);
        _current = (token, now + Renewal);
        return token;
    }
}
