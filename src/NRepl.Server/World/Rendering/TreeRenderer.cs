using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using NRepl.Server.World.Model;
using NRepl.Server.World.Parsing;

namespace NRepl.Server.World.Rendering;

/// <summary>
/// Turns definitions and evals into the regular C# syntax trees of the world assembly. Every tree
/// is one namespace block holding the namespace's usings; functions, state and evals are members
/// of the namespace's static holder class, which types import with <c>using static</c> so they
/// can call the user's functions by name.
/// </summary>
internal static class TreeRenderer
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, DocumentationMode.Parse, SourceCodeKind.Regular);

    private static readonly HashSet<SyntaxKind> ImposedModifiers = new()
    {
        SyntaxKind.PublicKeyword, SyntaxKind.PrivateKeyword, SyntaxKind.ProtectedKeyword, SyntaxKind.InternalKeyword,
        SyntaxKind.StaticKeyword, SyntaxKind.ReadOnlyKeyword, SyntaxKind.ConstKeyword, SyntaxKind.VirtualKeyword,
        SyntaxKind.OverrideKeyword, SyntaxKind.AbstractKeyword, SyntaxKind.SealedKeyword, SyntaxKind.NewKeyword,
    };

    /// <summary>The <c>global using</c> directives every world tree (or detached eval) sees, and any assembly attributes after them.</summary>
    public static SyntaxTree GlobalUsings(IEnumerable<string> namespaces, string assemblyAttributes = "") =>
        Parse(string.Concat(namespaces.Select(u => $"global using global::{u};\n")) + assemblyAttributes, "usings.cs");

    public static SyntaxTree Shell(string ns) =>
        Parse($"namespace {ns}\n{{\ninternal static partial class {WorldNames.Holder}\n{{\n}}\n}}\n", $"{ns}.holder.cs");

    /// <summary>A tree holding only a namespace's usings, to check them; never emitted.</summary>
    public static SyntaxTree UsingsProbe(string ns, IReadOnlyList<UsingDefinition> usings)
    {
        var sb = new StringBuilder();
        OpenNamespace(sb, ns, usings);
        sb.Append("\n#line hidden\n}\n");
        return Parse(sb.ToString(), $"{ns}.usings.cs");
    }

    public static SyntaxTree Definition(Definition definition, IReadOnlyList<UsingDefinition> usings)
    {
        var sb = new StringBuilder();
        // A replaced type lives in a namespace of its own, inside its own: it still sees its namespace's names.
        OpenNamespace(sb, definition.ReplacedInto ?? definition.Ns, usings, definition.Ns);
        switch (definition.Kind)
        {
            case DefinitionKind.State:
                sb.Append("\n#line hidden\ninternal static partial class ").Append(WorldNames.Holder).Append("\n{\n");
                var state = new StringBuilder();
                state.Append("internal static ");
                if (definition.StateTypeOrigin is { } typeOrigin)
                {
                    var typeText = SourceText.From(definition.StateType!);
                    var typeBuilder = new MappedSourceBuilder(typeText, typeOrigin);
                    typeBuilder.Original(0, typeText.Length);
                    sb.Append(state).Append(typeBuilder);
                }
                else
                {
                    sb.Append(state).Append(definition.StateType).Append(' ');
                }
                var nameText = SourceText.From(definition.Text);
                var nameBuilder = new MappedSourceBuilder(nameText, definition.Origin);
                nameBuilder.Hidden(" ");
                nameBuilder.Original(0, nameText.Length);
                nameBuilder.Hidden(";\n}\n");
                sb.Append(nameBuilder);
                break;
            case DefinitionKind.Member:
                sb.Append("\n#line hidden\ninternal static partial class ").Append(WorldNames.Holder).Append("\n{\n");
                sb.Append(RenderMember(definition, asHolderMember: true));
                sb.Append("\n#line hidden\n}\n");
                break;
            case DefinitionKind.Type:
                sb.Append(RenderMember(definition, asHolderMember: false));
                break;
        }
        sb.Append("\n#line hidden\n}\n");
        return Parse(sb.ToString(), $"{definition.Ns}.{definition.Kind}.{definition.Name}.cs");
    }

    /// <summary>
    /// The eval method: statements and variable initializers in order, then the trailing
    /// expression's value (boxed) or <c>Repl.NoValue</c>. <paramref name="probe"/> renders top-level
    /// variables as locals and the trailing expression into a local, so their types can be read
    /// from the semantic model before the real rendering.
    /// </summary>
    public static SyntaxTree Eval(ParsedSubmission submission, string methodName, IReadOnlyList<UsingDefinition> usings,
        bool isAsync, bool trailingIsValue, string preludeText, bool probe, string? detachedClass = null)
    {
        var sb = new StringBuilder();
        OpenNamespace(sb, submission.Ns, usings);
        // A detached eval is an assembly of its own: its class cannot be a part of the world's holder.
        sb.Append(detachedClass is null ? "\n#line hidden\ninternal static partial class " + WorldNames.Holder : "\n#line hidden\ninternal static class " + detachedClass)
            .Append("\n{\n");
        sb.Append(isAsync
            ? $"internal static async global::System.Threading.Tasks.Task<object> {methodName}()\n{{\n"
            : $"internal static object {methodName}()\n{{\n");
        sb.Append(Instrumenter.MethodEntry).Append('\n').Append(preludeText);

        var builder = new MappedSourceBuilder(submission.Text, submission.Origin);
        foreach (var node in submission.Body)
        {
            Instrumenter.Instrument(node, builder);
        }
        if (submission.TrailingExpression is { } trailing) Instrumenter.Instrument(trailing, builder);

        foreach (var node in submission.Body)
        {
            switch (node)
            {
                case GlobalStatementSyntax statement:
                    builder.Original(statement.SpanStart, statement.Span.End);
                    break;
                case FieldDeclarationSyntax field when probe:
                    builder.Original(field.Declaration.SpanStart, field.Span.End);
                    break;
                case FieldDeclarationSyntax field:
                    foreach (var declarator in field.Declaration.Variables.Where(v => v.Initializer is not null))
                    {
                        if (declarator.Initializer!.Value is InitializerExpressionSyntax { RawKind: (int)SyntaxKind.ArrayInitializerExpression } array)
                        {
                            // `int[] xs = { 1, 2 };` declares; as an assignment to the variable's field it needs `new int[]`.
                            builder.Original(declarator.SpanStart, declarator.Initializer.EqualsToken.Span.End);
                            builder.Hidden($" new {field.Declaration.Type} ");
                            builder.Original(array.SpanStart, array.Span.End);
                        }
                        else
                        {
                            builder.Original(declarator.SpanStart, declarator.Span.End);
                        }
                        builder.Hidden(";");
                    }
                    break;
            }
        }

        if (submission.TrailingExpression is { } expression)
        {
            if (probe)
            {
                builder.Hidden("var __value = ");
                builder.Original(expression.SpanStart, expression.Span.End);
                builder.Hidden(";");
            }
            else if (trailingIsValue)
            {
                builder.Hidden("return (object)(");
                builder.Original(expression.SpanStart, expression.Span.End);
                builder.Hidden(");");
            }
            else
            {
                builder.Original(expression.SpanStart, expression.Span.End);
                builder.Hidden(";");
            }
        }
        builder.Hidden("\n#pragma warning disable CS0162\nreturn global::NRepl.Runtime.Repl.NoValue;\n}\n}\n}\n");
        sb.Append(builder);
        return Parse(sb.ToString(), $"{submission.Ns}.{methodName}.cs");
    }

    private static void OpenNamespace(StringBuilder sb, string ns, IReadOnlyList<UsingDefinition> usings, string? holderNs = null)
    {
        sb.Append("namespace ").Append(ns).Append("\n{\n");
        foreach (var u in usings)
        {
            var text = SourceText.From(u.Text);
            var builder = new MappedSourceBuilder(text, u.Origin);
            builder.Original(0, text.Length);
            sb.Append(builder).Append('\n');
        }
        sb.Append("\n#line hidden\nusing static global::").Append(holderNs ?? ns).Append('.').Append(WorldNames.Holder).Append(";\n");
    }

    private static string RenderMember(Definition definition, bool asHolderMember)
    {
        var text = SourceText.From(definition.Text);
        var root = CSharpSyntaxTree.ParseText(text, SubmissionParser.ScriptOptions).GetCompilationUnitRoot();
        var member = root.Members.First();
        var builder = new MappedSourceBuilder(text, definition.Origin);
        Instrumenter.Instrument(member, builder);
        if (!asHolderMember) LiveTypeInjector.Inject(member, builder);

        var modifiers = member.Modifiers;
        var insertAt = modifiers.Count > 0 ? modifiers.First().SpanStart : FirstTokenAfterAttributes(member).SpanStart;
        if (asHolderMember)
        {
            var isConst = modifiers.Any(SyntaxKind.ConstKeyword);
            var kept = modifiers.Where(m => !ImposedModifiers.Contains(m.Kind())).Select(m => m.Text);
            var imposed = (isConst ? "internal const " : "internal static ") + string.Join(' ', kept) + " ";
            builder.Inject(insertAt, imposed, modifiers.Count > 0 ? modifiers.Span.End - insertAt : 0);
        }
        else if (modifiers.Any(m => m.IsKind(SyntaxKind.PrivateKeyword) || m.IsKind(SyntaxKind.ProtectedKeyword)))
        {
            // Script types are nested in the submission class, where private/protected are legal; ours are top-level.
            var kept = modifiers.Where(m => !m.IsKind(SyntaxKind.PrivateKeyword) && !m.IsKind(SyntaxKind.ProtectedKeyword)).Select(m => m.Text);
            builder.Inject(insertAt, string.Join(' ', kept) + " ", modifiers.Span.End - insertAt);
        }
        builder.Original(DocCommentStart(member), member.Span.End);
        return builder.ToString();
    }

    /// <summary>Where a declaration starts with its <c>///</c> (or <c>/** */</c>) documentation comment, which info and lookup show.</summary>
    public static int DocCommentStart(SyntaxNode node)
    {
        foreach (var trivia in node.GetLeadingTrivia())
        {
            var text = trivia.ToFullString();
            if (text.StartsWith("///", StringComparison.Ordinal) || text.StartsWith("/**", StringComparison.Ordinal)) return trivia.FullSpan.Start;
        }
        return node.SpanStart;
    }

    private static SyntaxToken FirstTokenAfterAttributes(MemberDeclarationSyntax member) =>
        member.AttributeLists.Count > 0 ? member.AttributeLists.Last().GetLastToken().GetNextToken() : member.GetFirstToken();

    private static SyntaxTree Parse(string text, string path) =>
        CSharpSyntaxTree.ParseText(SourceText.From(text, Encoding.UTF8), ParseOptions, path);
}
