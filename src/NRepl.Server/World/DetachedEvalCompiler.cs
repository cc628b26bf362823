using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;
using NRepl.Runtime.Contract;
using NRepl.Server.World.Model;
using NRepl.Server.World.Parsing;
using NRepl.Server.World.Rendering;

namespace NRepl.Server.World;

/// <summary>
/// Compiles an eval that defines nothing (no declaration, no using) and touches no field of the world into a
/// small assembly of its own that references the world, instead of into a delta of the world assembly: no
/// EmitDifference, no world lock (evals of different sessions compile at once), and the world assembly does
/// not grow with every eval. research/dotnet-hotswap.md: methods, properties and types a delta added resolve
/// from another assembly, fields do not; so an eval that reads or writes a field of the world (its variables,
/// fields of its types) is left to the world path, and so is one this compile finds an error in, so the user
/// sees the world path's diagnostics. Thread-safe: each call works on the world snapshot it is given.
/// </summary>
internal sealed class DetachedEvalCompiler
{
    /// <summary>The name of every detached eval assembly; the world grants it InternalsVisibleTo, as user code is internal.</summary>
    public const string AssemblyName = "NRepl.Eval";

    private const string ClassName = "__Eval";

    private static readonly EmitOptions EmbeddedPdb = new(debugInformationFormat: DebugInformationFormat.Embedded);

    private readonly IReadOnlyList<MetadataReference> _references;
    private readonly CSharpCompilationOptions _options;
    private readonly SyntaxTree _globalUsings;
    private Template? _template;

    public DetachedEvalCompiler(IReadOnlyList<MetadataReference> references, CSharpCompilationOptions options, IEnumerable<string> globalUsings)
    {
        _references = references;
        _options = options;
        _globalUsings = CSharpSyntaxTree.ParseText(
            SourceText.From(string.Concat(globalUsings.Select(u => $"global using global::{u};\n")), System.Text.Encoding.UTF8),
            TreeRenderer.ParseOptions, "usings.cs");
    }

    /// <summary>The world as a detached eval sees it, with the references bound once per world generation.</summary>
    private sealed record Template(WorldSnapshot World, CSharpCompilation Compilation, IAssemblySymbol WorldAssembly);

    /// <summary>The code to run, or null when the eval must go through the world (see the class summary).</summary>
    public DetachedCode? TryCompile(WorldSnapshot world, ParsedSubmission submission, string sessionId, string methodName)
    {
        if (!DefinesNothing(submission)) return null;
        var template = TemplateFor(world);
        var usings = world.UsingsOf(submission.Ns);
        var prelude = EvalPrelude.For(submission, sessionId);

        var (compilation, tree) = Build(template, submission, methodName, usings, prelude, trailingIsValue: true);
        var model = compilation.GetSemanticModel(tree);
        var method = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().First();
        if (submission.TrailingExpression is not null && TrailingValue(method) is { } trailing
            && model.GetTypeInfo(trailing).Type?.SpecialType == SpecialType.System_Void)
        {
            // A void call is a statement: boxing it is an error, so render it as one.
            (compilation, tree) = Build(template, submission, methodName, usings, prelude, trailingIsValue: false);
            model = compilation.GetSemanticModel(tree);
            method = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().First();
        }
        if (model.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error)) return null;
        if (TouchesWorldField(model, method, template.WorldAssembly)) return null;

        using var pe = new MemoryStream();
        var result = compilation.Emit(pe, options: EmbeddedPdb);
        if (!result.Success) return null;
        return new DetachedCode(pe.ToArray(), $"{submission.Ns}.{ClassName}", methodName);
    }

    private static bool DefinesNothing(ParsedSubmission submission) =>
        submission.Declarations.Count == 0 && submission.Usings.Count == 0
        && submission.Body.All(n => n is GlobalStatementSyntax)
        && (submission.Body.Count > 0 || submission.TrailingExpression is not null);

    private (CSharpCompilation, SyntaxTree) Build(Template template, ParsedSubmission submission, string methodName,
        IReadOnlyList<Model.UsingDefinition> usings, string prelude, bool trailingIsValue)
    {
        var tree = TreeRenderer.Eval(submission, methodName, usings, submission.HasAwait, trailingIsValue, prelude, probe: false, detachedClass: ClassName);
        return (template.Compilation.AddSyntaxTrees(tree), tree);
    }

    /// <summary>The trailing expression as rendered: the operand of the last <c>return (object)(...)</c> of the method's own statements.</summary>
    private static ExpressionSyntax? TrailingValue(MethodDeclarationSyntax method) =>
        method.Body?.Statements.OfType<ReturnStatementSyntax>()
            .Select(r => r.Expression)
            .OfType<CastExpressionSyntax>()
            .LastOrDefault(c => c.Expression is ParenthesizedExpressionSyntax)?.Expression is ParenthesizedExpressionSyntax value
            ? value.Expression
            : null;

    private static bool TouchesWorldField(SemanticModel model, MethodDeclarationSyntax method, IAssemblySymbol world) =>
        model.GetOperation(method) is { } body
        && body.Descendants().OfType<IFieldReferenceOperation>().Any(f =>
            !f.Field.IsConst && SymbolEqualityComparer.Default.Equals(f.Field.ContainingAssembly, world));

    private Template TemplateFor(WorldSnapshot world)
    {
        if (Volatile.Read(ref _template) is { } cached && ReferenceEquals(cached.World, world)) return cached;
        var worldReference = world.Compilation.ToMetadataReference();
        var compilation = CSharpCompilation.Create(AssemblyName, [_globalUsings], [.. _references, worldReference], _options);
        var worldAssembly = (IAssemblySymbol)compilation.GetAssemblyOrModuleSymbol(worldReference)!;
        var template = new Template(world, compilation, worldAssembly);
        Volatile.Write(ref _template, template);
        return template;
    }
}
