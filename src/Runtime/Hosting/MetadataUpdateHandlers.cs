using System.Reflection;
using System.Reflection.Metadata;

namespace NRepl.Runtime.Hosting;

/// <summary>
/// Invokes what the hot-reload agent would invoke after an update: <c>ClearCache</c> then
/// <c>UpdateApplication</c> of every <see cref="MetadataUpdateHandlerAttribute"/> handler, CoreLib's
/// reflection cache handler first. A direct <see cref="MetadataUpdater.ApplyUpdate"/> calls none of them.
/// </summary>
internal sealed class MetadataUpdateHandlers
{
    private const BindingFlags StaticAny = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;

    /// <summary>CoreLib's reflection cache reset; internal to CoreLib, so found by name.</summary>
    private static readonly MethodInfo? s_runtimeTypeClearCache = typeof(object).Assembly
        .GetType("System.Reflection.Metadata.RuntimeTypeMetadataUpdateHandler")?
        .GetMethod("ClearCache", StaticAny, [typeof(Type[])]);

    private readonly HashSet<Assembly> _scanned = [];
    private readonly List<(MethodInfo? ClearCache, MethodInfo? UpdateApplication)> _frameworkHandlers = [];

    /// <summary>Finds the handlers of the assemblies loaded so far and makes sure their code is ready to run.</summary>
    public void Prepare(Assembly world)
    {
        ScanNewAssemblies(world);
        foreach (var (clearCache, update) in _frameworkHandlers)
        {
            clearCache?.MethodHandle.GetFunctionPointer();
            update?.MethodHandle.GetFunctionPointer();
        }
    }

    /// <summary>Runs all handlers with "all types changed" (null); returns the failures.</summary>
    public List<string> Invoke(Assembly world)
    {
        ScanNewAssemblies(world);
        var handlers = new List<(MethodInfo? ClearCache, MethodInfo? UpdateApplication)>(_frameworkHandlers);
        // The world's own handlers are read every time: a delta may have added one.
        handlers.AddRange(HandlersOf(world));

        var errors = new List<string>();
        foreach (var (clearCache, _) in handlers) Call(clearCache, errors);
        foreach (var (_, update) in handlers) Call(update, errors);
        return errors;
    }

    /// <summary>
    /// Only CoreLib's <c>RuntimeTypeMetadataUpdateHandler.ClearCache</c>, for all types: after it,
    /// <c>GetFields</c> and token resolution see the members every delta added. Returns the failure, or null.
    /// </summary>
    public static string? ClearRuntimeTypeCache()
    {
        var errors = new List<string>();
        Call(s_runtimeTypeClearCache, errors);
        return errors.Count == 0 ? null : errors[0];
    }

    private void ScanNewAssemblies(Assembly world)
    {
        // Assemblies load over time (a delta's code may pull in System.Text.Json); each is scanned once.
        var loaded = AppDomain.CurrentDomain.GetAssemblies();
        var coreLib = typeof(object).Assembly;
        if (_scanned.Add(coreLib))
        {
            var coreHandlers = HandlersOf(coreLib).ToList();
            // RuntimeTypeMetadataUpdateHandler is the one that matters most (stale GetFields/GetMethods
            // otherwise); look it up by name should the assembly attribute ever go missing.
            var runtimeTypeHandler = coreLib.GetType("System.Reflection.Metadata.RuntimeTypeMetadataUpdateHandler");
            var clearCache = runtimeTypeHandler?.GetMethod("ClearCache", StaticAny, [typeof(Type[])]);
            if (clearCache is not null && !coreHandlers.Any(h => h.Item1 == clearCache)) coreHandlers.Insert(0, (clearCache, null));
            _frameworkHandlers.InsertRange(0, coreHandlers);
        }
        foreach (var assembly in loaded)
        {
            // Collectible ones are detached evals: none has handlers, and remembering them would keep them loaded forever.
            if (assembly == world || assembly.IsDynamic || assembly.IsCollectible || !_scanned.Add(assembly)) continue;
            _frameworkHandlers.AddRange(HandlersOf(assembly));
        }
    }

    private static IEnumerable<(MethodInfo?, MethodInfo?)> HandlersOf(Assembly assembly)
    {
        MetadataUpdateHandlerAttribute[] attributes;
        try
        {
            attributes = assembly.GetCustomAttributes<MetadataUpdateHandlerAttribute>().ToArray();
        }
        catch (Exception)
        {
            // An assembly whose attributes cannot be read has no usable handlers.
            return [];
        }
        return attributes.Select(a => (
            a.HandlerType.GetMethod("ClearCache", StaticAny, [typeof(Type[])]),
            a.HandlerType.GetMethod("UpdateApplication", StaticAny, [typeof(Type[])])));
    }

    private static void Call(MethodInfo? handler, List<string> errors)
    {
        if (handler is null) return;
        try
        {
            handler.Invoke(null, BindingFlags.DoNotWrapExceptions, binder: null, [null], culture: null);
        }
        catch (Exception e)
        {
            errors.Add($"{handler.DeclaringType?.FullName}.{handler.Name} threw {e.GetType().FullName}: {e.Message}");
        }
    }
}
