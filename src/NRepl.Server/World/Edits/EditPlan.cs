using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;

namespace NRepl.Server.World.Edits;

/// <summary>The EnC edits of one compile, or the reasons it cannot be applied in place.</summary>
internal sealed class EditPlan
{
    private readonly HashSet<ISymbol> _added = new(SymbolEqualityComparer.Default);
    private readonly HashSet<ISymbol> _edited = new(SymbolEqualityComparer.Default);

    public List<SemanticEdit> Edits { get; } = new();

    /// <summary>Types whose live instances must be migrated, in dependency-free order.</summary>
    public List<Migration.TypeMigrationPlan> Migrations { get; } = new();

    public List<RefusedEdit> Refusals { get; } = new();

    /// <summary>Changes of shape that replace-type could make (IncompatibleShapeChange); nothing is emitted while there are any.</summary>
    public List<ShapeChange> ShapeChanges { get; } = new();

    /// <summary>Types replaced by new ones in this change (replace-type), and the trees declaring the new ones.</summary>
    public List<NRepl.Runtime.Contract.TypeReplacement> Replacements { get; } = new();

    /// <summary>Trees of types the helpers generation must already have: the replacing types and new types they may use.</summary>
    public List<SyntaxTree> StagedTypeTrees { get; } = new();

    /// <summary>Things the user should know about the change (reported on the eval's err, the change still applies).</summary>
    public List<Migration.ChangeWarning> Warnings { get; } = new();

    /// <summary>Hidden helpers that initialize static fields added to live types, to be run once after the delta.</summary>
    public List<string> StaticInitializers { get; } = new();

    /// <summary>Trees outside the changed definitions whose code was recompiled (their diagnostics count too).</summary>
    public HashSet<SyntaxTree> DependentTrees { get; } = new();

    public void Insert(ISymbol symbol)
    {
        if (!_edited.Add(symbol)) return;
        _added.Add(symbol);
        Edits.Add(new SemanticEdit(SemanticEditKind.Insert, null, symbol));
    }

    public void Update(ISymbol oldSymbol, ISymbol newSymbol, Func<SyntaxNode, SyntaxNode?>? syntaxMap)
    {
        if (!_edited.Add(newSymbol)) return;
        Edits.Add(new SemanticEdit(SemanticEditKind.Update, oldSymbol, newSymbol, syntaxMap));
    }

    public void Delete(ISymbol oldSymbol, INamedTypeSymbol newContainingType) =>
        Edits.Add(new SemanticEdit(SemanticEditKind.Delete, oldSymbol, newContainingType));

    public bool IsEdited(ISymbol newSymbol) => _edited.Contains(newSymbol);

    /// <summary>The predicate EmitDifference asks for: a symbol inserted now, or a member of a type inserted now.</summary>
    public bool IsAdded(ISymbol symbol)
    {
        for (var s = symbol; s is not null; s = s.ContainingType)
        {
            if (_added.Contains(s)) return true;
        }
        return false;
    }
}
