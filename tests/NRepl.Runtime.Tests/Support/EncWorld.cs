using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Text;
using NRepl.Runtime;

namespace NRepl.Runtime.Tests.Support;

/// <summary>One EnC edit for <see cref="EncWorld.Emit"/>: a member named by its type's metadata name and its own name.</summary>
internal sealed record Edit(SemanticEditKind Kind, string TypeName, string MemberName)
{
    public static Edit Update(string member, string type = EncWorld.DefsType) => new(SemanticEditKind.Update, type, member);

    public static Edit Insert(string member, string type = EncWorld.DefsType) => new(SemanticEditKind.Insert, type, member);
}

/// <summary>An emitted delta and the tokens of the methods it added, by name.</summary>
internal sealed record Delta(byte[] Metadata, byte[] IL, byte[] Pdb, IReadOnlyDictionary<string, int> AddedMethods)
{
    /// <summary>Tokens of the fields the delta added, by name.</summary>
    public IReadOnlyDictionary<string, int> AddedFields { get; init; } = new Dictionary<string, int>();
}

/// <summary>
/// A test-only world compiler: compiles one source file into an EnC-capable assembly (Debug, portable
/// PDB) and emits deltas against it with <c>EmitDifference</c>. The production compiler lives in the server.
/// </summary>
internal sealed class EncWorld
{
    public const string DefsType = "user.__Defs";
    private const string FilePath = "/repl/world.cs";

