using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using NRepl.Server.World.Rendering;

namespace NRepl.Server.World.Parsing;

/// <summary>
/// Parses user input as C# script (top-level statements, a trailing expression without a
/// semicolon, methods and variables at top level) and sorts it into the parts the world keeps.
/// Namespace declarations are accepted too, so a real .cs file can be loaded with load-file.
/// </summary>
internal static class SubmissionParser
{
    public static readonly CSharpParseOptions ScriptOptions =
        new(LanguageVersion.Latest, DocumentationMode.Parse, SourceCodeKind.Script);

    // CS7021 "Cannot declare namespace in script code": we give namespaces their meaning ourselves.
    private static readonly HashSet<string> AcceptedParseErrors = new(StringComparer.Ordinal) { "CS7021" };

    public static ParsedSubmission Parse(string code, string ns, SourceOrigin origin)
    {
        var text = SourceText.From(code);
        var tree = CSharpSyntaxTree.ParseText(text, ScriptOptions);
        var root = (CompilationUnitSyntax)tree.GetRoot();

        var errors = tree.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error && !AcceptedParseErrors.Contains(d.Id))
            .ToList();

        var usings = new List<UsingPart>();
        var declarations = new List<DeclarationPart>();
        var body = new List<SyntaxNode>();

        usings.AddRange(root.Usings.Select(u => new UsingPart(ns, u)));
        CollectMembers(root.Members, ns, usings, declarations, body, errors);

        foreach (var directive in root.DescendantTrivia().Where(t => t.IsKind(SyntaxKind.ReferenceDirectiveTrivia) || t.IsKind(SyntaxKind.LoadDirectiveTrivia)))
        {
            errors.Add(Diagnostic.Create(Unsupported, directive.GetLocation(), directive.ToString().Trim()));
        }

        ExpressionSyntax? trailing = null;
        if (body.Count > 0 && body[^1] is GlobalStatementSyntax { Statement: ExpressionStatementSyntax { SemicolonToken.IsMissing: true } last })
        {
            trailing = last.Expression;
            body.RemoveAt(body.Count - 1);
        }

        return new ParsedSubmission(text, origin, ns, tree, usings, declarations, body, trailing, errors,
            SyntaxFactory.IsCompleteSubmission(tree));
    }

    /// <summary>True when the input is a complete C# submission (balanced braces, statements terminated).</summary>
    public static bool IsComplete(string code) =>
        SyntaxFactory.IsCompleteSubmission(CSharpSyntaxTree.ParseText(code, ScriptOptions));

    private static void CollectMembers(SyntaxList<MemberDeclarationSyntax> members, string ns,
        List<UsingPart> usings, List<DeclarationPart> declarations, List<SyntaxNode> body, List<Diagnostic> errors)
    {
        var currentNs = ns;
        foreach (var member in members)
        {
            switch (member)
            {
                case GlobalStatementSyntax statement:
                    body.Add(statement);
                    break;
                case FieldDeclarationSyntax field when field.Modifiers.Any(SyntaxKind.ConstKeyword):
                    declarations.Add(new DeclarationPart(DefinitionKind.Member, currentNs, field));
                    break;
                case FieldDeclarationSyntax field:
                    declarations.Add(new DeclarationPart(DefinitionKind.State, currentNs, field));
                    body.Add(field);
                    break;
                case MethodDeclarationSyntax or PropertyDeclarationSyntax:
                    declarations.Add(new DeclarationPart(DefinitionKind.Member, currentNs, member));
                    break;
                case BaseTypeDeclarationSyntax or DelegateDeclarationSyntax:
                    declarations.Add(new DeclarationPart(DefinitionKind.Type, currentNs, member));
                    break;
                case FileScopedNamespaceDeclarationSyntax fileScoped:
                    currentNs = fileScoped.Name.ToString();
                    usings.AddRange(fileScoped.Usings.Select(u => new UsingPart(currentNs, u)));
                    CollectMembers(fileScoped.Members, currentNs, usings, declarations, body, errors);
                    break;
                case NamespaceDeclarationSyntax block:
                    var inner = block.Name.ToString();
                    usings.AddRange(block.Usings.Select(u => new UsingPart(inner, u)));
                    CollectMembers(block.Members, inner, usings, declarations, body, errors);
                    break;
                default:
                    errors.Add(Diagnostic.Create(Unsupported, member.GetLocation(), member.Kind().ToString()));
                    break;
            }
        }
    }

    private static readonly DiagnosticDescriptor Unsupported = new(
        "REPL001", "Unsupported at top level", "'{0}' is not supported at the top level of an eval", "REPL",
        DiagnosticSeverity.Error, isEnabledByDefault: true);
}
