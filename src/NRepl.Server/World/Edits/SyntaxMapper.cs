using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace NRepl.Server.World.Edits;

/// <summary>
/// Syntax maps for method updates. Without a map, EnC deletes the lambdas of the old body, and
/// every delegate made earlier (a timer callback, an event handler) throws HotReloadException
/// on its next call; with a map the old delegates run the new code (research/enc-edits.md §1).
/// </summary>
/// <remarks>
/// Nodes are matched by their path of child indices from the declaration root, with the kind
/// checked at every step. That is exact for unchanged code (re-rendered definitions, callers
/// recompiled after a signature change) and for edits that do not move the lambdas; a lambda whose
/// position changed maps to nothing and is treated as new.
/// </remarks>
internal static class SyntaxMapper
{
    public static bool NeedsMap(SyntaxNode declaration) =>
        declaration.DescendantNodesAndSelf().Any(n => n is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax
            or AwaitExpressionSyntax or YieldStatementSyntax or QueryExpressionSyntax)
        || declaration.DescendantTokens().Any(t => t.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.AwaitKeyword));

    public static Func<SyntaxNode, SyntaxNode?> Create(SyntaxNode oldRoot, SyntaxNode newRoot) => newNode =>
    {
        var path = new Stack<int>();
        for (var node = newNode; node != newRoot; node = node.Parent)
        {
            if (node.Parent is null) return null;
            path.Push(IndexAmongSiblings(node));
        }

        var old = oldRoot;
        var current = newRoot;
        while (path.Count > 0)
        {
            var index = path.Pop();
            old = old.ChildNodes().ElementAtOrDefault(index);
            current = current.ChildNodes().ElementAt(index);
            if (old is null || old.RawKind != current.RawKind) return null;
        }
        return old;
    };

    private static int IndexAmongSiblings(SyntaxNode node)
    {
        var index = 0;
        foreach (var sibling in node.Parent!.ChildNodes())
        {
            if (sibling == node) return index;
            index++;
        }
        return -1;
    }
}
