using System.Text.Json.Nodes;
using Tollgate.Core.Gateway;
using Tollgate.Core.Resources;

namespace Tollgate.Management.Services;

/// <summary>
/// The lifecycle of a subscription's keys (Tollgate extensions): expiry per key, scheduled rotation with an overlap
/// window, and what a GET shows of their last use. Pure functions over the stored properties and the (decrypted)
/// secrets, so the rules are tested without a store.
/// </summary>
/// <remarks>
/// A rotation replaces both keys with new ones; each replaced key is kept (encrypted, as the keys are) with the end
/// of its overlap, <c>now + overlap</c>, or its own expiry if sooner; a zero overlap keeps none. An expiry belongs
/// to the key value: a new key (regenerated or rotated) starts without one.
/// </remarks>
public static class SubscriptionKeys
{
    public const string PreviousPrimaryKey = "previousPrimaryKey";
    public const string PreviousSecondaryKey = "previousSecondaryKey";
    public const string PreviousPrimaryKeyValidUntil = "previousPrimaryKeyValidUntil";
    public const string PreviousSecondaryKeyValidUntil = "previousSecondaryKeyValidUntil";

    public static readonly string[] Slots = [SubscriptionKeySlots.Primary, SubscriptionKeySlots.Secondary];

    /// <summary>
    /// Checks and completes the key lifecycle fields of a subscription being written: expiries must be in the future
    /// when set or changed; a rotation schedule is checked and gets its next rotation (kept while its interval is
    /// unchanged); the read-only fields the server keeps are carried over from <paramref name="existing"/>.
    /// </summary>
    public static void Prepare(JsonObject props, JsonObject? existing, DateTimeOffset now, List<ValidationError> errors)
    {
        foreach (var slot in Slots)
        {
            var field = slot + "KeyExpiresAt";
            if ((string?)props[field] is { } text && KeyLifetimes.TryParseTime(text, out var expiry))
            {
                var before = (string?)existing?[field];
                var unchanged = before is not null && KeyLifetimes.TryParseTime(before, out var old) && old == expiry;
                if (!unchanged && expiry <= now)
                {
                    errors.Add(new ValidationError(field, $"'{field}' must be in the future; it is {KeyLifetimes.Format(expiry)} and now is {KeyLifetimes.Format(now)}."));
                }

                props[field] = KeyLifetimes.Format(expiry);
            }

            props[slot + "KeyCreatedAt"] = existing?[slot + "KeyCreatedAt"]?.DeepClone() ?? KeyLifetimes.FormatPrecise(now);
        }

        var oldRotation = existing?["keyRotation"] as JsonObject;
        if (props["keyRotation"] is JsonObject rotation)
        {
            if (KeyLifetimes.TryParseDuration((string?)rotation["interval"], out var interval) && KeyLifetimes.TryParseDuration((string?)rotation["overlap"], out var overlap))
            {
                if (KeyLifetimes.RotationProblem(interval, overlap) is { } problem)
                {
                    errors.Add(problem);
                }

                rotation["interval"] = KeyLifetimes.FormatDuration(interval);
                rotation["overlap"] = KeyLifetimes.FormatDuration(overlap);
                var sameInterval = KeyLifetimes.TryParseDuration((string?)oldRotation?["interval"], out var oldInterval) && oldInterval == interval;
                rotation["nextRotationAt"] = sameInterval && oldRotation!["nextRotationAt"] is { } next ? next.DeepClone() : KeyLifetimes.Format(now + interval);
            }

            foreach (var kept in new[] { "lastRotatedAt", "previousKeysValidUntil" })
            {
                rotation[kept] = oldRotation?[kept]?.DeepClone();
            }
        }
    }

    /// <summary>Whether the schedule says the keys are due for replacement at <paramref name="now"/>.</summary>
    public static bool RotationDue(JsonObject props, DateTimeOffset now) =>
        props["keyRotation"] is JsonObject rotation && KeyLifetimes.TryParseTime((string?)rotation["nextRotationAt"], out var next) && next <= now;

