using System.Reflection;
using System.Runtime.Loader;

namespace NRepl.Runtime.Hosting;

/// <summary>
/// A collectible context for one detached eval's assembly: it resolves the world to the loaded world
/// assembly (which it was compiled against) and everything else as the default context does. Nothing
/// non-collectible ever refers to it, so once the eval and whatever it left behind (a delegate, a value
/// in the session's history) are unreachable, the GC unloads it.
/// </summary>
internal sealed class DetachedEvalLoadContext : AssemblyLoadContext
{
    private readonly Assembly _world;

    public DetachedEvalLoadContext(Assembly world, long evalId) : base($"eval {evalId}", isCollectible: true) => _world = world;

    public static Assembly Load(Assembly world, long evalId, byte[] pe, byte[] pdb)
    {
        using var peStream = new MemoryStream(pe, writable: false);
        using var pdbStream = pdb.Length > 0 ? new MemoryStream(pdb, writable: false) : null;
        return new DetachedEvalLoadContext(world, evalId).LoadFromStream(peStream, pdbStream);
    }

    /// <summary>
    /// The eval is over: unload its context once nothing refers to its code (a timer or handler it left running
    /// keeps it, and its code keeps working, for as long as it needs it).
    /// </summary>
    public static void Release(Assembly detached)
    {
        GetLoadContext(detached)?.Unload();
        // A context's memory is native (≈70 KB) and goes only when a full GC finds it unreachable, but the small
        // managed heap of a REPL seldom needs one: 5,000 evals kept 270 MiB. So a full GC is asked for now and then.
        if (Interlocked.Increment(ref s_released) % CollectEvery != 0) return;
        var fullGcs = GC.CollectionCount(2);
        if (Interlocked.Exchange(ref s_fullGcsSeen, fullGcs) == fullGcs) GC.Collect(2, GCCollectionMode.Forced, blocking: false);
    }

    private const int CollectEvery = 256;
    private static long s_released;
    private static int s_fullGcsSeen;

    protected override Assembly? Load(AssemblyName assemblyName) =>
        AssemblyName.ReferenceMatchesDefinition(assemblyName, _world.GetName()) ? _world : null;
}
