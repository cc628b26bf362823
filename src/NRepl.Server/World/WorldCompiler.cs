using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Text;
using NRepl.Server.World.Edits;
using NRepl.Runtime.Contract;
using NRepl.Server.World.Emit;
using NRepl.Server.World.Migration;
using NRepl.Server.World.Model;
using NRepl.Server.World.Parsing;
using NRepl.Server.World.Rendering;

namespace NRepl.Server.World;

/// <summary>
/// Holds the source of every live definition and turns each submission into an EnC delta of the
/// one world assembly. Not thread-safe: the caller serializes compiles and commits.
/// </summary>
internal sealed class WorldCompiler
{
    public const string AssemblyName = "NRepl.World";
    public const string DefaultNamespace = "user";

    internal static readonly string[] DefaultUsings =
    {
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Text",
        "System.Threading", "System.Threading.Tasks",
        // Live.Every, [RenamedFrom], Live.Discarded: the runtime's helpers for live programs.
        "NRepl.Runtime",
    };

    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.UseSpecialTypes
            | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    // Definitions are shown as the user wrote them: no holder class, no namespace.
    private static readonly SymbolDisplayFormat SummaryFormat = SymbolDisplayFormat.MinimallyQualifiedFormat
        .WithMemberOptions(SymbolDisplayMemberOptions.IncludeParameters | SymbolDisplayMemberOptions.IncludeType
            | SymbolDisplayMemberOptions.IncludeRef | SymbolDisplayMemberOptions.IncludeConstantValue);

    private readonly IReadOnlyList<MetadataReference> _references;
    private readonly CSharpCompilationOptions _options;
    private readonly SyntaxTree _globalUsings;
    private readonly DetachedEvalCompiler _detached;
    private long _evalSerial;
    private WorldSnapshot? _current;

    public WorldCompiler(IReadOnlyList<MetadataReference> references)
    {
        _references = references;
        _options = new CSharpCompilationOptions(
            OutputKind.DynamicallyLinkedLibrary,
            optimizationLevel: OptimizationLevel.Debug, // EnC needs Debug code
            allowUnsafe: true,
            nullableContextOptions: NullableContextOptions.Enable,
            concurrentBuild: false);
        // User code is internal: detached evals reach it as a friend assembly.
        _globalUsings = TreeRenderer.GlobalUsings(DefaultUsings,
            $"[assembly: global::System.Runtime.CompilerServices.InternalsVisibleTo(\"{DetachedEvalCompiler.AssemblyName}\")]\n");
        _detached = new DetachedEvalCompiler(references, _options, DefaultUsings);
    }

    public WorldSnapshot Current => Volatile.Read(ref _current) ?? throw new InvalidOperationException("The world has not been created yet.");

    /// <summary>
    /// The eval as an assembly of its own when it defines nothing and touches no field of the world (see
    /// <see cref="DetachedEvalCompiler"/>), else null: compile it with <see cref="Compile"/>. Unlike the rest of this
    /// class, safe to call from any thread at any time: it reads the current snapshot and changes nothing.
    /// </summary>
    public DetachedCode? CompileDetached(ParsedSubmission submission, string sessionId) =>
        _detached.TryCompile(Current, submission, sessionId, WorldNames.EvalMethod(Interlocked.Increment(ref _evalSerial)));

    /// <summary>Generation 0: the default usings and an empty <c>user</c> namespace.</summary>
    public WorldImage Initialize()
    {
        var holder = TreeRenderer.Shell(DefaultNamespace);
        var empty = new WorldSnapshot(
            ImmutableDictionary<string, DefinitionEntry>.Empty,
            ImmutableDictionary<string, ImmutableList<UsingDefinition>>.Empty,
            ImmutableDictionary<string, SyntaxTree>.Empty.Add(DefaultNamespace, holder),
            EvalTree: null, Compilation: null!, Baseline: null!, StringHeapSize: 0, Generation: 0);
        return EmitFull(empty);
    }

    /// <summary>
    /// A fresh full image of every current definition, for a new target after a crash. Variables
    /// start at their defaults: only code comes back, instance state is gone with the old process.
    /// </summary>
    public WorldImage Rebuild() => EmitFull(Current with { EvalTree = null });

    /// <summary>The world moves to a compiled candidate once the target has applied its delta.</summary>
    public void Commit(CompileResult.Delta delta)
    {
        var superseded = Current.Baseline;
        _current = delta.Candidate;
        BaselineTrimmer.Release(superseded);
    }

    /// <summary>
    /// After an aborted migration: the target applied the helpers' generation, so the world moves
    /// to it (the definitions are unchanged; the helpers are dropped from the source by the next compile).
    /// </summary>
    public void CommitAborted(MigrationStage stage)
    {
        var superseded = Current.Baseline;
        _current = stage.Snapshot;
        BaselineTrimmer.Release(superseded);
    }