    private static readonly Guid EncLocalSlotMap = new("755F52A8-91C5-45BE-B4B8-209571E552BD");
    private static readonly Guid EncLambdaAndClosureMap = new("A643004C-0240-496F-A783-30D64F4979DE");
    private static readonly Guid EncStateMachineStateMap = new("8B78CD68-2EDE-420B-980B-E15884B8AAA3");

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !Path.GetFileName(p).StartsWith("NRepl.", StringComparison.Ordinal) && !Path.GetFileName(p).StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal))
            .Append(typeof(CompilerHooks).Assembly.Location);
        return [.. paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    });

    private static readonly CSharpParseOptions s_parse = new(LanguageVersion.Latest);

    private readonly List<MetadataReader> _generations = [];
    private CSharpCompilation _compilation;
    private EmitBaseline _baseline;

    private EncWorld(CSharpCompilation compilation, byte[] pe, byte[] pdb, EmitBaseline baseline)
    {
        _compilation = compilation;
        Pe = pe;
        Pdb = pdb;
        _baseline = baseline;
        _generations.Add(MetadataReaderProvider.FromMetadataImage(ImmutableArray.Create(GetMetadata(pe))).GetMetadataReader());
    }

    public byte[] Pe { get; }

    public byte[] Pdb { get; }

    public static EncWorld Create(string source)
    {
        var tree = Parse(source);
        var compilation = CSharpCompilation.Create(
            "world",
            [tree],
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Debug, allowUnsafe: true));
        using var pe = new MemoryStream();
        using var pdb = new MemoryStream();
        var result = compilation.Emit(pe, pdb, options: new EmitOptions(debugInformationFormat: DebugInformationFormat.PortablePdb));
        if (!result.Success) throw new InvalidOperationException("World does not compile:\n" + string.Join("\n", result.Diagnostics));
        var peBytes = pe.ToArray();
        var pdbBytes = pdb.ToArray();

        var pdbReader = MetadataReaderProvider.FromPortablePdbImage(ImmutableArray.Create(pdbBytes)).GetMetadataReader();
        var peReader = new PEReader(ImmutableArray.Create(peBytes));
        var metadata = peReader.GetMetadataReader();
        var baseline = EmitBaseline.CreateInitialBaseline(
            compilation,
            ModuleMetadata.CreateFromImage(peBytes),
            handle => DebugInfo(pdbReader, handle),
            handle =>
            {
                var rva = metadata.GetMethodDefinition(handle).RelativeVirtualAddress;
                return rva == 0 ? default : peReader.GetMethodBody(rva).LocalSignature;
            },
            true);
        return new EncWorld(compilation, peBytes, pdbBytes, baseline);
    }

    /// <summary>Token of a method of the initial world.</summary>
    public int MethodToken(string methodName, string typeName = DefsType)
    {
        var reader = _generations[0];
        foreach (var handle in reader.MethodDefinitions)
        {
            var method = reader.GetMethodDefinition(handle);
            var type = reader.GetTypeDefinition(method.GetDeclaringType());
            var fullName = reader.GetString(type.Namespace) + "." + reader.GetString(type.Name);
            if (fullName == typeName && reader.GetString(method.Name) == methodName) return MetadataTokens.GetToken(handle);
        }
        throw new ArgumentException($"No method {typeName}.{methodName} in the world.");
    }

    /// <summary>Token of a type of the initial world, by metadata name (<c>user.Player</c>).</summary>
    public int TypeToken(string typeName)
    {
        var reader = _generations[0];
        foreach (var handle in reader.TypeDefinitions)
        {
            if (FullName(reader, reader.GetTypeDefinition(handle)) == typeName) return MetadataTokens.GetToken(handle);
        }
        throw new ArgumentException($"No type {typeName} in the world.");
    }

    /// <summary>Token of a field of the initial world.</summary>
    public int FieldToken(string typeName, string fieldName)
    {
        var reader = _generations[0];
        foreach (var handle in reader.FieldDefinitions)
        {
            var field = reader.GetFieldDefinition(handle);
            if (reader.GetString(field.Name) == fieldName && FullName(reader, reader.GetTypeDefinition(field.GetDeclaringType())) == typeName)
            {
                return MetadataTokens.GetToken(handle);
            }
        }
        throw new ArgumentException($"No field {typeName}.{fieldName} in the world.");
    }

    private static string FullName(MetadataReader reader, TypeDefinition type) => reader.GetString(type.Namespace) + "." + reader.GetString(type.Name);

    /// <summary>Replaces the world's source and emits a delta for <paramref name="edits"/>.</summary>
    public Delta Emit(string newSource, params Edit[] edits)
    {
        var oldCompilation = _compilation;
        var newCompilation = oldCompilation.ReplaceSyntaxTree(oldCompilation.SyntaxTrees.Single(), Parse(newSource));
        var semanticEdits = edits.Select(e => new SemanticEdit(
            e.Kind,
            e.Kind == SemanticEditKind.Insert ? null : Member(oldCompilation, e),
            Member(newCompilation, e))).ToArray();

        using var md = new MemoryStream();
        using var il = new MemoryStream();
        using var pdb = new MemoryStream();
        var inserted = semanticEdits.Where(e => e.Kind == SemanticEditKind.Insert).Select(e => e.NewSymbol!).ToHashSet(SymbolEqualityComparer.Default);
        var result = newCompilation.EmitDifference(_baseline, semanticEdits, s => inserted.Contains(s), md, il, pdb, CancellationToken.None);
        if (!result.Success) throw new InvalidOperationException("Delta failed:\n" + string.Join("\n", result.Diagnostics));
        _baseline = result.Baseline!;
        _compilation = newCompilation;

        var metadata = md.ToArray();
        var reader = MetadataReaderProvider.FromMetadataImage(ImmutableArray.Create(metadata)).GetMetadataReader();
        _generations.Add(reader);
        var updated = result.UpdatedMethods.Select(h => MetadataTokens.GetToken(h)).ToHashSet();
        var aggregator = new MetadataAggregator(_generations[0], _generations.Skip(1).ToList());
        var added = new Dictionary<string, int>();
        var addedFields = new Dictionary<string, int>();
        foreach (var entry in reader.GetEditAndContinueMapEntries())
        {
            if (entry.Kind == HandleKind.FieldDefinition)
            {
                // Field rows are only ever added (EnC cannot change a field), so each entry is a new field.
                var localField = (FieldDefinitionHandle)aggregator.GetGenerationHandle(entry, out var fieldGeneration);
                var fieldName = (StringHandle)aggregator.GetGenerationHandle(_generations[fieldGeneration].GetFieldDefinition(localField).Name, out var fieldNameGeneration);
                addedFields[_generations[fieldNameGeneration].GetString(fieldName)] = MetadataTokens.GetToken(entry);
                continue;
            }
            if (entry.Kind != HandleKind.MethodDefinition || updated.Contains(MetadataTokens.GetToken(entry))) continue;
            var local = (MethodDefinitionHandle)aggregator.GetGenerationHandle(entry, out var generation);
            var definition = _generations[generation].GetMethodDefinition(local);
            var name = (StringHandle)aggregator.GetGenerationHandle(definition.Name, out var nameGeneration);
            added[_generations[nameGeneration].GetString(name)] = MetadataTokens.GetToken(entry);
        }
        return new Delta(metadata, il.ToArray(), pdb.ToArray(), added) { AddedFields = addedFields };
    }

    private static ISymbol Member(Compilation compilation, Edit edit)
    {
        var type = compilation.GetTypeByMetadataName(edit.TypeName) ?? throw new ArgumentException($"No type {edit.TypeName}.");
        return type.GetMembers(edit.MemberName).Single();
    }

    private static SyntaxTree Parse(string source) =>
        CSharpSyntaxTree.ParseText(SourceText.From(source, Encoding.UTF8), s_parse, FilePath);

    private static byte[] GetMetadata(byte[] pe)
    {
        using var reader = new PEReader(ImmutableArray.Create(pe));
        return reader.GetMetadata().GetContent().ToArray();
    }

    private static EditAndContinueMethodDebugInformation DebugInfo(MetadataReader pdb, MethodDefinitionHandle method)
    {
        ImmutableArray<byte> slots = default, lambdas = default, states = default;
        foreach (var handle in pdb.GetCustomDebugInformation(method))
        {
            var info = pdb.GetCustomDebugInformation(handle);
            var kind = pdb.GetGuid(info.Kind);
            if (kind == EncLocalSlotMap) slots = pdb.GetBlobContent(info.Value);
            else if (kind == EncLambdaAndClosureMap) lambdas = pdb.GetBlobContent(info.Value);
            else if (kind == EncStateMachineStateMap) states = pdb.GetBlobContent(info.Value);
        }
        return EditAndContinueMethodDebugInformation.Create(slots, lambdas, states);
    }
}
