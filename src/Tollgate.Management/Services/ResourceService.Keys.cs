using Tollgate.Management.Persistence;
using Tollgate.Security;

namespace Tollgate.Management.Services;

public sealed partial class ResourceService
{
    /// <summary>
    /// The scheduled part of a subscription's key lifecycle at the clock's now: replaces both keys when the rotation
    /// is due (the old ones working on for the overlap) and forgets replaced keys whose overlap has ended. Written as
    /// one change set and published to the gateways like any write; returns whether the keys were rotated.
    /// </summary>
    public Task<bool> MaintainKeysAsync(ServiceScope scope, string subscriptionName, CancellationToken ct) =>
        SerializedAsync(async () =>
        {
            var key = Key(scope, ResourceKind.Subscription, "", subscriptionName);
            if (await store.GetAsync(key, ct) is not { } stored)
            {
                return false;
            }

            var now = timeProvider.GetUtcNow();
            var props = (System.Text.Json.Nodes.JsonObject)stored.Properties.DeepClone();
            var secrets = vault.Unprotect(stored.Secrets);
            var rotated = SubscriptionKeys.RotationDue(props, now);
            if (rotated)
            {
                SubscriptionKeys.Rotate(props, secrets, now, SecretGenerator.NewSubscriptionKey);
            }

            var dropped = SubscriptionKeys.DropEndedPreviousKeys(props, secrets, now);
            if (rotated || dropped)
            {
                // The ETag makes a write that came in between win: the next pass looks again.
                await ApplyAsync(scope, [new ResourceChange.Put(key, props, vault.Protect(secrets), stored.ETag)], ct);
            }

            return rotated;
        }, ct);
}
