using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;

namespace NRepl.Server.World.Model;

/// <summary>A definition and the syntax tree it is rendered as in the world compilation.</summary>
internal sealed record DefinitionEntry(Definition Definition, SyntaxTree Tree);

/// <summary>
/// The world as the target runs it: every live definition, the usings of each namespace, and the
/// compilation and EnC baseline they produced. Immutable: a compile builds a candidate snapshot,
/// and the world moves to it only after the target accepted the delta.
/// </summary>
internal sealed record WorldSnapshot(
    ImmutableDictionary<string, DefinitionEntry> Definitions,
    ImmutableDictionary<string, ImmutableList<UsingDefinition>> Usings,
    ImmutableDictionary<string, SyntaxTree> Holders,
    SyntaxTree? EvalTree,
    CSharpCompilation Compilation,
    EmitBaseline Baseline,
    long StringHeapSize,
    int Generation)
{
    /// <summary>Shape version of each world type whose instances were migrated (types never migrated are at version 1).</summary>
    public ImmutableDictionary<string, int> ShapeVersions { get; init; } = ImmutableDictionary<string, int>.Empty;

    public int ShapeVersionOf(string clrTypeName) => ShapeVersions.GetValueOrDefault(clrTypeName, 1);

    public IReadOnlyList<UsingDefinition> UsingsOf(string ns) =>
        Usings.TryGetValue(ns, out var list) ? list : ImmutableList<UsingDefinition>.Empty;
}
