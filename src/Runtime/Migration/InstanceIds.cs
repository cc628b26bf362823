using System.Runtime.CompilerServices;

namespace NRepl.Runtime.Migration;

/// <summary>
/// Stable ids for the instances a condition names, so a use-value restart can target one instance across
/// the prepares that follow the answer (snapshot indexes shift as instances come and go). Weak: an id
/// never keeps its instance alive. Only failing instances get one.
/// </summary>
internal static class InstanceIds
{
    private static readonly ConditionalWeakTable<object, StrongBox<long>> s_ids = new();
    private static long s_next;

    /// <summary>The instance's id, given now if it has none.</summary>
    public static long Of(object instance) =>
        s_ids.GetValue(instance, static _ => new StrongBox<long>(Interlocked.Increment(ref s_next))).Value;

    /// <summary>The instance's id if a condition ever named it.</summary>
    public static bool TryGet(object instance, out long id)
    {
        if (s_ids.TryGetValue(instance, out var box))
        {
            id = box.Value;
            return true;
        }
        id = 0;
        return false;
    }
}