    /// <param name="restartValues">Values the user gave migration restarts (use-value, use-value-for-all, use-initializer),
    /// by type, field and instance: compiled into the helpers generation and applied to the instances whose value failed.</param>
    /// <param name="noRenameInference">Types for which the user refused an inferred rename (not-a-rename).</param>
    /// <param name="replaceTypes">Type definitions (by key) the user chose to replace by new types (replace-type, after IncompatibleShapeChange).</param>
    public CompileResult Compile(ParsedSubmission submission, string? loadedFrom, string sessionId,
        IReadOnlyDictionary<RestartKey, RestartValue>? restartValues = null, IReadOnlySet<string>? noRenameInference = null,
        IReadOnlySet<string>? replaceTypes = null)
    {
        var world = Current;
        var session = new SubmissionCompilation(this, world, submission, loadedFrom, sessionId, restartValues, noRenameInference, reverting: false, replaceTypes);
        return session.Run();
    }

    /// <summary>
    /// Compiles the types and functions of <paramref name="before"/> that the world has since redefined,
    /// as a change that puts them back (abort-redefinition after a committed migration). Definitions
    /// added since stay (EnC cannot delete them); variables keep their current values. Null when nothing
    /// differs. Refused across several namespaces: one submission belongs to one.
    /// </summary>
    public CompileResult? CompileRevert(WorldSnapshot before, string sessionId)
    {
        var world = Current;
        var previous = before.Definitions.Values
            .Where(e => e.Definition.Kind != DefinitionKind.State
                && world.Definitions.TryGetValue(e.Definition.Key, out var now) && now.Definition != e.Definition)
            .Select(e => e.Definition)
            .ToList();
        if (previous.Count == 0) return null;
        if (previous.Select(d => d.Ns).Distinct().Count() > 1)
        {
            return new CompileResult.Failed($"The redefinition changed definitions of several namespaces ({string.Join(", ", previous.Select(d => d.Ns).Distinct())}); they cannot be put back as one change.", "LiveUpdateRefusedException");
        }
        var text = string.Join("\n", previous.Select(d => d.Text));
        var parsed = SubmissionParser.Parse(text, previous[0].Ns, previous[0].Origin);
        if (!parsed.IsComplete || parsed.Errors.Count > 0)
        {
            return new CompileResult.Failed("The previous definitions no longer parse as one submission.", "LiveUpdateRefusedException");
        }
        return new SubmissionCompilation(this, world, parsed, null, sessionId, null, null, reverting: true).Run();
    }

