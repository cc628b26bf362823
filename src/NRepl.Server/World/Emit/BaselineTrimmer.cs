using System.Reflection;
using Microsoft.CodeAnalysis.Emit;

namespace NRepl.Server.World.Emit;

/// <summary>
/// Roslyn's latest EmitBaseline reaches every earlier generation through its internal
/// PEModuleBuilder, so a long session keeps every compilation alive (research/enc-edits.md §4:
/// about 44-121 KB a delta, and quadratic growth with a method per eval). Cutting that link on a
/// baseline that will never be emitted from again kept memory flat with identical results.
/// </summary>
/// <remarks>
/// This relies on a private field. If a Roslyn update renames it, <see cref="IsAvailable"/> is
/// false and the world just keeps the memory (correct, only larger); the server logs that once.
/// </remarks>
internal static class BaselineTrimmer
{
    private static readonly FieldInfo? ModuleBuilderField =
        typeof(EmitBaseline).GetField("PEModuleBuilder", BindingFlags.Instance | BindingFlags.NonPublic);

    public static bool IsAvailable => ModuleBuilderField is not null && !ModuleBuilderField.FieldType.IsValueType;

    /// <summary>Release what <paramref name="superseded"/> holds of earlier generations. Only for a baseline no delta will be emitted from again.</summary>
    public static void Release(EmitBaseline superseded)
    {
        if (IsAvailable) ModuleBuilderField!.SetValue(superseded, null);
    }
}
