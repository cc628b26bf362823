using System.Reflection;
using System.Reflection.Metadata;
using System.Runtime.Loader;

namespace NRepl.Runtime.Hosting;

/// <summary>
/// The one world assembly of this process: loads it, applies EnC deltas to it, refreshes reflection
/// caches afterwards, and runs the static initializers a delta brings (EnC never runs them itself).
/// </summary>
internal sealed class WorldHost
{
    private readonly object _gate = new();
    private readonly MetadataUpdateHandlers _handlers = new();
    private Assembly? _world;

    /// <summary>Source lines of the world's methods, kept current across deltas.</summary>
    public WorldSymbols Symbols { get; } = new();

    /// <summary>The loaded world, or null before <see cref="Load"/>.</summary>
    public Assembly? Assembly => Volatile.Read(ref _world);

    /// <summary>Loads the world; null on success, else the error text for the server.</summary>
    public string? Load(byte[] pe, byte[] pdb)
    {
        lock (_gate)
        {
            if (_world is not null)
            {
                return $"A world ({_world.GetName().Name}) is already loaded in this target process; restart the target to load another.";
            }
            try
            {
                using var peStream = new MemoryStream(pe, writable: false);
                using var pdbStream = pdb.Length > 0 ? new MemoryStream(pdb, writable: false) : null;
                Volatile.Write(ref _world, AssemblyLoadContext.Default.LoadFromStream(peStream, pdbStream));
                Symbols.SetBaseline(pdb);
                // Finding the update handlers costs tens of ms the first time; pay it here, not on the first edit.
                _handlers.Prepare(_world);
                return null;
            }
            catch (Exception e)
            {
                return $"Loading the world failed: {e.GetType().FullName}: {e.Message}";
            }
        }
    }

    /// <summary>
    /// Applies a delta. Returns the error text (null on success) and the failures of the initializers,
    /// which run after the update and do not undo it.
    /// </summary>
    public (string? Error, string[] InitializerErrors) Apply(byte[] metadata, byte[] il, byte[] pdb, int[] initializerTokens)
    {
        lock (_gate)
        {
            if (_world is null) return ("No world is loaded; send LoadWorld first.", []);
            if (!MetadataUpdater.IsSupported)
            {
                return ("Hot reload is not supported in this process (start it with DOTNET_MODIFIABLE_ASSEMBLIES=debug).", []);
            }
            try
            {
                MetadataUpdater.ApplyUpdate(_world, metadata, il, pdb);
            }
            catch (Exception e)
            {
                return ($"The runtime refused the delta: {e.GetType().FullName}: {e.Message}", []);
            }

            Symbols.AddDelta(pdb);

            // Direct ApplyUpdate calls no update handlers; without this, reflection keeps showing the old members.
            var handlerErrors = _handlers.Invoke(_world);

            var errors = new List<string>(handlerErrors);
            foreach (var token in initializerTokens)
            {
                if (RunInitializer(_world, token) is { } error) errors.Add(error);
            }
            return (null, errors.ToArray());
        }
    }

    /// <summary>
    /// Makes reflection current for the world's types (the runtime keeps stale member lists after an
    /// update until the cache is cleared). Returns the failure text, or null.
    /// </summary>
    public string? RefreshReflection()
    {
        lock (_gate) return MetadataUpdateHandlers.ClearRuntimeTypeCache();
    }

    private static string? RunInitializer(Assembly world, int token)
    {
        MethodBase? method;
        try
        {
            method = world.ManifestModule.ResolveMethod(token);
        }
        catch (Exception e)
        {
            return $"Initializer 0x{token:X8}: cannot resolve the token: {e.Message}";
        }
        if (method is null || !method.IsStatic || method.GetParameters().Length > 0 || method.ContainsGenericParameters)
        {
            return $"Initializer 0x{token:X8} ({method?.Name}) is not a static parameterless method.";
        }
        try
        {
            method.Invoke(null, BindingFlags.DoNotWrapExceptions, binder: null, parameters: null, culture: null);
            return null;
        }
        catch (Exception e)
        {
            return $"Initializer {method.DeclaringType?.FullName}.{method.Name} threw {e.GetType().FullName}: {e.Message}";
        }
    }
}
