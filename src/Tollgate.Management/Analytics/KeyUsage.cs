using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Tollgate.Core.Analytics;
using Tollgate.Core.Resources;
using Tollgate.Management.Persistence;

namespace Tollgate.Management.Analytics;

/// <summary>
/// When each subscription key last let a call through, derived from the request records the analytics writer stores
/// (local and remote gateways' alike), to the millisecond. Nothing is written per request: the writer hands each batch
/// over (<see cref="Observe"/>), which keeps the latest time per subscription and key slot in memory, and
/// <see cref="FlushAsync"/> (run every key check, a minute by default) writes only what changed, one setting per
/// subscription (<c>key-last-used/{instance}/{subscription}</c>), merged with what another node may have written.
/// </summary>
public sealed class KeyUsage(IResourceStore store)
{
    private readonly ConcurrentDictionary<(string Service, string Subscription), Entry> _pending = new();

    private sealed class Entry
    {
        public readonly Dictionary<string, DateTimeOffset> Slots = new(StringComparer.Ordinal);
    }

    /// <summary>Takes the key uses of a batch of records (called off the request path, by the writer).</summary>
    public void Observe(IReadOnlyList<RequestRecord> records)
    {
        foreach (var r in records)
        {
            if (r.KeySlot is not { } slot || r.SubscriptionId is not { } subscription)
            {
                continue;
            }

            var entry = _pending.GetOrAdd((r.ServiceName.ToLowerInvariant(), subscription.ToLowerInvariant()), _ => new Entry());
            var at = KeyLifetimes.Millisecond(r.Timestamp);
            lock (entry)
            {
                if (!entry.Slots.TryGetValue(slot, out var known) || known < at)
                {
                    entry.Slots[slot] = at;
                }
            }
        }
    }

    /// <summary>The last use of each slot of a subscription's keys: stored, and observed but not yet flushed.</summary>
    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> ReadAsync(string service, string subscription, CancellationToken ct)
    {
        var key = (service.ToLowerInvariant(), subscription.ToLowerInvariant());
        var result = Parse(await store.GetSettingAsync(SettingName(key), ct));
        if (_pending.TryGetValue(key, out var entry))
        {
            lock (entry)
            {
                Merge(result, entry.Slots);
            }
        }

        return result;
    }

    /// <summary>Writes the observed uses to the store; returns how many subscriptions' settings were written.</summary>
    public async Task<int> FlushAsync(CancellationToken ct)
    {
        var written = 0;
        foreach (var key in _pending.Keys)
        {
            if (!_pending.TryRemove(key, out var entry))
            {
                continue;
            }

            Dictionary<string, DateTimeOffset> observed;
            lock (entry)
            {
                observed = new Dictionary<string, DateTimeOffset>(entry.Slots, StringComparer.Ordinal);
            }

            try
            {
                var stored = Parse(await store.GetSettingAsync(SettingName(key), ct));
                if (Merge(stored, observed))
                {
                    var json = new JsonObject();
                    foreach (var (slot, at) in stored.OrderBy(s => s.Key, StringComparer.Ordinal))
                    {
                        json[slot] = KeyLifetimes.FormatPrecise(at);
                    }

                    await store.SetSettingAsync(SettingName(key), json.ToJsonString(), ct);
                    written++;
                }
            }
            catch
            {
                // Not stored: keep it for the next flush (merged with what arrived meanwhile).
                var back = _pending.GetOrAdd(key, _ => new Entry());
                lock (back)
                {
                    Merge(back.Slots, observed);
                }

                throw;
            }
        }

        return written;
    }

    private static string SettingName((string Service, string Subscription) key) => $"key-last-used/{key.Service}/{key.Subscription}";

    private static Dictionary<string, DateTimeOffset> Parse(string? json)
    {
        var result = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        if (json is not null && JsonNode.Parse(json) is JsonObject o)
        {
            foreach (var (slot, value) in o)
            {
                if (value is JsonValue v && v.TryGetValue<string>(out var text) && KeyLifetimes.TryParseTime(text, out var at))
                {
                    result[slot] = at;
                }
            }
        }

        return result;
    }

    /// <summary>Keeps the later time of each slot in <paramref name="into"/>; returns whether it changed.</summary>
    private static bool Merge(Dictionary<string, DateTimeOffset> into, IReadOnlyDictionary<string, DateTimeOffset> from)
    {
        var changed = false;
        foreach (var (slot, at) in from)
        {
            if (!into.TryGetValue(slot, out var known) || known < at)
            {
                into[slot] = at;
                changed = true;
            }
        }

        return changed;
    }
}