    /// <summary>
    /// Replaces both keys with <paramref name="newKey"/>'s, keeping the old ones for the overlap, and moves the
    /// schedule on by one interval (to <c>now + interval</c> when rotations were missed).
    /// </summary>
    public static void Rotate(JsonObject props, JsonObject secrets, DateTimeOffset now, Func<string> newKey)
    {
        var rotation = (JsonObject)props["keyRotation"]!;
        KeyLifetimes.TryParseDuration((string?)rotation["interval"], out var interval);
        KeyLifetimes.TryParseDuration((string?)rotation["overlap"], out var overlap);
        var overlapEnd = now + overlap;
        DateTimeOffset? latest = null;
        foreach (var slot in Slots)
        {
            var previousKey = slot == SubscriptionKeySlots.Primary ? PreviousPrimaryKey : PreviousSecondaryKey;
            var previousUntil = slot == SubscriptionKeySlots.Primary ? PreviousPrimaryKeyValidUntil : PreviousSecondaryKeyValidUntil;
            var until = overlapEnd;
            if (KeyLifetimes.TryParseTime((string?)props[slot + "KeyExpiresAt"], out var expiry) && expiry < until)
            {
                until = expiry;
            }

            if (until > now && (string?)secrets[slot + "Key"] is { } old)
            {
                secrets[previousKey] = old;
                secrets[previousUntil] = KeyLifetimes.Format(until);
                latest = latest is { } l && l > until ? l : until;
            }
            else
            {
                secrets.Remove(previousKey);
                secrets.Remove(previousUntil);
            }

            secrets[slot + "Key"] = newKey();
            props[slot + "KeyExpiresAt"] = null;
            props[slot + "KeyCreatedAt"] = KeyLifetimes.FormatPrecise(now);
        }

        KeyLifetimes.TryParseTime((string?)rotation["nextRotationAt"], out var scheduled);
        var next = scheduled + interval;
        rotation["nextRotationAt"] = KeyLifetimes.Format(next > now ? next : now + interval);
        rotation["lastRotatedAt"] = KeyLifetimes.FormatPrecise(now);
        rotation["previousKeysValidUntil"] = latest is { } end ? KeyLifetimes.Format(end) : null;
    }

    /// <summary>Forgets replaced keys whose overlap has ended; returns whether anything changed.</summary>
    public static bool DropEndedPreviousKeys(JsonObject props, JsonObject secrets, DateTimeOffset now)
    {
        var changed = false;
        foreach (var (key, until) in new[] { (PreviousPrimaryKey, PreviousPrimaryKeyValidUntil), (PreviousSecondaryKey, PreviousSecondaryKeyValidUntil) })
        {
            if (secrets[key] is not null && (!KeyLifetimes.TryParseTime((string?)secrets[until], out var end) || end <= now))
            {
                secrets.Remove(key);
                secrets.Remove(until);
                changed = true;
            }
        }

        if (changed && secrets[PreviousPrimaryKey] is null && secrets[PreviousSecondaryKey] is null && props["keyRotation"] is JsonObject rotation)
        {
            rotation["previousKeysValidUntil"] = null;
        }

        return changed;
    }

    /// <summary>
    /// A key made anew by hand (regenerate): no expiry, made now; the key a rotation replaced in that slot stops
    /// working too (regenerating is what one does about a leaked key: none of its predecessors may go on working).
    /// </summary>
    public static void Regenerated(JsonObject props, JsonObject secrets, string slot, DateTimeOffset now)
    {
        props[slot + "KeyExpiresAt"] = null;
        props[slot + "KeyCreatedAt"] = KeyLifetimes.FormatPrecise(now);
        secrets.Remove(slot == SubscriptionKeySlots.Primary ? PreviousPrimaryKey : PreviousSecondaryKey);
        secrets.Remove(slot == SubscriptionKeySlots.Primary ? PreviousPrimaryKeyValidUntil : PreviousSecondaryKeyValidUntil);
        if (secrets[PreviousPrimaryKey] is null && secrets[PreviousSecondaryKey] is null && props["keyRotation"] is JsonObject rotation)
        {
            rotation["previousKeysValidUntil"] = null;
        }
    }

    /// <summary>
    /// Adds what a GET shows of the keys' last use, from the per-slot times of <paramref name="lastUsed"/> (to the
    /// millisecond): a slot's use counts for the current key only from the time it was made (a replaced key's use is
    /// not the new one's).
    /// </summary>
    public static void ShowLastUse(JsonObject props, IReadOnlyDictionary<string, DateTimeOffset> lastUsed)
    {
        foreach (var slot in Slots)
        {
            props[slot + "KeyLastUsedAt"] = Since(lastUsed.GetValueOrDefault(slot), (string?)props[slot + "KeyCreatedAt"]);
        }

        if (props["keyRotation"] is JsonObject rotation)
        {
            var previous = new[] { SubscriptionKeySlots.PreviousPrimary, SubscriptionKeySlots.PreviousSecondary }
                .Select(s => lastUsed.GetValueOrDefault(s)).Max();
            rotation["previousKeysLastUsedAt"] = (string?)rotation["lastRotatedAt"] is { } rotated ? Since(previous, rotated) : null;
        }
    }

    private static string? Since(DateTimeOffset used, string? since)
    {
        if (used == default)
        {
            return null;
        }

        return since is null || !KeyLifetimes.TryParseTime(since, out var from) || used >= KeyLifetimes.Millisecond(from) ? KeyLifetimes.FormatPrecise(used) : null;
    }
}
