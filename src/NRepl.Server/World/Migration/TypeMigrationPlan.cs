using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NRepl.Runtime.Contract;

namespace NRepl.Server.World.Migration;

/// <summary>How one new field of a migrating type is filled on every live instance.</summary>
/// <param name="Field">The new field (metadata name) and its type (reflection spelling).</param>
/// <param name="OldField">For <see cref="FieldSource.OldField"/>: the old field it comes from.</param>
/// <param name="Initializer">For <see cref="FieldSource.Initializer"/>: the declared type and the initializer, as rendered in the new world tree.</param>
internal sealed record FieldMigrationStep(
    string DisplayName,
    string Field,
    string FieldType,
    FieldSource Source,
    string? OldField,
    string? OldFieldType,
    Conversion Conversion,
    (TypeSyntax Type, ExpressionSyntax Value)? Initializer = null);

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
    IReadOnlyList<string> Warnings,
    IReadOnlyList<ISymbol> Inserts);
