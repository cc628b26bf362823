using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NRepl.Runtime;

/// <summary>
/// Weak registry of the live instances of world classes, so a redefinition can find and migrate them.
/// The world compiler injects <c>global::NRepl.Runtime.InstanceRegistry.Register(this);</c> into every
/// instance constructor of a world class. The registry never keeps an instance alive.
/// </summary>
/// <remarks>
/// Weak <see cref="GCHandle"/>s in a list per exact type: of the registries measured
/// (research/enc-edits.md §7) they cost the least per <c>new</c> and per full GC.
/// <see cref="ConditionalWeakTable{TKey,TValue}"/> and <see cref="WeakReference{T}"/> cost about twice as much.
/// </remarks>
public static class InstanceRegistry
{
    private static readonly ConcurrentDictionary<Type, TypeInstances> s_byType = new();

    // Constructors run in loops of one type: remembering the last list per thread skips the dictionary lookup.
    [ThreadStatic] private static Type? t_lastType;
    [ThreadStatic] private static TypeInstances? t_lastInstances;

    /// <summary>
    /// Records <paramref name="instance"/> under its runtime type. Calling it again for the same
    /// object (a base and a derived constructor, or a <c>this(...)</c> chain, each register) is harmless:
    /// the duplicate is usually dropped at once, and always when instances are enumerated.
    /// Thread-safe; costs about one weak handle allocation.
    /// </summary>
    /// <param name="instance">The object under construction (<c>this</c>); null is ignored.</param>
    public static void Register(object instance)
    {
        if (instance is null) return;
        var type = instance.GetType();
        var instances = t_lastInstances;
        if (!ReferenceEquals(type, t_lastType) || instances is null)
        {
            instances = s_byType.GetOrAdd(type, static _ => new TypeInstances());
            t_lastType = type;
            t_lastInstances = instances;
        }
        instances.Add(instance);
        if (Volatile.Read(ref s_parked) is { } parked)
        {
            lock (parked) parked.Add(instance);
        }
    }

    // While a migration commit applies its delta, registrations are also collected here: they come
    // from constructors that started before the new code was in place, and must be migrated too.
    private static List<object>? s_parked;

    /// <summary>From now on, every registration is also collected for <see cref="StopCollecting"/>.</summary>
    internal static void StartCollecting() => Volatile.Write(ref s_parked, []);

    /// <summary>The instances registered since <see cref="StartCollecting"/>, each once; collecting stops.</summary>
    internal static List<object> StopCollecting()
    {
        var parked = Interlocked.Exchange(ref s_parked, null);
        if (parked is null) return [];
        List<object> copy;
        lock (parked) copy = [.. parked];
        return copy.Count <= 1 ? copy : Deduplicate(copy);
    }

    /// <summary>
    /// Snapshot of the live instances of <paramref name="type"/> (and of its subclasses when
    /// <paramref name="includeSubtypes"/>), each object once, strongly held by the returned list.
    /// Dead entries met on the way are freed.
    /// </summary>
    internal static List<object> LiveInstances(Type type, bool includeSubtypes) => LiveInstances(type, includeSubtypes, out _);

    /// <summary>
    /// <see cref="LiveInstances(Type, bool)"/>, also returning where each registered type's list ended,
    /// so <see cref="RegisteredSince"/> can find the instances made after this snapshot.
    /// </summary>
    internal static List<object> LiveInstances(Type type, bool includeSubtypes, out RegistryMark mark)
    {
        var result = new List<object>();
        var ends = new Dictionary<Type, (int Prunes, int Count)>();
        foreach (var (registered, instances) in s_byType)
        {
            if (Covers(type, includeSubtypes, registered)) ends[registered] = instances.CollectLive(result);
        }
        mark = new RegistryMark(ends);
        return result.Count <= 1 ? result : Deduplicate(result);
    }

    /// <summary>
    /// The live instances of <paramref name="type"/> (and subclasses) registered after <paramref name="mark"/>
    /// was taken, each once, none of <paramref name="snapshot"/> (the list the mark came with). Cheap when
    /// nothing pruned the lists since: only their new tails are read.
    /// </summary>
    internal static List<object> RegisteredSince(Type type, bool includeSubtypes, RegistryMark mark, IReadOnlyCollection<object> snapshot)
    {
        var result = new List<object>();
        HashSet<object>? known = null;
        foreach (var (registered, instances) in s_byType)
        {
            if (!Covers(type, includeSubtypes, registered)) continue;
            if (!mark.Ends.TryGetValue(registered, out var end))
            {
                instances.CollectLive(result); // a type first registered after the snapshot: all new
                continue;
            }
            if (instances.CollectSince(end.Prunes, end.Count, result)) continue;
            // Pruned since the mark, so positions moved: take all and drop what the snapshot had (rare, and exact).
            known ??= new HashSet<object>(snapshot, ReferenceEqualityComparer.Instance);
            var all = new List<object>();
            instances.CollectLive(all);
            result.AddRange(all.Where(o => !known.Contains(o)));
        }
        return result.Count <= 1 ? result : Deduplicate(result);
    }

