using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using NRepl.Server.World.Rendering;

namespace NRepl.Server.World.Parsing;

/// <summary>What kind of world definition a top-level declaration makes.</summary>
internal enum DefinitionKind
{
    /// <summary>A method, property or constant of the namespace's function holder.</summary>
    Member,
    /// <summary>A top-level variable: a static field that keeps its value between evals.</summary>
    State,
    /// <summary>A class, struct, record, interface, enum or delegate.</summary>
    Type,
}

/// <summary>A top-level declaration of a submission, and the C# namespace it goes into.</summary>
internal sealed record DeclarationPart(DefinitionKind Kind, string Ns, MemberDeclarationSyntax Node);

/// <summary>A <c>using</c> directive and the namespace it applies to.</summary>
internal sealed record UsingPart(string Ns, UsingDirectiveSyntax Node);

/// <summary>
/// One eval or load-file, split the way the world needs it: usings and declarations persist;
/// statements (with top-level variable initializers turned into assignments) run once, and a
/// trailing expression without a semicolon is the eval's value. <see cref="IsComplete"/> is false
/// for input an editor sent too early (an open brace, a statement without its semicolon).
/// </summary>
internal sealed record ParsedSubmission(
    SourceText Text,
    SourceOrigin Origin,
    string Ns,
    SyntaxTree Tree,
    IReadOnlyList<UsingPart> Usings,
    IReadOnlyList<DeclarationPart> Declarations,
    IReadOnlyList<SyntaxNode> Body,
    ExpressionSyntax? TrailingExpression,
    IReadOnlyList<Diagnostic> Errors,
    bool IsComplete)
{
    public bool HasAwait => Body.Append(TrailingExpression).OfType<SyntaxNode>().Any(n => n.DescendantNodesAndSelf(d => !IsFunctionBoundary(d)).Any(d => d is AwaitExpressionSyntax)
        || (n is LocalDeclarationStatementSyntax l && l.AwaitKeyword.Value is not null)
        || (n is ForEachStatementSyntax f && f.AwaitKeyword.Value is not null));

    internal static bool IsFunctionBoundary(SyntaxNode node) =>
        node is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax;
}
