using System.Runtime.InteropServices;

namespace NRepl.Runtime;

/// <summary>
/// Weak registry of the live instances of world classes, so a redefinition can find and migrate
/// them. The world compiler injects <see cref="Register"/> into every constructor of a world class
/// that does not chain to another constructor of its class.
/// </summary>
/// <remarks>
/// Weak GCHandles in per-type lists were the cheapest registry measured (research/enc-edits.md §7:
/// 75-109 ns per registration, 7.5 ms to walk a million). Dead handles are freed as lists grow.
/// </remarks>
public static class InstanceRegistry
{
    private static readonly Dictionary<Type, TypeInstances> s_byType = new();

    /// <summary>Records <paramref name="instance"/> under its runtime type. Cheap and thread-safe.</summary>
    public static void Register(object instance)
    {
        var type = instance.GetType();
        TypeInstances? list;
        lock (s_byType)
        {
            if (!s_byType.TryGetValue(type, out list)) s_byType[type] = list = new TypeInstances();
        }
        list.Add(instance);
    }

    /// <summary>The live registered instances of <paramref name="type"/> (and of its subtypes), each once.</summary>
    internal static List<object> LiveInstances(Type type, bool includeSubtypes)
    {
        TypeInstances[] lists;
        lock (s_byType)
        {
            lists = s_byType.Where(kv => kv.Key == type || (includeSubtypes && kv.Key.IsSubclassOf(type))).Select(kv => kv.Value).ToArray();
        }
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var list in lists) list.CollectLive(seen);
        return seen.ToList();
    }

    private sealed class TypeInstances
    {
        private readonly List<GCHandle> _handles = new();
        private int _pruneAt = 1024;

        public void Add(object instance)
        {
            var handle = GCHandle.Alloc(instance, GCHandleType.Weak);
            lock (_handles)
            {
                _handles.Add(handle);
                if (_handles.Count >= _pruneAt)
                {
                    Prune();
                    _pruneAt = Math.Max(1024, _handles.Count * 2);
                }
            }
        }

        public void CollectLive(HashSet<object> into)
        {
            lock (_handles)
            {
                Prune();
                foreach (var handle in _handles)
                {
                    if (handle.Target is { } target) into.Add(target);
                }
            }
        }

        private void Prune()
        {
            var kept = 0;
            for (var i = 0; i < _handles.Count; i++)
            {
                var handle = _handles[i];
                if (handle.Target is null) handle.Free();
                else _handles[kept++] = handle;
            }
            _handles.RemoveRange(kept, _handles.Count - kept);
        }
    }
}
