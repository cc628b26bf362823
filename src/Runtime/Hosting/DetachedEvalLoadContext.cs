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

    public static Assembly Load(Assembly world, long evalId, byte[] pe)
    {
        using var stream = new MemoryStream(pe, writable: false);
        return new DetachedEvalLoadContext(world, evalId).LoadFromStream(stream);
    }

    protected override Assembly? Load(AssemblyName assemblyName) =>
        AssemblyName.ReferenceMatchesDefinition(assemblyName, _world.GetName()) ? _world : null;
}
