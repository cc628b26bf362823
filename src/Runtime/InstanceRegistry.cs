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
    }

    /// <summary>
    /// Snapshot of the live instances of <paramref name="type"/> (and of its subclasses when
    /// <paramref name="includeSubtypes"/>), each object once, strongly held by the returned list.
    /// Dead entries met on the way are freed.
    /// </summary>
    internal static List<object> LiveInstances(Type type, bool includeSubtypes)
    {
        var result = new List<object>();
        foreach (var (registered, instances) in s_byType)
        {
            if (registered == type || (includeSubtypes && type.IsAssignableFrom(registered))) instances.CollectLive(result);
        }
        return result.Count <= 1 ? result : Deduplicate(result);
    }

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

        /// <summary>Appends the live targets to <paramref name="into"/> and frees the dead handles.</summary>
        public void CollectLive(List<object> into)
        {
            lock (_handles) PruneLocked(into);
        }

        private void PruneLocked(List<object>? live)
        {
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
