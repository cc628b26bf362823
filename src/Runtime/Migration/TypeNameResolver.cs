using System.Reflection;

namespace NRepl.Runtime.Migration;

/// <summary>
/// Finds a loaded type by the name <see cref="Type.ToString"/> gives it (<c>System.Int64</c>,
/// <c>System.Collections.Generic.List`1[user.Player]</c>): the server names the type a new field will
/// have before the field exists. Generic arguments may live in any loaded assembly, the world included.
/// </summary>
internal static class TypeNameResolver
{
    public static Type? Resolve(string name, Assembly world) =>
        Type.GetType(name, assemblyResolver: null, typeResolver: (assembly, simpleName, ignoreCase) =>
            assembly?.GetType(simpleName, false, ignoreCase)
            ?? world.GetType(simpleName, false, ignoreCase)
            ?? Type.GetType(simpleName, false, ignoreCase)
            ?? AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(simpleName, false, ignoreCase)).FirstOrDefault(t => t is not null),
            throwOnError: false);
}
