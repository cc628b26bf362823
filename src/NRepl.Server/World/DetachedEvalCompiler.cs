using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Emit;
using NRepl.Runtime.Contract;
using NRepl.Server.World.Emit;
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

    private static readonly EmitOptions PortablePdb = new(debugInformationFormat: DebugInformationFormat.PortablePdb);

    private readonly IReadOnlyList<MetadataReference> _references;
    private readonly CSharpCompilationOptions _options;
    private readonly SyntaxTree _globalUsings;
    private Template? _template;

    public DetachedEvalCompiler(IReadOnlyList<MetadataReference> references, CSharpCompilationOptions options, IEnumerable<string> globalUsings)
    {
        _references = references;
        _options = options;
        _globalUsings = TreeRenderer.GlobalUsings(globalUsings);
    }

    /// <summary>The world as a detached eval sees it, with the references bound once per world generation.</summary>
    private sealed record Template(WorldSnapshot World, CSharpCompilation Compilation, string WorldAssemblyName);

    /// <summary>The code to run, or null when the eval must go through the world (see the class summary).</summary>
    public DetachedCode? TryCompile(WorldSnapshot world, ParsedSubmission submission, string sessionId, string methodName)
    {
        if (!DefinesNothing(submission)) return null;
        var template = TemplateFor(world);
        var usings = world.UsingsOf(submission.Ns);
        var prelude = EvalPrelude.For(submission, sessionId);

        // Writing a PDB costs more than compiling a one-line eval, and every frame of a one-line eval is on that
        // line: the target is told the line instead. A longer eval gets its PDB, so its frames name their lines.
        var oneLine = submission.Text.Lines.Count == 1;
        var emitted = Emit(template, submission, methodName, usings, prelude, trailingIsValue: true, withPdb: !oneLine, out var voidTrailing);
        // A void call last is a statement: boxing it as the value fails, so it is rendered as one (a second compile only then).
        if (voidTrailing) emitted = Emit(template, submission, methodName, usings, prelude, trailingIsValue: false, withPdb: !oneLine, out _);
        if (emitted is not { } code || WorldFieldReferences.Any(code.Pe, template.WorldAssemblyName)) return null;
        var origin = submission.Origin;
        return new DetachedCode(code.Pe, code.Pdb, $"{submission.Ns}.{ClassName}", methodName, oneLine ? $"{origin.File}:{origin.Line}" : "");
    }

    /// <summary>The assembly, or null when the code has errors; <paramref name="voidTrailing"/> when the only trouble is a void value.</summary>
    private static (byte[] Pe, byte[] Pdb)? Emit(Template template, ParsedSubmission submission, string methodName, IReadOnlyList<Model.UsingDefinition> usings,
        string prelude, bool trailingIsValue, bool withPdb, out bool voidTrailing)
    {
        var tree = TreeRenderer.Eval(submission, methodName, usings, submission.HasAwait, trailingIsValue, prelude, probe: false, detachedClass: ClassName);
        using var pe = new MemoryStream();
        using var pdb = withPdb ? new MemoryStream() : null;
        var result = template.Compilation.AddSyntaxTrees(tree).Emit(pe, pdb, options: PortablePdb);
        var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        voidTrailing = trailingIsValue && submission.TrailingExpression is not null && errors.Count > 0 && errors.All(IsVoidToObject);
        return result.Success ? (pe.ToArray(), pdb?.ToArray() ?? []) : null;
    }

    // CS0029 "Cannot implicitly convert type 'void' to 'object'" and CS0030 "Cannot convert type 'void' to 'object'", from `(object)(call)`.
    private static bool IsVoidToObject(Diagnostic d) => d.Id is "CS0029" or "CS0030" && d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("'void'", StringComparison.Ordinal);

    private static bool DefinesNothing(ParsedSubmission submission) =>
        submission.Declarations.Count == 0 && submission.Usings.Count == 0
        && submission.Body.All(n => n is GlobalStatementSyntax)
        && (submission.Body.Count > 0 || submission.TrailingExpression is not null);

    private Template TemplateFor(WorldSnapshot world)
    {
        if (Volatile.Read(ref _template) is { } cached && ReferenceEquals(cached.World, world)) return cached;
        var worldReference = world.Compilation.ToMetadataReference();
        var compilation = CSharpCompilation.Create(AssemblyName, [_globalUsings], [.. _references, worldReference], _options);
        var template = new Template(world, compilation, world.Compilation.AssemblyName!);
        Volatile.Write(ref _template, template);
        return template;
    }
}