    private WorldImage EmitFull(WorldSnapshot world)
    {
        var trees = new List<SyntaxTree> { _globalUsings };
        trees.AddRange(world.Holders.Values);
        trees.AddRange(world.Definitions.Values.Select(d => d.Tree));
        var compilation = CSharpCompilation.Create(AssemblyName, trees, _references, _options);
        using var pe = new MemoryStream();
        using var pdb = new MemoryStream();
        var result = compilation.Emit(pe, pdb, options: new EmitOptions(debugInformationFormat: DebugInformationFormat.PortablePdb));
        if (!result.Success)
        {
            var errors = string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(DiagnosticText.Format));
            throw new InvalidOperationException("The world does not compile as a whole:\n" + errors);
        }
        var (baseline, heap) = EncBaselineFactory.Create(compilation, pe.ToArray(), pdb.ToArray());
        _current = world with { Compilation = compilation, Baseline = baseline, StringHeapSize = heap, Generation = 0 };
        return new WorldImage(pe.ToArray(), pdb.ToArray());
    }

    private sealed record EmittedDelta(byte[] Metadata, byte[] IL, byte[] Pdb, EmitBaseline? Baseline, List<string>? Errors);

    /// <summary>The steps of one compile, with their working state.</summary>
    private sealed class SubmissionCompilation
    {
        private readonly WorldCompiler _compiler;
        private readonly WorldSnapshot _world;
        private readonly ParsedSubmission _submission;
        private readonly string? _loadedFrom;
        private readonly string _sessionId;
        private readonly IReadOnlyDictionary<RestartKey, RestartValue> _restartValues;
        private readonly IReadOnlySet<string>? _noRenameInference;
        private readonly bool _reverting;
        private readonly IReadOnlySet<string> _replaceTypes;

        // Types this compile moves into a namespace of their own: (namespace, type name, namespace it was in, new one).
        private readonly List<(string Ns, string Name, string From, string To)> _moves = new();

        private readonly ImmutableDictionary<string, DefinitionEntry>.Builder _definitions;
        private readonly ImmutableDictionary<string, ImmutableList<UsingDefinition>>.Builder _usings;
        private readonly ImmutableDictionary<string, SyntaxTree>.Builder _holders;
        private readonly Dictionary<string, DefinitionChange> _changes = new(StringComparer.Ordinal);
        private readonly List<string> _definedKeys = new();
        private readonly List<SyntaxTree> _newHolders = new();
        private readonly List<(Definition Definition, VariableDeclaratorSyntax Declarator)> _inferredState = new();

        public SubmissionCompilation(WorldCompiler compiler, WorldSnapshot world, ParsedSubmission submission, string? loadedFrom, string sessionId,
            IReadOnlyDictionary<RestartKey, RestartValue>? restartValues, IReadOnlySet<string>? noRenameInference, bool reverting,
            IReadOnlySet<string>? replaceTypes = null)
        {
            _restartValues = restartValues ?? new Dictionary<RestartKey, RestartValue>();
            _noRenameInference = noRenameInference;
            _reverting = reverting;
            _replaceTypes = replaceTypes ?? new HashSet<string>();
            _compiler = compiler;
            _world = world;
            _submission = submission;
            _loadedFrom = loadedFrom;
            _sessionId = sessionId;
            _definitions = world.Definitions.ToBuilder();
            _usings = world.Usings.ToBuilder();
            _holders = world.Holders.ToBuilder();
        }

        public CompileResult Run()
        {
            var changedNamespaces = AddUsings();
            foreach (var declaration in _submission.Declarations) AddDeclaration(declaration);
            RemoveDefinitionsNoLongerInFile();
            MoveReplacedTypes(changedNamespaces);
            EnsureHolder(_submission.Ns);
            RerenderNamespaces(changedNamespaces);

            var (trailingIsValue, inferredTypes) = Probe();
            foreach (var (definition, _) in _inferredState)
            {
                var typed = definition with { StateType = inferredTypes.GetValueOrDefault(definition.Name, "object") };
                SetDefinition(typed);
            }

            var evalName = HasEvalCode() ? WorldNames.EvalMethod(Interlocked.Increment(ref _compiler._evalSerial)) : null;
            var evalTree = evalName is null ? null : TreeRenderer.Eval(_submission, evalName, UsingsOf(_submission.Ns),
                _submission.HasAwait, trailingIsValue, Prelude(), probe: false);

            var candidate = BuildCompilation(evalTree);
            // The eval method's own errors come from EmitDifference, which binds it anyway; checking
            // its tree here too would double the cost of every plain eval.
            var errors = Errors(candidate, ChangedTrees());
            if (errors.Count == 0) errors = UsingErrors(candidate, changedNamespaces);
            if (errors.Count > 0) return Fail(errors);

            var evalMethod = evalTree is null ? null : EvalMethod(candidate, evalTree);
            var plan = EditPlanner.Plan(_world, candidate, _changes.Values, _definitions, _newHolders, evalMethod, _noRenameInference, _reverting);
            if (plan.Refusals.Count > 0)
            {
                return new CompileResult.Failed(string.Join("\n", plan.Refusals.Select(r => "Cannot apply live: " + r)), "LiveUpdateRefusedException");
            }
            if (plan.ShapeChanges.Count > 0) return new CompileResult.IncompatibleShape(plan.ShapeChanges);
            errors = Errors(candidate, plan.DependentTrees);
            if (errors.Count > 0) return Fail(errors);

            // A redefinition that migrates live instances is two generations. The first only adds
            // helpers that evaluate the new fields' initializers (in the holder class, unseen by
            // user code), so the target can compute and check every new value before anything
            // changes; the main delta is then planned against that generation's compilation.
            MigrationStage? stage = null;
            var baseline = _world.Baseline;
            var heapBefore = _world.StringHeapSize;
            var generation = _world.Generation + 1;
            if (plan.Migrations.Count > 0 || plan.Replacements.Count > 0)
            {
                var prepared = PrepareMigrationStage(plan.Migrations, generation, plan);
                if (prepared.Errors is { } stageErrors) return Fail(stageErrors);
                stage = prepared.Stage!;
                plan = EditPlanner.Plan(stage.Snapshot, candidate, _changes.Values, _definitions, _newHolders, evalMethod, _noRenameInference, _reverting);
                if (plan.Refusals.Count > 0)
                {
                    return new CompileResult.Failed(string.Join("\n", plan.Refusals.Select(r => "Cannot apply live: " + r)), "LiveUpdateRefusedException");
                }
                baseline = stage.Snapshot.Baseline;
                heapBefore = stage.Snapshot.StringHeapSize;
                generation++;
            }

            var main = Emit(candidate, baseline, plan.Edits, plan.IsAdded);
            if (main.Errors is { } errorsOfEmit) return Fail(errorsOfEmit);
            var metadataBytes = main.Metadata;
            var wanted = new List<string>(plan.StaticInitializers);
            if (evalName is not null) wanted.Add(evalName);
            var (tokens, heapSize) = DeltaInspector.FindMethods(metadataBytes, heapBefore, wanted);
            int? token = null;
            if (evalName is not null)
            {
                token = tokens.TryGetValue(evalName, out var found)
                    ? found
                    : throw new InvalidOperationException($"The delta does not define the eval method {evalName}.");
            }
            var initializers = plan.StaticInitializers.Where(tokens.ContainsKey).Select(name => tokens[name]).ToArray();

            var versions = _world.ShapeVersions;
            foreach (var migration in stage?.Migrations ?? Array.Empty<TypeMigration>())
            {
                versions = versions.SetItem(migration.TypeName, migration.ToVersion);
            }
            foreach (var replacement in stage?.Replacements ?? [])
            {
                versions = versions.SetItem(replacement.NewTypeName, replacement.FromVersion + 1);
            }
            var next = new WorldSnapshot(_definitions.ToImmutable(), _usings.ToImmutable(), _holders.ToImmutable(), evalTree,
                candidate, main.Baseline!, heapSize, generation) { ShapeVersions = versions };
            return new CompileResult.Delta(next, metadataBytes, main.IL, main.Pdb, token, Summary(candidate), initializers, stage)
            {
                Warnings = plan.Migrations.SelectMany(m => m.Warnings).Concat(plan.Warnings).ToList(),
                NoRenameInference = _noRenameInference,
                ReplaceTypes = _replaceTypes.Count > 0 ? _replaceTypes : null,
            };
        }

        // ---- definitions --------------------------------------------------------------------

        private HashSet<string> AddUsings()
        {
            var changed = new HashSet<string>(StringComparer.Ordinal);
            foreach (var part in _submission.Usings)
            {
                var text = part.Node.ToString();
                var existing = _usings.TryGetValue(part.Ns, out var list) ? list : ImmutableList<UsingDefinition>.Empty;
                if (existing.Any(u => u.Text == text)) continue;
                _usings[part.Ns] = existing.Add(new UsingDefinition(part.Ns, text, _submission.Origin.At(_submission.Text, part.Node.SpanStart)));
                changed.Add(part.Ns);
            }
            return changed;
        }

        private void AddDeclaration(DeclarationPart part)
        {
            EnsureHolder(part.Ns);
            switch (part.Kind)
            {
                case DefinitionKind.State:
                    var field = (FieldDeclarationSyntax)part.Node;
                    foreach (var variable in field.Declaration.Variables)
                    {
                        var isVar = field.Declaration.Type is IdentifierNameSyntax { IsVar: true };
                        var definition = new Definition(
                            Key: $"{part.Ns}|S|{variable.Identifier.ValueText}",
                            Kind: DefinitionKind.State,
                            Ns: part.Ns,
                            Name: variable.Identifier.ValueText,
                            Parameters: null,
                            Text: variable.Identifier.Text,
                            Origin: _submission.Origin.At(_submission.Text, variable.Identifier.SpanStart),
                            LoadedFrom: _loadedFrom,
                            StateType: isVar ? "object" : field.Declaration.Type.ToString(),
                            StateTypeOrigin: isVar ? null : _submission.Origin.At(_submission.Text, field.Declaration.Type.SpanStart));
                        if (isVar) _inferredState.Add((definition, variable));
                        SetDefinition(definition);
                    }
                    break;
                case DefinitionKind.Member:
                    var (name, parameters) = MemberIdentity(part.Node);
                    var key = $"{part.Ns}|M|{name}|{parameters}";
                    if (!_definitions.ContainsKey(key))
                    {
                        // A new parameter list for the only function of that name is a signature change, not an overload.
                        var sameName = _definitions.Values
                            .Where(d => d.Definition.Kind == DefinitionKind.Member && d.Definition.Ns == part.Ns && d.Definition.Name == name
                                && !_definedKeys.Contains(d.Definition.Key))
                            .ToList();
                        if (sameName.Count == 1) RemoveDefinition(sameName[0].Definition.Key);
                    }
                    SetDefinition(NewDefinition(part, key, DefinitionKind.Member, name, parameters));
                    break;
                case DefinitionKind.Type:
                    var (typeName, arity) = TypeIdentity(part.Node);
                    var typeKey = $"{part.Ns}|T|{typeName}`{arity}";
                    var before = _world.Definitions.GetValueOrDefault(typeKey)?.Definition.ReplacedInto;
                    var into = before;
                    if (_replaceTypes.Contains(typeKey))
                    {
                        into = HiddenNamespace(part.Ns, typeName);
                        _moves.Add((part.Ns, typeName, before ?? part.Ns, into));
                    }
                    SetDefinition(NewDefinition(part, typeKey, DefinitionKind.Type, typeName, null) with { ReplacedInto = into });
                    break;
            }
        }

        private Definition NewDefinition(DeclarationPart part, string key, DefinitionKind kind, string name, string? parameters)
        {
            var node = part.Node;
            var start = TreeRenderer.DocCommentStart(node); // the doc comment belongs to the definition
            var text = _submission.Text.ToString(TextSpan.FromBounds(start, node.Span.End));
            return new Definition(key, kind, part.Ns, name, parameters, text,
                _submission.Origin.At(_submission.Text, start), _loadedFrom);
        }

        private void SetDefinition(Definition definition, bool rerender = false)
        {
            var old = _world.Definitions.GetValueOrDefault(definition.Key);
            if (!rerender && old is not null && old.Definition == definition && !_changes.ContainsKey(definition.Key))
            {
                // Loading a file again declares every definition again: the ones whose text and place are the
                // same change nothing, and leaving them out keeps a one-method edit a one-method compile.
                if (!_definedKeys.Contains(definition.Key)) _definedKeys.Add(definition.Key);
                return;
            }
            var tree = TreeRenderer.Definition(definition, UsingsOf(definition.Ns));
            var entry = new DefinitionEntry(definition, tree);
            _definitions[definition.Key] = entry;
            _changes[definition.Key] = new DefinitionChange(old, entry);
            if (!_definedKeys.Contains(definition.Key)) _definedKeys.Add(definition.Key);
        }

        private void RemoveDefinition(string key)
        {
            _definitions.Remove(key);
            var old = _world.Definitions.GetValueOrDefault(key);
            if (old is null) _changes.Remove(key);
            else _changes[key] = new DefinitionChange(old, null);
        }

        private void RemoveDefinitionsNoLongerInFile()
        {
            if (_loadedFrom is null) return;
            var stale = _definitions.Values
                .Where(d => d.Definition.LoadedFrom == _loadedFrom && !_definedKeys.Contains(d.Definition.Key))
                .Select(d => d.Definition.Key)
                .ToList();
            foreach (var key in stale) RemoveDefinition(key);
        }

        /// <summary>
        /// replace-type: each replaced type now lives in a namespace of its own, which its namespace's code
        /// imports instead of the previous one; variables whose inferred type named the old type name the new one.
        /// </summary>
        private void MoveReplacedTypes(HashSet<string> changedNamespaces)
        {
            // Types replaced without being declared again here (a subclass of a replaced type) move as they are.
            foreach (var key in _replaceTypes.Where(k => !_definedKeys.Contains(k)))
            {
                if (_definitions.GetValueOrDefault(key)?.Definition is not { Kind: DefinitionKind.Type } existing) continue;
                var into = HiddenNamespace(existing.Ns, existing.Name);
                _moves.Add((existing.Ns, existing.Name, existing.ReplacedInto ?? existing.Ns, into));
                SetDefinition(existing with { ReplacedInto = into });
            }
            foreach (var (ns, name, from, to) in _moves)
            {
                var usings = UsingsOf(ns).Where(u => u.Text != $"using global::{from};").ToImmutableList();
                _usings[ns] = usings.Add(new UsingDefinition(ns, $"using global::{to};", SourceOrigin.Repl));
                changedNamespaces.Add(ns);
                var oldName = new System.Text.RegularExpressions.Regex($@"global::{System.Text.RegularExpressions.Regex.Escape(from)}\.{name}(?![\w])");
                foreach (var entry in _definitions.Values.ToList())
                {
                    if (entry.Definition is not { Kind: DefinitionKind.State, StateTypeOrigin: null, StateType: { } type } state || !oldName.IsMatch(type)) continue;
                    SetDefinition(state with { StateType = oldName.Replace(type, $"global::{to}.{name}") });
                }
            }
            // Everything of those namespaces, this submission's definitions too, is rendered again with the new usings.
            var moved = _moves.Select(m => m.Ns).ToHashSet(StringComparer.Ordinal);
            foreach (var entry in _definitions.Values.ToList())
            {
                if (moved.Contains(entry.Definition.Ns)) SetDefinition(entry.Definition, rerender: true);
            }
        }

        /// <summary>A fresh namespace for a replaced type, inside its own (so it still sees that namespace's names).</summary>
        private string HiddenNamespace(string ns, string typeName) => WorldNames.ReplacedTypeNamespace(ns, Interlocked.Increment(ref _compiler._evalSerial), typeName);

        private void EnsureHolder(string ns)
        {
            if (_holders.ContainsKey(ns)) return;
            var holder = TreeRenderer.Shell(ns);
            _holders[ns] = holder;
            _newHolders.Add(holder);
        }

        private void RerenderNamespaces(HashSet<string> namespaces)
        {
            if (namespaces.Count == 0) return;
            foreach (var entry in _definitions.Values.ToList())
            {
                if (!namespaces.Contains(entry.Definition.Ns) || _changes.ContainsKey(entry.Definition.Key)) continue;
                SetDefinition(entry.Definition, rerender: true);
            }
        }

        private IReadOnlyList<UsingDefinition> UsingsOf(string ns) =>
            _usings.TryGetValue(ns, out var list) ? list : ImmutableList<UsingDefinition>.Empty;

        // ---- the eval ---------------------------------------------------------------------------

        private bool HasEvalCode() =>
            _submission.TrailingExpression is not null
            || _submission.Body.Any(n => n is GlobalStatementSyntax
                || n is FieldDeclarationSyntax f && f.Declaration.Variables.Any(v => v.Initializer is not null));

        /// <summary>
        /// Reads the types the final rendering needs from a probe compilation: the type of each
        /// <c>var</c> variable (it becomes a field, and fields cannot be <c>var</c>) and whether the
        /// trailing expression has a value (a void call must not be boxed).
        /// </summary>
        private (bool TrailingIsValue, Dictionary<string, string> Types) Probe()
        {
            var types = new Dictionary<string, string>(StringComparer.Ordinal);
            var trailing = _submission.TrailingExpression;
            var trailingMayBeVoid = trailing is InvocationExpressionSyntax or ConditionalAccessExpressionSyntax or AwaitExpressionSyntax;
            if (_inferredState.Count == 0 && !trailingMayBeVoid) return (true, types);

            const string probeName = "__Probe";
            var probeTree = TreeRenderer.Eval(_submission, probeName, UsingsOf(_submission.Ns), _submission.HasAwait,
                trailingIsValue: true, Prelude(), probe: true);
            var compilation = BuildCompilation(probeTree, includeInferredState: false);
            var model = compilation.GetSemanticModel(probeTree);
            var method = probeTree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().First(m => m.Identifier.ValueText == probeName);
            var trailingIsValue = true;
            foreach (var statement in method.Body!.Statements.OfType<LocalDeclarationStatementSyntax>())
            {
                foreach (var variable in statement.Declaration.Variables)
                {
                    if (model.GetDeclaredSymbol(variable) is not ILocalSymbol local) continue;
                    if (local.Name == "__value")
                    {
                        trailingIsValue = local.Type.SpecialType != SpecialType.System_Void;
                    }
                    else if (local.Type is { TypeKind: not TypeKind.Error } type && !type.IsAnonymousType && !types.ContainsKey(local.Name))
                    {
                        types[local.Name] = type.ToDisplayString(TypeFormat);
                    }
                }
            }
            return (trailingIsValue, types);
        }

        private string Prelude() => EvalPrelude.For(_submission, _sessionId);

        private static IMethodSymbol EvalMethod(CSharpCompilation compilation, SyntaxTree evalTree)
        {
            var model = compilation.GetSemanticModel(evalTree);
            var node = evalTree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().First();
            return model.GetDeclaredSymbol(node)!;
        }

        // ---- compilation ------------------------------------------------------------------------

        private CSharpCompilation BuildCompilation(SyntaxTree? evalTree, bool includeInferredState = true)
        {
            var compilation = _world.Compilation;
            if (_world.EvalTree is not null && evalTree is not null)
            {
                compilation = compilation.ReplaceSyntaxTree(_world.EvalTree, evalTree);
                evalTree = null;
            }
            else if (_world.EvalTree is not null)
            {
                compilation = compilation.RemoveSyntaxTrees(_world.EvalTree);
            }
            var skipped = includeInferredState ? null : _inferredState.Select(s => s.Definition.Key).ToHashSet();
            var removed = new List<SyntaxTree>();
            var added = new List<SyntaxTree>(_newHolders);
            foreach (var (key, change) in _changes)
            {
                if (skipped?.Contains(key) == true) continue;
                var newTree = change.New?.Tree;
                if (change.Old is not null && newTree is not null) compilation = compilation.ReplaceSyntaxTree(change.Old.Tree, newTree);
                else if (change.Old is not null) removed.Add(change.Old.Tree);
                else if (newTree is not null) added.Add(newTree);
            }
            if (evalTree is not null) added.Add(evalTree);
            if (removed.Count > 0) compilation = compilation.RemoveSyntaxTrees(removed);
            if (added.Count > 0) compilation = compilation.AddSyntaxTrees(added);
            return compilation;
        }

        private IEnumerable<SyntaxTree> ChangedTrees()
        {
            foreach (var change in _changes.Values)
            {
                if (change.New is not null) yield return change.New.Tree;
            }
            foreach (var holder in _newHolders) yield return holder;
        }

        /// <summary>
        /// A new <c>using</c> is checked on its own: a namespace may have no definition whose tree
        /// would show the error, and a bad using left in the world would break every later eval.
        /// </summary>
        private List<string> UsingErrors(CSharpCompilation candidate, HashSet<string> changedNamespaces)
        {
            var errors = new List<string>();
            foreach (var ns in changedNamespaces)
            {
                var probe = TreeRenderer.UsingsProbe(ns, UsingsOf(ns));
                errors.AddRange(Errors(candidate.AddSyntaxTrees(probe), new[] { probe }));
            }
            return errors;
        }

        /// <summary>
        /// Emits generation 1 of a migrating redefinition: one static helper per new field with an
        /// initializer, evaluating it in the type's namespace (with the type's statics in scope),
        /// compiled against the world as it is now.
        /// </summary>
        private (MigrationStage? Stage, List<string>? Errors) PrepareMigrationStage(IReadOnlyList<TypeMigrationPlan> plans, int generation, EditPlan edits)
        {
            var helperNames = new Dictionary<FieldMigrationStep, string>();
            var fallbackNames = new Dictionary<FieldMigrationStep, string>();
            var instanceNames = new Dictionary<(FieldMigrationStep Step, long InstanceId), string>();
            var text = new System.Text.StringBuilder();
            var serial = Interlocked.Increment(ref _compiler._evalSerial);
            foreach (var group in plans.GroupBy(p => Namespace(p.TypeName)))
            {
                var helpers = new System.Text.StringBuilder();
                foreach (var plan in group)
                {
                    foreach (var step in plan.Steps)
                    {
                        if (step.Source == FieldSource.Initializer && step.Initializer is { } initializer)
                        {
                            var name = $"__Migrate_{serial}_{helperNames.Count}";
                            helperNames[step] = name;
                            helpers.Append("\n#line hidden\ninternal static ").Append(Mapped(initializer.Type))
                                .Append($"\n#line hidden\n {name}() => ").Append(Mapped(initializer.Value)).Append("\n#line hidden\n;\n");
                        }
                        foreach (var (key, restart) in _restartValues.Where(r => r.Key.Type == plan.TypeName && r.Key.Field == step.Field))
                        {
                            // The user's value for the instances whose own value failed (or for one of them):
                            // `self` is the instance, `old` its old value (null for a new field).
                            var name = $"__Restart_{serial}_{fallbackNames.Count + instanceNames.Count}";
                            if (key.InstanceId == 0) fallbackNames[step] = name;
                            else instanceNames[(step, key.InstanceId)] = name;
                            var value = restart.UseInitializer && step.Initializer is { } init
                                ? Mapped(init.Value)
                                : "\n#line 1 \"(restart value)\"\n" + restart.Expression;
                            helpers.Append($"\n#line hidden\ninternal static {step.FieldTypeCSharp} {name}(global::{plan.TypeName.Replace('+', '.')} self, {step.OldFieldTypeCSharp ?? "object?"} old) => ")
                                .Append(value).Append("\n#line hidden\n;\n");
                        }
                    }
                }
                if (helpers.Length == 0) continue;
                text.Append($"namespace {group.Key}\n{{\n");
                foreach (var u in UsingsOf(group.Key)) text.Append(u.Text).Append('\n');
                text.Append($"using static global::{group.Key}.{WorldNames.Holder};\n");
                // The initializer was written inside the type: its static members are in scope.
                foreach (var plan in group) text.Append($"using static global::{plan.TypeName.Replace('+', '.')};\n");
                text.Append($"internal static partial class {WorldNames.Holder}\n{{").Append(helpers).Append("\n#line hidden\n}\n}\n");
            }

            var world = _world;
            var helperTree = CSharpSyntaxTree.ParseText(SourceText.From(text.ToString(), System.Text.Encoding.UTF8), TreeRenderer.ParseOptions, "migration-helpers.cs");
            var compilation = world.EvalTree is null ? world.Compilation.AddSyntaxTrees(helperTree) : world.Compilation.ReplaceSyntaxTree(world.EvalTree, helperTree);
            // replace-type: the new types exist from this generation on, so the target can make their instances while preparing.
            compilation = compilation.AddSyntaxTrees(edits.StagedTypeTrees);
            var errors = Errors(compilation, new[] { helperTree });
            if (errors.Count > 0)
            {
                return (null, errors.Select(e => "A value for the live instances (a new field's initializer, or a restart's value) does not compile: " + e).ToList());
            }
            var stagedErrors = Errors(compilation, edits.StagedTypeTrees);
            if (stagedErrors.Count > 0)
            {
                return (null, stagedErrors.Select(e => "replace-type makes the new type before the rest of this change, against the world as it is, and it does not compile there (define what it uses in an earlier eval): " + e).ToList());
            }

            var model = compilation.GetSemanticModel(helperTree);
            var methods = helperTree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Select(m => (ISymbol)model.GetDeclaredSymbol(m)!).ToList();
            var stagedTypes = edits.StagedTypeTrees
                .Select(t => t.GetRoot().DescendantNodes().OfType<BaseTypeDeclarationSyntax>().First())
                .Select(d => (ISymbol)compilation.GetSemanticModel(d.SyntaxTree).GetDeclaredSymbol(d)!)
                .ToList();
            var added = new HashSet<ISymbol>(methods.Concat(stagedTypes), SymbolEqualityComparer.Default);
            var emitted = Emit(compilation, world.Baseline, methods.Concat(stagedTypes).Select(m => new SemanticEdit(SemanticEditKind.Insert, null, m)), added.Contains);
            if (emitted.Errors is { } emitErrors) return (null, emitErrors);
            var metadataBytes = emitted.Metadata;
            var (tokens, heap) = DeltaInspector.FindMethods(metadataBytes, world.StringHeapSize, helperNames.Values.Concat(fallbackNames.Values).Concat(instanceNames.Values).ToList());
            var migrations = plans.Select(p => new TypeMigration(
                p.TypeName, world.ShapeVersionOf(p.TypeName), world.ShapeVersionOf(p.TypeName) + 1,
                p.Steps.Select(s => new FieldStep(
                    new FieldRef(s.Field, s.FieldType), s.Source,
                    s.OldField is null ? null : new FieldRef(s.OldField, s.OldFieldType!),
                    helperNames.TryGetValue(s, out var helper) ? tokens[helper] : 0,
                    s.Conversion,
                    fallbackNames.ContainsKey(s) ? FailurePolicy.Fallback : FailurePolicy.Problem,
                    fallbackNames.TryGetValue(s, out var fallback) ? tokens[fallback] : 0,
                    instanceNames.Where(n => n.Key.Step == s).Select(n => new InstanceValue(n.Key.InstanceId, tokens[n.Value])).ToArray())).ToArray(),
                p.Discarded.Select(d => new FieldRef(d.Field, d.FieldType)).ToArray(),
                p.StaticSteps.Select(s => new FieldStep(new FieldRef(s.Field, s.FieldType), FieldSource.OldField, new FieldRef(s.OldField!, s.OldFieldType!), 0, s.Conversion)).ToArray(),
                p.Hook)).ToArray();
            var snapshot = world with { Compilation = compilation, EvalTree = helperTree, Baseline = emitted.Baseline!, StringHeapSize = heap, Generation = generation };
            return (new MigrationStage(metadataBytes, emitted.IL, emitted.Pdb, plans, migrations, snapshot) { Replacements = [.. edits.Replacements] }, null);
        }

        private static string Namespace(string clrTypeName)
        {
            var outer = clrTypeName.Split('+')[0];
            var dot = outer.LastIndexOf('.');
            // A replaced type's own namespace sits inside the user's: its helpers belong to the user's namespace.
            return WorldNames.UserNamespaceOf(dot < 0 ? DefaultNamespace : outer[..dot]);
        }

        /// <summary>A node of a rendered world tree, repeated with the user's file and position.</summary>
        private static string Mapped(SyntaxNode node)
        {
            var span = node.GetLocation().GetMappedLineSpan();
            var start = span.StartLinePosition;
            return span.HasMappedPath
                ? $"\n#line {start.Line + 1} \"{span.Path}\"\n{new string(' ', start.Character)}{node}"
                : $"\n{node}";
        }

        private static EmittedDelta Emit(CSharpCompilation compilation, EmitBaseline baseline, IEnumerable<SemanticEdit> edits, Func<ISymbol, bool> isAdded)
        {
            using var metadata = new MemoryStream();
            using var il = new MemoryStream();
            using var pdb = new MemoryStream();
            var emitted = compilation.EmitDifference(baseline, edits, isAdded, metadata, il, pdb, CancellationToken.None);
            return emitted.Success
                ? new EmittedDelta(metadata.ToArray(), il.ToArray(), pdb.ToArray(), emitted.Baseline, null)
                : new EmittedDelta(Array.Empty<byte>(), Array.Empty<byte>(), Array.Empty<byte>(), null,
                    emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(DiagnosticText.Format).Distinct().ToList());
        }

        private static List<string> Errors(CSharpCompilation compilation, IEnumerable<SyntaxTree> trees) =>
            trees.SelectMany(tree => compilation.GetSemanticModel(tree).GetDiagnostics())
                .Where(d => d.Severity == DiagnosticSeverity.Error)
                .Select(DiagnosticText.Format)
                .Distinct()
                .ToList();

        private static CompileResult Fail(IReadOnlyList<string> errors) =>
            new CompileResult.Failed(string.Join("\n", errors), "CompilationErrorException");

        private string? Summary(CSharpCompilation compilation)
        {
            var lines = new List<string>();
            foreach (var key in _definedKeys)
            {
                if (!_definitions.TryGetValue(key, out var entry)) continue;
                var model = compilation.GetSemanticModel(entry.Tree);
                var root = entry.Tree.GetRoot();
                var ns = root.ChildNodes().OfType<BaseNamespaceDeclarationSyntax>().First();
                switch (entry.Definition.Kind)
                {
                    case DefinitionKind.Type:
                        var typeNode = ns.Members.First(m => m is BaseTypeDeclarationSyntax or DelegateDeclarationSyntax);
                        if (model.GetDeclaredSymbol(typeNode) is INamedTypeSymbol type)
                        {
                            lines.Add(TypeKeyword(type) + " " + type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat));
                        }
                        break;
                    default:
                        var holder = ns.Members.OfType<ClassDeclarationSyntax>().First();
                        foreach (var member in holder.Members)
                        {
                            var nodes = member is FieldDeclarationSyntax f ? f.Declaration.Variables.Cast<SyntaxNode>() : new[] { (SyntaxNode)member };
                            foreach (var node in nodes)
                            {
                                var symbol = model.GetDeclaredSymbol(node);
                                if (symbol is null) continue;
                                lines.Add(symbol switch
                                {
                                    IFieldSymbol field => $"{field.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(SummaryFormat)} {field.Name}",
                                    _ => symbol.ToDisplayString(SummaryFormat),
                                });
                            }
                        }
                        break;
                }
            }
            return lines.Count == 0 ? null : string.Join("\n", lines);
        }

        private static string TypeKeyword(INamedTypeSymbol type) => type switch
        {
            { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
            { IsRecord: true } => "record",
            { TypeKind: TypeKind.Struct } => "struct",
            { TypeKind: TypeKind.Interface } => "interface",
            { TypeKind: TypeKind.Enum } => "enum",
            { TypeKind: TypeKind.Delegate } => "delegate",
            _ => "class",
        };

        private static (string Name, string? Parameters) MemberIdentity(MemberDeclarationSyntax node) => node switch
        {
            MethodDeclarationSyntax m => (m.Identifier.ValueText,
                "(" + string.Join(",", m.ParameterList.Parameters.Select(p => p.Type?.ToString() ?? "")) + ")" + (m.Arity > 0 ? "`" + m.Arity : "")),
            PropertyDeclarationSyntax p => (p.Identifier.ValueText, null),
            FieldDeclarationSyntax f => (f.Declaration.Variables[0].Identifier.ValueText, null),
            _ => (node.ToString(), null),
        };

        private static (string Name, int Arity) TypeIdentity(MemberDeclarationSyntax node) => node switch
        {
            TypeDeclarationSyntax t => (t.Identifier.ValueText, t.Arity),
            EnumDeclarationSyntax e => (e.Identifier.ValueText, 0),
            DelegateDeclarationSyntax d => (d.Identifier.ValueText, d.Arity),
            _ => (node.ToString(), 0),
        };
    }
}
