using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace NRepl.Server.World.Rendering;

/// <summary>
/// Registers the cooperative checks every piece of world code carries: a stack guard and
/// interrupt check at method entry (so unbounded recursion becomes an exception instead of a dead
/// target) and an interrupt poll in every loop body (so <c>while (true) {}</c> can be interrupted).
/// The checks are injected as hidden text, so user positions are unchanged.
/// </summary>
internal static class Instrumenter
{
    public const string MethodEntry = "global::NRepl.Runtime.CompilerHooks.MethodEntry();";
    public const string LoopPoll = "if (global::NRepl.Runtime.CompilerHooks.InterruptPending != 0) global::NRepl.Runtime.CompilerHooks.LoopPoll();";

    public static void Instrument(SyntaxNode root, MappedSourceBuilder builder)
    {
        foreach (var node in root.DescendantNodesAndSelf())
        {
            switch (node)
            {
                case ConstructorDeclarationSyntax ctor when LiveTypeInjector.Registers(ctor):
                    InstrumentBody(ctor.Body, ctor.ExpressionBody, ctor.SemicolonToken, false, builder,
                        MethodEntry + " " + LiveTypeInjector.Register);
                    break;
                case BaseMethodDeclarationSyntax method:
                    InstrumentBody(method.Body, method.ExpressionBody, method.SemicolonToken, ReturnsValue(method), builder);
                    break;
                case AccessorDeclarationSyntax accessor:
                    InstrumentBody(accessor.Body, accessor.ExpressionBody, accessor.SemicolonToken,
                        accessor.IsKind(SyntaxKind.GetAccessorDeclaration), builder);
                    break;
                case LocalFunctionStatementSyntax local:
                    InstrumentBody(local.Body, local.ExpressionBody, local.SemicolonToken,
                        ReturnsValue(local.ReturnType, local.Modifiers), builder);
                    break;
                case PropertyDeclarationSyntax { ExpressionBody: { } body } property:
                    InstrumentExpressionGetter(body, property.SemicolonToken, builder);
                    break;
                case IndexerDeclarationSyntax { ExpressionBody: { } body } indexer:
                    InstrumentExpressionGetter(body, indexer.SemicolonToken, builder);
                    break;
                case StatementSyntax statement when LoopBody(statement) is { } loopBody:
                    InstrumentLoopBody(loopBody, builder);
                    break;
            }
        }
    }

    /// <summary>Adds the method-entry check to a block body (used for the eval method, whose body is generated).</summary>
    public static void InstrumentBlockStart(BlockSyntax block, MappedSourceBuilder builder) =>
        builder.Inject(block.OpenBraceToken.Span.End, MethodEntry);

    /// <summary><c>=&gt; e;</c> of a property or indexer becomes <c>{ get { entry-check; return e; } }</c>.</summary>
    private static void InstrumentExpressionGetter(ArrowExpressionClauseSyntax body, SyntaxToken semicolon, MappedSourceBuilder builder)
    {
        builder.Inject(body.ArrowToken.SpanStart, "{ get { " + MethodEntry + ReturnOrThrow(body), body.ArrowToken.Span.Length);
        builder.Inject(semicolon.SpanStart, "; } }", semicolon.Span.Length);
    }

    private static StatementSyntax? LoopBody(StatementSyntax statement) => statement switch
    {
        WhileStatementSyntax loop => loop.Statement,
        DoStatementSyntax loop => loop.Statement,
        ForStatementSyntax loop => loop.Statement,
        CommonForEachStatementSyntax loop => loop.Statement,
        _ => null,
    };

    private static void InstrumentBody(BlockSyntax? body, ArrowExpressionClauseSyntax? expressionBody, SyntaxToken semicolon,
        bool returnsValue, MappedSourceBuilder builder, string entry = MethodEntry)
    {
        if (body is not null)
        {
            builder.Inject(body.OpenBraceToken.Span.End, entry);
        }
        else if (expressionBody is not null && !semicolon.IsMissing)
        {
            // `=> throw e;` becomes `{ ...; throw e; }`: a throw expression cannot be returned.
            var keyword = returnsValue && expressionBody.Expression is not ThrowExpressionSyntax ? " return " : " ";
            builder.Inject(expressionBody.ArrowToken.SpanStart, "{ " + entry + keyword, expressionBody.ArrowToken.Span.Length);
            builder.Inject(semicolon.SpanStart, "; }", semicolon.Span.Length);
        }
    }

    private static string ReturnOrThrow(ArrowExpressionClauseSyntax body) =>
        body.Expression is ThrowExpressionSyntax ? " " : " return ";

    private static void InstrumentLoopBody(StatementSyntax statement, MappedSourceBuilder builder)
    {
        if (statement is BlockSyntax block)
        {
            builder.Inject(block.OpenBraceToken.Span.End, LoopPoll);
        }
        else
        {
            builder.Inject(statement.SpanStart, "{ " + LoopPoll + " ");
            builder.Inject(statement.Span.End, " }");
        }
    }

    private static bool ReturnsValue(BaseMethodDeclarationSyntax method) => method switch
    {
        MethodDeclarationSyntax m => ReturnsValue(m.ReturnType, m.Modifiers),
        OperatorDeclarationSyntax or ConversionOperatorDeclarationSyntax => true,
        _ => false, // constructors, destructors
    };

    private static bool ReturnsValue(TypeSyntax returnType, SyntaxTokenList modifiers)
    {
        if (returnType is PredefinedTypeSyntax p && p.Keyword.IsKind(SyntaxKind.VoidKeyword)) return false;
        if (modifiers.Any(SyntaxKind.AsyncKeyword))
        {
            var name = returnType switch
            {
                IdentifierNameSyntax id => id.Identifier.ValueText,
                QualifiedNameSyntax { Right: IdentifierNameSyntax id } => id.Identifier.ValueText,
                AliasQualifiedNameSyntax { Name: IdentifierNameSyntax id } => id.Identifier.ValueText,
                _ => null,
            };
            if (name is "Task" or "ValueTask") return false;
        }
        return true;
    }
}
