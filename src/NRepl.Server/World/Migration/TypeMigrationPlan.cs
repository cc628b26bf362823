using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NRepl.Runtime.Contract;

namespace NRepl.Server.World.Migration;

/// <summary>How one new field of a migrating type is filled on every live instance.</summary>
/// <param name="Field">The new field (metadata name) and its type (reflection spelling).</param>
/// <param name="OldField">For <see cref="FieldSource.OldField"/>: the old field it comes from.</param>
/// <param name="Initializer">The new field's declared type and initializer, as rendered in the new world tree, when it has one: the value for <see cref="FieldSource.Initializer"/>, and the use-initializer restart's otherwise.</param>
/// <param name="FieldTypeCSharp">The new field's type as C# source (fully qualified), for restart helpers.</param>
/// <param name="OldFieldTypeCSharp">The old field's type as C# source, likewise.</param>
internal sealed record FieldMigrationStep(
    string DisplayName,
    string Field,
    string FieldType,
    FieldSource Source,
    string? OldField,
    string? OldFieldType,
    Conversion Conversion,
    (TypeSyntax Type, ExpressionSyntax Value)? Initializer = null,
    string FieldTypeCSharp = "object",
    string? OldFieldTypeCSharp = null)
{
    /// <summary>For <see cref="FieldSource.Missing"/>: why the live instances have no value (shown with the condition).</summary>
    public string? MissingBecause { get; init; }
}

/// <summary>
/// The migration of one world type's live instances to its new shape, planned before anything is
/// applied (research/migration.md §7.1): every new field's source and conversion, the fields whose
/// values are discarded (kept per instance for recovery), and warnings for the user.
/// </summary>
internal sealed record TypeMigrationPlan(
    string TypeName,
    string DisplayName,
    IReadOnlyList<FieldMigrationStep> Steps,
    IReadOnlyList<(string Field, string FieldType, string DisplayName)> Discarded,
    IReadOnlyList<ChangeWarning> Warnings,
    IReadOnlyList<ISymbol> Inserts)
{
    /// <summary>Retyped static fields, converted by the same tiers as instance fields.</summary>
    public IReadOnlyList<FieldMigrationStep> StaticSteps { get; init; } = Array.Empty<FieldMigrationStep>();

    /// <summary>The explicit migration hook the new version declares (OnRedefined, or the static Migrate).</summary>
    public HookKind Hook { get; init; }
}