    private static bool Covers(Type type, bool includeSubtypes, Type registered) =>
        registered == type || (includeSubtypes && type.IsAssignableFrom(registered));

    /// <summary>Number of handles held for <paramref name="type"/> exactly, dead ones included (tests).</summary>
    internal static int HandleCount(Type type) => s_byType.TryGetValue(type, out var instances) ? instances.Count : 0;

    private static List<object> Deduplicate(List<object> instances)
    {
        // The same object is in the list twice only when its constructor chain registered it more than
        // once and another registration of its type came in between (the common case is dropped in Add).
        // Rare, but migrating an object twice would run its initializers twice, so check exactly. A
        // HashSet of a million objects costs ~150 ms (cache misses), so first a bitmap of identity hash
        // codes finds the few objects that could be duplicates; only those go through the exact set.
        var count = instances.Count;
        var bits = (int)Math.Clamp(BitOperations.RoundUpToPowerOf2((uint)count * 64), 1u << 16, 1u << 26);
        var seen = new ulong[bits / 64];
        var hashes = new int[count];
        HashSet<int>? clashing = null;
        for (var i = 0; i < count; i++)
        {
            var hash = RuntimeHelpers.GetHashCode(instances[i]) & (bits - 1);
            hashes[i] = hash;
            ref var word = ref seen[hash >> 6];
            var mask = 1UL << (hash & 63);
            if ((word & mask) != 0) (clashing ??= []).Add(hash);
            else word |= mask;
        }
        if (clashing is null) return instances;

        var exact = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var write = 0;
        for (var read = 0; read < count; read++)
        {
            var instance = instances[read];
            if (clashing.Contains(hashes[read]) && !exact.Add(instance)) continue;
            instances[write++] = instance;
        }
        if (write < count) instances.RemoveRange(write, count - write);
        return instances;
    }

    /// <summary>The handles of one exact type. All members lock <c>this</c>' list.</summary>
    private sealed class TypeInstances
    {
        /// <summary>Below this, pruning on growth is not worth a pass.</summary>
        private const int MinPruneThreshold = 1024;

        private readonly List<GCHandle> _handles = [];
        private int _pruneAt = MinPruneThreshold;

        public int Count
        {
            get { lock (_handles) return _handles.Count; }
        }

        public void Add(object instance)
        {
            lock (_handles)
            {
                var count = _handles.Count;
                // A derived constructor registers right after its base constructor did: same object, last entry.
                if (count > 0 && ReferenceEquals(_handles[count - 1].Target, instance)) return;
                if (count >= _pruneAt)
                {
                    // Amortized O(1): the next prune waits until the list has doubled again, so
                    // short-lived objects cannot make the list (and the handle table) grow without bound.
                    PruneLocked(null);
                    _pruneAt = Math.Max(MinPruneThreshold, _handles.Count * 2);
                }
                _handles.Add(GCHandle.Alloc(instance, GCHandleType.Weak));
            }
        }

        /// <summary>Times the list was compacted: positions recorded before a prune no longer hold.</summary>
        private int _prunes;

        /// <summary>Appends the live targets to <paramref name="into"/> and frees the dead handles; returns where the list ends now.</summary>
        public (int Prunes, int Count) CollectLive(List<object> into)
        {
            lock (_handles)
            {
                PruneLocked(into);
                return (_prunes, _handles.Count);
            }
        }

        /// <summary>Appends the live targets registered after position <paramref name="count"/>; false when a prune moved positions since.</summary>
        public bool CollectSince(int prunes, int count, List<object> into)
        {
            lock (_handles)
            {
                if (prunes != _prunes) return false;
                for (var i = count; i < _handles.Count; i++)
                {
                    if (_handles[i].Target is { } target) into.Add(target);
                }
                return true;
            }
        }

        private void PruneLocked(List<object>? live)
        {
            _prunes++;
            var write = 0;
            for (var read = 0; read < _handles.Count; read++)
            {
                var handle = _handles[read];
                var target = handle.Target;
                if (target is null)
                {
                    handle.Free();
                    continue;
                }
                live?.Add(target);
                _handles[write++] = handle;
            }
            if (write < _handles.Count) _handles.RemoveRange(write, _handles.Count - write);
        }
    }
}

/// <summary>Where each type's registrations ended when a snapshot of live instances was taken.</summary>
internal sealed class RegistryMark(Dictionary<Type, (int Prunes, int Count)> ends)
{
    public IReadOnlyDictionary<Type, (int Prunes, int Count)> Ends { get; } = ends;
}
