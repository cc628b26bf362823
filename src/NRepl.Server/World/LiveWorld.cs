using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NRepl.Runtime.Contract;
using NRepl.Server.Evaluation;
using NRepl.Server.Logging;
using NRepl.Server.Target;
using NRepl.Server.World.Editor;
using NRepl.Server.World.Emit;
using NRepl.Server.World.Migration;
using NRepl.Server.World.Parsing;
using NRepl.Server.World.Rendering;

namespace NRepl.Server.World;

/// <summary>
/// The live world behind the eval ops: compiles each submission into a delta of the world
/// assembly, applies it in the target, runs the eval there and reports its output and outcome.
/// Compiles and applies are serialized (one world); evals of different sessions run concurrently.
/// When the target dies, a new one starts and the world's definitions are replayed into it.
/// </summary>
internal sealed class LiveWorld : ILiveEvaluator, ITargetOutputSink, IHostedService, IAsyncDisposable
{
    private const int MaxRememberedEvals = 10_000;
    private const int WarmUpRounds = 60;
    private const int MaxHandledHookRetries = 3;
    private const int MaxReplacementRounds = 8;

    private readonly ISessionOutput _output;
    private readonly ILogger<LiveWorld> _logger;
    private readonly TargetSupervisor _target;
    private readonly WorldCompiler _compiler;
    private readonly SemaphoreSlim _worldLock = new(1, 1);

    // Which nREPL eval a target eval id belongs to, kept after the eval ends so output of the
    // threads and timers it started still reaches its session.
    private readonly ConcurrentDictionary<long, EvalRoute> _routes = new();
    private readonly ConcurrentQueue<long> _routeOrder = new();
    private readonly ConcurrentDictionary<string, RunningEval> _running = new(StringComparer.Ordinal);

    // Each session's latest submissions: completion of a bare member name looks at their receivers (Neat sends only what follows the dot).
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _recentInput = new(StringComparer.Ordinal);
    private const int RecentInputs = 10;

    // Conditions evals wait on, by id and by session (stdin of that session answers them).
    private readonly ConcurrentDictionary<string, MigrationCondition> _conditions = new(StringComparer.Ordinal);

    // A committed migration waiting on the user for its failed hooks; no other migration starts meanwhile.
    private volatile HookWait? _hooksWaiting;

    private readonly UnresponsiveTargetOffers _unresponsive;

    private Task? _ready;
    private long _nextEvalId;
    private volatile bool _targetLost;
    private readonly TaskCompletionSource _detachedReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    public LiveWorld(ISessionOutput output, TargetOptions options, ILoggerFactory loggerFactory)
    {
        _output = output;
        _logger = loggerFactory.CreateLogger<LiveWorld>();
        _target = new TargetSupervisor(options, this, loggerFactory.CreateLogger<TargetSupervisor>());
        _target.Exited += OnTargetExited;
        _unresponsive = new UnresponsiveTargetOffers(_target, output, _conditions, () => _running.Select(r => (r.Key, r.Value.NReplId)), options.UnresponsiveAfter, _logger);
        _target.Unresponsive += _unresponsive.OnUnresponsive;
        _target.Responsive += () => _unresponsive.End("The target answers again.");
        _compiler = new WorldCompiler(WorldReferences.Create(options.RuntimePath));
    }

    /// <summary>Completes once evals that define nothing can take the detached path (shortly after the world is ready).</summary>
    internal Task DetachedReady => _detachedReady.Task;

    /// <summary>Starts the target and loads the world in the background, so the listener starts at once.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ready ??= Task.Run(InitializeAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Nothing to do here: the server's shutdown first answers the running evals (interrupting them)
    /// and then disposes the evaluator, which stops the target. Stopping the target here would kill
    /// evals before they could be answered, since hosted services stop in no order we control.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<EvalOutcome> EvaluateAsync(EvalRequest request, CancellationToken ct)
    {
        var ns = WorldNames.ToCSharpNamespace(request.Ns);
        var origin = new SourceOrigin(request.FilePath ?? "REPL", Math.Max(1, request.Line), Math.Max(1, request.Column));
        var parsed = SubmissionParser.Parse(request.Code, ns, origin);
        if (!parsed.IsComplete)
        {
            return new EvalOutcome.Failed(
                $"{origin.File}:{origin.Line}:{origin.Column}: error: incomplete input: a brace, parenthesis or string is not closed, or a statement lacks its ;. Nothing was evaluated.",
                "IncompleteInputException", "IncompleteInputException");
        }
        if (parsed.Errors.Count > 0)
        {
            var text = string.Join("\n", parsed.Errors.Select(d => DiagnosticText.Format(d, origin)).Distinct());
            return new EvalOutcome.Failed(text, "CompilationErrorException", "CompilationErrorException");
        }

        var recent = _recentInput.GetOrAdd(request.SessionId, _ => new ConcurrentQueue<string>());
        recent.Enqueue(request.Code);
        while (recent.Count > RecentInputs) recent.TryDequeue(out _);

        var evalId = Interlocked.Increment(ref _nextEvalId);
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var running = new RunningEval(request.EvalId, interrupt);
        _running[request.SessionId] = running;
        try
        {
            // From here output the target sends for this eval id reaches the eval: a migration's
            // initializers and hooks run as this eval before its own code does.
            Remember(evalId, new EvalRoute(request.SessionId, request.EvalId));
            if (await CompileDetachedAsync(parsed, request, interrupt.Token).ConfigureAwait(false) is { } detached)
            {
                var ran = await RunAsync(new StartEval(evalId, request.SessionId, 0, request.RecordResult, request.Print, detached), interrupt.Token).ConfigureAwait(false);
                return ToOutcome(ran, null);
            }
            EvalOutcome? aborted = null;
            Applied applied;
            using (interrupt.Token.Register(() => _target.Interrupt(evalId)))
            {
                applied = await CompileAndApplyAsync(parsed, request, evalId, interrupt.Token).ConfigureAwait(false);
                if (applied.Hooks is { } hooks) aborted = await ResolveHooksAsync(hooks, request, evalId, interrupt.Token).ConfigureAwait(false);
            }
            var (outcome, token, summary, _) = applied;
            if (aborted is not null) return aborted;
            if (outcome is not null) return outcome;
            if (token is null) return summary is null ? new EvalOutcome.NoValue() : new EvalOutcome.Value(summary, false);
            if (interrupt.IsCancellationRequested) return new EvalOutcome.Interrupted("Interrupted before it ran; its definitions were applied.");

            var completed = await RunAsync(new StartEval(evalId, request.SessionId, token.Value, request.RecordResult, request.Print), interrupt.Token).ConfigureAwait(false);
            return ToOutcome(completed, summary);
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            return new EvalOutcome.Interrupted(null);
        }
        catch (TargetDiedException died)
        {
            return await TargetDiedAsync(died.Exit).ConfigureAwait(false);
        }
        finally
        {
            _running.TryRemove(new KeyValuePair<string, RunningEval>(request.SessionId, running));
        }
    }

    public void Interrupt(string sessionId, string evalId)
    {
        foreach (var condition in _conditions.Values.Where(c => c.SessionId == sessionId && (evalId.Length == 0 || c.EvalId == evalId)))
        {
            condition.Cancel(); // interrupt = abort-redefinition
        }
        if (_running.TryGetValue(sessionId, out var running) && (evalId.Length == 0 || running.NReplId == evalId))
        {
            try
            {
                running.Interrupt.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The eval ended between the lookup and the cancel: nothing left to interrupt.
            }
        }
    }

    public void Stdin(string sessionId, string text)
    {
        if (_conditions.Values.FirstOrDefault(c => c.SessionId == sessionId) is { } condition)
        {
            // An answer to the condition the session's eval waits on, not input for user code.
            if (!condition.TryChoose(text))
            {
                _output.Write(sessionId, condition.EvalId, true, $"Not a restart: \"{text.Trim()}\". Answer with a number from 0 to {condition.Restarts.Count - 1}, and an expression after the number for a restart that takes one.\n");
                _output.NeedInput(sessionId, condition.EvalId);
            }
            return;
        }
        _target.SendStdin(sessionId, text, eof: text.Length == 0);
    }

    public string? InvokeRestart(string conditionId, string restart, string? value)
    {
        if (!_conditions.TryGetValue(conditionId, out var condition)) return $"condition {conditionId} is not pending (it was answered, aborted, or never raised)";
        return condition.TryChoose(restart, value) ? null : $"{restart} is not a restart of condition {conditionId}, or it needs a value (restarts: {string.Join(", ", condition.Restarts.Select(r => r.Name + (r.TakesValue ? " <value>" : "")))})";
    }

    public async Task<IReadOnlyList<Evaluation.Completion>> CompleteAsync(string sessionId, string ns, string prefix, CancellationToken ct)
    {
        var (compilation, csharpNs, usings) = await NamespaceAsync(ns, ct).ConfigureAwait(false);
        var recent = _recentInput.TryGetValue(sessionId, out var queue) ? queue.Reverse().ToList() : [];
        return CompletionEngine.Complete(compilation, csharpNs, usings, prefix, recent)
            .Select(c => new Evaluation.Completion(c.Candidate, c.Type, c.Ns))
            .ToList();
    }

    public async Task<SymbolDocs?> LookupAsync(string ns, string symbol, CancellationToken ct)
    {
        var (compilation, csharpNs, usings) = await NamespaceAsync(ns, ct).ConfigureAwait(false);
        return SymbolLookup.Find(compilation, csharpNs, usings, symbol) is { } found
            ? new SymbolDocs(found.Name, found.Ns, found.Type, found.Signatures, found.Parameters, found.Doc, found.File, found.Line, found.Column)
            : null;
    }

    /// <summary>
    /// The world as editor ops read it, once it is loaded: its compilation, and the namespace (as C#) with its
    /// usings. The snapshot is immutable, so this never waits for a compile or a migration (no world lock).
    /// </summary>
    private async Task<(Microsoft.CodeAnalysis.CSharp.CSharpCompilation Compilation, string Ns, IReadOnlyList<Model.UsingDefinition> Usings)> NamespaceAsync(string ns, CancellationToken ct)
    {
        await WorldReadyAsync(ct).ConfigureAwait(false);
        var world = _compiler.Current;
        var csharpNs = WorldNames.ToCSharpNamespace(ns);
        return (world.Compilation, csharpNs, world.Usings.TryGetValue(csharpNs, out var list) ? list : []);
    }

    private Task WorldReadyAsync(CancellationToken ct) => (_ready ??= Task.Run(InitializeAsync, CancellationToken.None)).WaitAsync(ct);

    public void ForgetSession(string sessionId)
    {
        _recentInput.TryRemove(sessionId, out _);
        _target.ForgetSession(sessionId);
    }

    public async ValueTask DisposeAsync()
    {
        // The server disposes the evaluator at shutdown and the container does again afterwards.
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _target.Exited -= OnTargetExited;
        await _target.DisposeAsync().ConfigureAwait(false);
    }

    // ---- target output ----------------------------------------------------------------------

    void ITargetOutputSink.OnOutput(Output output)
    {
        var isError = output.Stream == OutputStream.Err;
        if (_routes.TryGetValue(output.EvalId, out var route))
        {
            if (_running.TryGetValue(route.SessionId, out var running) && running.NReplId == route.NReplId)
            {
                _output.Write(route.SessionId, route.NReplId, isError, output.Text);
            }
            else
            {
                // A timer or thread of an eval that has ended: out-subscribe'd sessions get it, else that eval's session.
                _output.Background(route.SessionId, route.NReplId, isError, output.Text);
            }
        }
        else
        {
            ServerLog.TargetSystemOutput(_logger, output.Stream, output.Text);
            _output.Background(null, null, isError, output.Text);
        }
    }

    void ITargetOutputSink.OnNeedInput(NeedInput request)
    {
        if (_routes.TryGetValue(request.EvalId, out var route)) _output.NeedInput(route.SessionId, route.NReplId);
    }

    // ---- steps ------------------------------------------------------------------------------

    private async Task InitializeAsync()
    {
        if (!BaselineTrimmer.IsAvailable) ServerLog.BaselineTrimmerUnavailable(_logger);
        // The target's start is mostly another process booting: compile the world meanwhile.
        var starting = _target.StartAsync(CancellationToken.None);
        var image = await Task.Run(_compiler.Initialize).ConfigureAwait(false);
        await starting.ConfigureAwait(false);
        var loading = _target.LoadWorldAsync(image.Pe, image.Pdb, CancellationToken.None);
        // Roslyn's first EmitDifference costs ~150 ms of JIT; pay it now (while the target loads the world), not on the user's first eval.
        _compiler.Compile(SubmissionParser.Parse("1 + 1", WorldCompiler.DefaultNamespace, SourceOrigin.Repl), null, "warm-up");
        await loading.ConfigureAwait(false);
        ServerLog.WorldReady(_logger, _target.ProcessId ?? 0);
        _ = Task.Run(WarmUpAsync);
    }

    /// <summary>
    /// Compiles typical submissions (never applied) until the JIT has moved Roslyn's hot paths to
    /// optimized code: measured, a plain eval compiles in about 5 ms for its first few hundred
    /// compiles and about 2 ms after. One compile per hold of the world lock, so a user's eval waits
    /// for at most one of them.
    /// </summary>
    private async Task WarmUpAsync()
    {
        string[] samples =
        {
            "1 + 2", "Math.Max(1, 2)", "var __warm = new List<int> { 1 };", "int __Warm(int v) => v + 1;",
            "record __WarmRecord(int X);", "Enumerable.Range(0, 3).Select(x => x * 2).Sum()",
        };
        try
        {
            for (var round = 0; round < WarmUpRounds && Volatile.Read(ref _disposed) == 0; round++)
            {
                foreach (var code in samples)
                {
                    await _worldLock.WaitAsync().ConfigureAwait(false);
                    try
                    {
                        if (_targetLost) return;
                        _compiler.Compile(SubmissionParser.Parse(code, WorldCompiler.DefaultNamespace, SourceOrigin.Repl), null, "warm-up");
                    }
                    finally
                    {
                        _worldLock.Release();
                    }
                }
            }
            // Then the detached path, which binds its references on its first compile (≈200 ms of CPU that would
            // otherwise slow the first evals after start); evals go the world's way until it is ready.
            try
            {
                _compiler.CompileDetached(SubmissionParser.Parse("1 + 1", WorldCompiler.DefaultNamespace, SourceOrigin.Repl), "warm-up");
            }
            finally
            {
                _detachedReady.TrySetResult();
            }
            for (var round = 0; round < WarmUpRounds && Volatile.Read(ref _disposed) == 0; round++)
            {
                foreach (var code in samples) _compiler.CompileDetached(SubmissionParser.Parse(code, WorldCompiler.DefaultNamespace, SourceOrigin.Repl), "warm-up");
            }
        }
        catch (Exception e)
        {
            ServerLog.CompilerFailed(_logger, e);
        }
        finally
        {
            _detachedReady.TrySetResult(); // a failed or stopped warm-up leaves each eval to try the detached path itself
        }
    }

    private async Task<Applied> CompileAndApplyAsync(ParsedSubmission parsed, EvalRequest request, long evalId, CancellationToken ct)
    {
        await WorldReadyAsync(ct).ConfigureAwait(false);
        await _worldLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_targetLost) await RecoverAsync().ConfigureAwait(false);
            CompileResult result;
            try
            {
                result = _compiler.Compile(parsed, request.IsLoadFile ? request.FilePath ?? "(load-file)" : null, request.SessionId);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                ServerLog.CompilerFailed(_logger, e);
                return new Applied(new EvalOutcome.Failed("Internal error in the world compiler (the world is unchanged): " + e.Message, e.GetType().FullName!, e.GetType().FullName!), null, null);
            }
            if (result is CompileResult.IncompatibleShape shape)
            {
                var (replaced, refusal) = await ResolveShapeAsync(shape, parsed, request, evalId, ct).ConfigureAwait(false);
                if (refusal is not null) return new Applied(refusal, null, null);
                result = replaced!;
            }
            if (result is CompileResult.Delta { Warnings.Count: > 0 } warned)
            {
                var (handled, refusal) = await HandleWarningsAsync(warned, parsed, request, evalId, ct).ConfigureAwait(false);
                if (refusal is not null) return new Applied(refusal, null, null);
                result = handled;
            }
            switch (result)
            {
                case CompileResult.Failed failed:
                    return new Applied(new EvalOutcome.Failed(failed.ErrorText, failed.Kind, failed.Kind), null, null);
                case CompileResult.IncompatibleShape again:
                    return new Applied(Refused("The replaced types still cannot take their new shape: " + string.Join("; ", again.Changes.Select(c => $"{c.TypeName}: {c.Reason}"))), null, null);
                case CompileResult.Delta { Migration: { } } when _hooksWaiting is { } waiting:
                    return new Applied(Refused($"A migration of {string.Join(", ", waiting.Stage.Plans.Select(p => p.DisplayName))} is waiting for its failed hooks (session {waiting.SessionId}): answer that condition first (retry or skip-instance). This redefinition changes fields, so it cannot be applied meanwhile; redefinitions that change no field can."), null, null);
                case CompileResult.Delta { Migration: { } stage } migrating:
                    return await MigrateAsync(migrating, stage, parsed, request, evalId, ct).ConfigureAwait(false);
                case CompileResult.Delta delta:
                    try
                    {
                        var applied = await _target.ApplyDeltaAsync(delta.Metadata, delta.IL, delta.Pdb, delta.InitializerTokens, CancellationToken.None).ConfigureAwait(false);
                        _compiler.Commit(delta);
                        foreach (var error in applied.InitializerErrors) _output.Write(request.SessionId, request.EvalId, true, error + "\n");
                        foreach (var warning in delta.Warnings) _output.Write(request.SessionId, request.EvalId, true, warning.Message + "\n");
                    }
                    catch (TargetUpdateException refused)
                    {
                        return new Applied(new EvalOutcome.Failed("The runtime refused the update (the world is unchanged): " + refused.Message,
                            "LiveUpdateRefusedException", "LiveUpdateRefusedException"), null, null);
                    }
                    return new Applied(null, delta.EvalMethodToken, delta.DefinitionSummary);
                default:
                    throw new InvalidOperationException("Unknown compile result " + result.GetType().Name);
            }
        }
        finally
        {
            _worldLock.Release();
        }
    }

    private Task<EvalCompleted> RunAsync(StartEval start, CancellationToken ct) => _target.RunEvalAsync(start, ct);

    /// <summary>
    /// The eval as an assembly of its own, compiled without the world lock, when it defines nothing and touches
    /// no field of the world; null sends it the world's way (and always when the target must be brought back first).
    /// </summary>
    private async Task<DetachedCode?> CompileDetachedAsync(ParsedSubmission parsed, EvalRequest request, CancellationToken ct)
    {
        if (request.IsLoadFile || !_detachedReady.Task.IsCompleted) return null;
        await WorldReadyAsync(ct).ConfigureAwait(false);
        if (_targetLost) return null;
        try
        {
            return _compiler.CompileDetached(parsed, request.SessionId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            ServerLog.CompilerFailed(_logger, e);
            return null; // the world path compiles it and reports what is wrong
        }
    }

    /// <summary>
    /// A redefinition that changes the fields of live instances: apply the initializer helpers,
    /// have the target compute and check every new value (nothing written), then either commit
    /// (the redefinition's delta and the values) or abort (nothing changed). Caller holds the world lock.
    /// </summary>
    private async Task<Applied> MigrateAsync(CompileResult.Delta delta, MigrationStage stage, ParsedSubmission parsed, EvalRequest request, long evalId, CancellationToken ct)
    {
        try
        {
            await _target.ApplyDeltaAsync(stage.Metadata, stage.IL, stage.Pdb, Array.Empty<int>(), CancellationToken.None).ConfigureAwait(false);
        }
        catch (TargetUpdateException refused)
        {
            return new Applied(Refused("The runtime refused the update (the world is unchanged): " + refused.Message), null, null);
        }

        var defaults = new HashSet<(string Type, string Field)>();
        var values = new Dictionary<RestartKey, RestartValue>();
        MigrationPrepared prepared;
        while (true)
        {
            prepared = await _target.PrepareMigrationAsync(WithDefaults(stage.Migrations, defaults), evalId, request.SessionId, CancellationToken.None, stage.Replacements).ConfigureAwait(false);
            if (ct.IsCancellationRequested)
            {
                // Interrupted while the values were computed (an initializer may never have ended): nothing was written.
                await _target.AbortMigrationAsync(CancellationToken.None).ConfigureAwait(false);
                _compiler.CommitAborted(stage);
                return new Applied(new EvalOutcome.Interrupted("Interrupted while the live instances' new values were computed; the redefinition was aborted and nothing changed."), null, null);
            }
            if (prepared.Error is null && prepared.Problems.Length == 0) break;
            var problem = prepared.Problems.FirstOrDefault();
            var key = problem is null ? default : (problem.TypeName, problem.FieldName);
            var forAll = new RestartKey(key.TypeName, key.FieldName);
            var forInstance = forAll with { InstanceId = problem?.FirstInstanceId ?? 0 };
            // A value the user gave for these instances failed itself: a condition raised inside a restart.
            var level = values.ContainsKey(forAll) || (forInstance.InstanceId != 0 && values.ContainsKey(forInstance)) ? 2 : 1;
            RestartChoice choice;
            try
            {
                choice = prepared.Error is null
                    ? await ResolveConditionAsync(request, evalId, Condition(MigrationCondition.ForField, request, stage, prepared, problem!, level), askHandlers: true, ct).ConfigureAwait(false)
                    : new RestartChoice(MigrationCondition.Abort, null);
            }
            catch (OperationCanceledException)
            {
                choice = new RestartChoice(MigrationCondition.Abort, null); // interrupted while a handler was asked
            }
            // An answer for all failing instances covers the one whose own value (use-value) just failed.
            if (choice.Name != MigrationCondition.UseValue) values.Remove(forInstance);
            switch (choice.Name)
            {
                case MigrationCondition.UseDefault:
                    defaults.Add(key);
                    values.Remove(forAll);
                    continue;
                case MigrationCondition.AcceptWithDefaults:
                    foreach (var failing in prepared.Problems) { defaults.Add((failing.TypeName, failing.FieldName)); values.Remove(new RestartKey(failing.TypeName, failing.FieldName)); }
                    continue;
                case MigrationCondition.UseValue or MigrationCondition.UseValueForAll or MigrationCondition.UseInitializer:
                    var given = choice.Name == MigrationCondition.UseValue ? forInstance : forAll;
                    if (given == forAll) defaults.Remove(key);
                    values[given] = new RestartValue(choice.Value ?? "", choice.Name == MigrationCondition.UseInitializer);
                    // The value is code: a new helpers generation carries it, and the main delta is planned again on top.
                    await _target.AbortMigrationAsync(CancellationToken.None).ConfigureAwait(false);
                    _compiler.CommitAborted(stage);
                    var recompiled = _compiler.Compile(parsed, request.IsLoadFile ? request.FilePath ?? "(load-file)" : null, request.SessionId, values, delta.NoRenameInference, delta.ReplaceTypes);
                    if (recompiled is CompileResult.Failed failed)
                    {
                        _output.Write(request.SessionId, request.EvalId, true, failed.ErrorText + "\n");
                        values.Remove(given);
                        recompiled = _compiler.Compile(parsed, request.IsLoadFile ? request.FilePath ?? "(load-file)" : null, request.SessionId, values, delta.NoRenameInference, delta.ReplaceTypes);
                    }
                    if (recompiled is not CompileResult.Delta { Migration: { } nextStage } next)
                    {
                        return new Applied(Refused("The redefinition no longer compiles as a migration: " + (recompiled as CompileResult.Failed)?.ErrorText), null, null);
                    }
                    await _target.ApplyDeltaAsync(nextStage.Metadata, nextStage.IL, nextStage.Pdb, Array.Empty<int>(), CancellationToken.None).ConfigureAwait(false);
                    (delta, stage) = (next, nextStage);
                    continue;
                default:
                    await _target.AbortMigrationAsync(CancellationToken.None).ConfigureAwait(false);
                    _compiler.CommitAborted(stage);
                    return new Applied(Refused(MigrationReport.Aborted(stage, prepared)), null, null);
            }
        }

        DeltaApplied committed;
        try
        {
            committed = await _target.CommitMigrationAsync(delta.Metadata, delta.IL, delta.Pdb, CancellationToken.None).ConfigureAwait(false);
            foreach (var error in committed.InitializerErrors) _output.Write(request.SessionId, request.EvalId, true, error + "\n");
        }
        catch (TargetUpdateException refused)
        {
            // The delta was refused before any value was written: the world stays at the helpers' generation.
            _compiler.CommitAborted(stage);
            return new Applied(Refused("The runtime refused the redefinition (every instance is unchanged): " + refused.Message), null, null);
        }
        _compiler.Commit(delta);
        foreach (var warning in delta.Warnings) _output.Write(request.SessionId, request.EvalId, true, warning.Message + "\n");
        var report = MigrationReport.Committed(stage, prepared);
        var summary = delta.DefinitionSummary is null ? report : delta.DefinitionSummary + "\n" + report;
        HookWait? hooks = null;
        if (committed.HookFailures is { Length: > 0 } failures)
        {
            // Set before the world lock is released: no other migration may start while these wait.
            _hooksWaiting = hooks = new HookWait(request.SessionId, stage, prepared, failures);
        }
        return new Applied(null, delta.EvalMethodToken, summary, hooks);
    }

    private static EvalOutcome.Failed Refused(string text) => new(text, "LiveUpdateRefusedException", "LiveUpdateRefusedException");

    /// <summary>
    /// IncompatibleShapeChange: asks (a handler, the user, or the default abort) whether to replace the types;
    /// returns the compile with them replaced, or the refusal. Nothing has been applied yet.
    /// </summary>
    private async Task<(CompileResult? Result, EvalOutcome? Refusal)> ResolveShapeAsync(CompileResult.IncompatibleShape shape, ParsedSubmission parsed, EvalRequest request, long evalId, CancellationToken ct)
    {
        var condition = MigrationCondition.ForShape(request.SessionId, request.EvalId, shape.Changes);
        RestartChoice choice;
        try
        {
            choice = await ResolveConditionAsync(request, evalId, condition, askHandlers: true, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            choice = new RestartChoice(MigrationCondition.Abort, null);
        }
        if (choice.Name != MigrationCondition.ReplaceType)
        {
            return (null, Refused(string.Join("\n", shape.Changes.Select(c => $"Cannot apply live: {c.TypeName}: {c.Reason}"))
                + "\nIncompatibleShapeChange: the redefinition was aborted; every instance and method is unchanged."));
        }
        var keys = shape.Changes.Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
        var loadedFrom = request.IsLoadFile ? request.FilePath ?? "(load-file)" : null;
        var result = _compiler.Compile(parsed, loadedFrom, request.SessionId, replaceTypes: keys);
        // Types deriving from a replaced type now have another base too: they are replaced with it.
        for (var round = 0; round < MaxReplacementRounds && result is CompileResult.IncompatibleShape more && more.Changes.All(c => !keys.Contains(c.Key)); round++)
        {
            _output.Write(request.SessionId, request.EvalId, true,
                $"Replaced as well, since their base type is replaced: {string.Join(", ", more.Changes.Select(c => c.TypeName).Distinct())}\n");
            keys.UnionWith(more.Changes.Select(c => c.Key));
            result = _compiler.Compile(parsed, loadedFrom, request.SessionId, replaceTypes: keys);
        }
        return (result, null);
    }

    /// <summary>
    /// Warnings do not stop a redefinition, but handlers registered by world code see each one first
    /// (as Lisp's handler-bind sees a warning): muffle-warning drops it, not-a-rename compiles the
    /// redefinition again with the inferred rename undone, abort-redefinition refuses the whole change.
    /// Nothing has been applied yet.
    /// </summary>
    private async Task<(CompileResult Result, EvalOutcome? Refusal)> HandleWarningsAsync(CompileResult.Delta delta, ParsedSubmission parsed, EvalRequest request, long evalId, CancellationToken ct)
    {
        var notRenames = new HashSet<string>(StringComparer.Ordinal);
        CompileResult result = delta;
        while (result is CompileResult.Delta current && current.Warnings.Count > 0)
        {
            var kept = new List<ChangeWarning>();
            var recompile = false;
            foreach (var warning in current.Warnings)
            {
                var answer = await _target.ChooseRestartAsync(warning.Kind, warning.TypeName, warning.Field, 0, 0,
                    new[] { warning.Message }, warning.Restarts, evalId, request.SessionId, ct).ConfigureAwait(false);
                if (answer.HandlerError is { } error) _output.Write(request.SessionId, request.EvalId, true, error);
                switch (answer.Answer?.Trim())
                {
                    case ChangeWarning.MuffleWarning:
                        break;
                    case ChangeWarning.NotARename when warning.Kind == ChangeWarning.RenameInferred:
                        recompile |= notRenames.Add(warning.TypeName);
                        break;
                    case MigrationCondition.Abort:
                        return (result, Refused($"{warning.Message}\nA condition handler chose {MigrationCondition.Abort}: nothing was applied."));
                    default:
                        kept.Add(warning);
                        break;
                }
            }
            if (!recompile) return (current with { Warnings = kept }, null);
            result = _compiler.Compile(parsed, request.IsLoadFile ? request.FilePath ?? "(load-file)" : null, request.SessionId, noRenameInference: notRenames, replaceTypes: current.ReplaceTypes);
        }
        return (result, null);
    }

    /// <summary>The condition for <paramref name="problem"/>, with its type's plan, versions and instance count.</summary>
    private static MigrationCondition Condition(
        Func<string, string, int, MigrationProblem, TypeMigrationPlan?, int, int, int, MigrationCondition> create,
        EvalRequest request, MigrationStage stage, MigrationPrepared prepared, MigrationProblem problem, int level)
    {
        var index = Array.FindIndex(stage.Migrations, m => m.TypeName == problem.TypeName);
        var migration = index >= 0 ? stage.Migrations[index] : null;
        return create(request.SessionId, request.EvalId, level, problem,
            stage.Plans.FirstOrDefault(p => p.TypeName == problem.TypeName), index >= 0 && index < prepared.InstanceCounts.Length ? prepared.InstanceCounts[index] : 0,
            migration?.FromVersion ?? 1, migration?.ToVersion ?? 2);
    }

    /// <summary>
    /// Raises <paramref name="condition"/>: a handler registered by world code (<c>Live.HandleConditions</c>)
    /// may pick the restart (unless <paramref name="askHandlers"/> is false); otherwise the user is asked on
    /// the eval, or, with no one to ask (load-file), the condition's default applies.
    /// </summary>
    private async Task<RestartChoice> ResolveConditionAsync(EvalRequest request, long evalId, MigrationCondition condition, bool askHandlers, CancellationToken ct)
    {
        var problem = condition.Problem;
        var headline = condition.Text().Split('\n')[0];
        if (askHandlers)
        {
            var handled = await _target.ChooseRestartAsync(problem.Kind, problem.TypeName, problem.FieldName, problem.FailingInstances, condition.InstanceCount,
                problem.Samples, condition.Restarts.Select(r => r.Name).ToArray(), evalId, request.SessionId, ct).ConfigureAwait(false);
            if (handled.HandlerError is { } handlerError) _output.Write(request.SessionId, request.EvalId, true, handlerError);
            if (handled.Answer is { } answer)
            {
                if (condition.TryChoose(answer))
                {
                    var chosen = await condition.Choice.ConfigureAwait(false);
                    _output.Write(request.SessionId, request.EvalId, true, $"{headline}\nHandled by a condition handler: {chosen.Name}{(chosen.Value is null ? "" : " " + chosen.Value)}\n");
                    return chosen;
                }
                _output.Write(request.SessionId, request.EvalId, true, $"A condition handler answered \"{answer}\", which is not a restart of this condition.\n");
            }
        }
        if (request.IsLoadFile)
        {
            _output.Write(request.SessionId, request.EvalId, true, $"{headline}\nNo handler and no one to ask (load-file): the default restart {condition.DefaultRestart} applies.\n");
            return new RestartChoice(condition.DefaultRestart, null);
        }
        return await AskAsync(condition, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The hook of a committed migration failed for some instances: evals and loops in the target stay
    /// paused while the user decides, but the world lock is free, so another session can redefine the hook
    /// (or what it calls) before a retry. Retry runs the hook again (a failure left raises the condition at
    /// the next level), skip-instance keeps the implicit values, abort-redefinition puts the previous
    /// definitions and every instance's values back. Returns the outcome that ends the eval when it was aborted.
    /// </summary>
    private async Task<EvalOutcome?> ResolveHooksAsync(HookWait wait, EvalRequest request, long evalId, CancellationToken ct)
    {
        try
        {
            var failures = wait.Failures;
            for (var level = 1; failures.Length > 0; level++)
            {
                var problem = failures[0];
                var condition = Condition(MigrationCondition.ForHook, request, wait.Stage, wait.Prepared, problem, level);
                // A handler that answers retry to a hook that keeps failing would loop: after a few rounds only the user (or the default) decides.
                RestartChoice choice;
                try
                {
                    choice = ct.IsCancellationRequested
                        ? new RestartChoice(condition.DefaultRestart, null) // interrupted (maybe in the hook itself): no one is asked
                        : await ResolveConditionAsync(request, evalId, condition, askHandlers: level <= MaxHandledHookRetries, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    choice = new RestartChoice(condition.DefaultRestart, null);
                }
                if (choice.Name == MigrationCondition.Abort) return await RevertAsync(wait, request, evalId).ConfigureAwait(false);
                var retry = choice.Name == MigrationCondition.Retry;
                failures = (await _target.ResolveHooksAsync(retry ? HookAction.Retry : HookAction.Skip, CancellationToken.None).ConfigureAwait(false)).HookFailures ?? [];
                if (!retry)
                {
                    _output.Write(request.SessionId, request.EvalId, true,
                        $"{problem.FailingInstances} instance{(problem.FailingInstances == 1 ? "" : "s")} of {condition.Plan?.DisplayName ?? problem.TypeName} skipped {problem.FieldName}; they hold the values of the implicit rules.\n");
                }
                else if (failures.Length == 0)
                {
                    _output.Write(request.SessionId, request.EvalId, true, $"{problem.FieldName} succeeded on retry for every instance it had failed for.\n");
                }
            }
            return null;
        }
        finally
        {
            _hooksWaiting = null;
        }
    }

    /// <summary>
    /// abort-redefinition after a commit: EnC cannot undo a delta, so the previous definitions are applied
    /// as one more redefinition (a migration planned with defaults, no hooks), whose commit has the target
    /// write back the values every migrated instance had before. If that cannot be done the redefinition
    /// stays applied and the failing instances keep the implicit values; the eval says so.
    /// </summary>
    private async Task<EvalOutcome> RevertAsync(HookWait wait, EvalRequest request, long evalId)
    {
        var types = string.Join(", ", wait.Stage.Plans.Select(p => p.DisplayName));
        await _target.ResolveHooksAsync(HookAction.Revert, CancellationToken.None).ConfigureAwait(false);
        await _worldLock.WaitAsync().ConfigureAwait(false);
        try
        {
            var failure = await ApplyRevertAsync(wait, request, evalId).ConfigureAwait(false);
            if (failure is null)
            {
                return Refused($"The redefinition of {types} was aborted: the previous definitions are applied again and every migrated instance has the values it had before. (Definitions the redefinition added stay; changes a hook made to other objects stay.)");
            }
            await _target.AbortMigrationAsync(CancellationToken.None).ConfigureAwait(false);
            return Refused($"Aborting the redefinition of {types} failed ({failure}); the redefinition stays applied, and the instances the hook failed for hold the values of the implicit rules.");
        }
        finally
        {
            _worldLock.Release();
        }
    }

    /// <summary>Compiles and applies the previous definitions with the instances' old values put back; returns why it could not, or null. Caller holds the world lock.</summary>
    private async Task<string?> ApplyRevertAsync(HookWait wait, EvalRequest request, long evalId)
    {
        var compiled = _compiler.CompileRevert(wait.Stage.Snapshot, request.SessionId);
        if (compiled is CompileResult.Failed failed) return failed.ErrorText;
        var delta = compiled as CompileResult.Delta;
        var migrations = Array.Empty<TypeMigration>();
        if (delta?.Migration is { } stage)
        {
            try
            {
                await _target.ApplyDeltaAsync(stage.Metadata, stage.IL, stage.Pdb, Array.Empty<int>(), CancellationToken.None).ConfigureAwait(false);
            }
            catch (TargetUpdateException refused)
            {
                return refused.Message;
            }
            // Every value is overwritten by the saved ones: nothing computed here needs a decision.
            migrations = WithDefaults(stage.Migrations, stage.Migrations.SelectMany(m => m.Steps.Select(s => (m.TypeName, s.NewField.Name))).ToHashSet());
        }
        var prepared = await _target.PrepareMigrationAsync(migrations, evalId, request.SessionId, CancellationToken.None).ConfigureAwait(false);
        if (prepared.Error is not null || prepared.Problems.Length > 0)
        {
            if (delta?.Migration is { } aborted) _compiler.CommitAborted(aborted);
            return prepared.Error ?? MigrationReport.Aborted(delta!.Migration!, prepared);
        }
        try
        {
            await _target.CommitMigrationAsync(delta?.Metadata ?? [], delta?.IL ?? [], delta?.Pdb ?? [], CancellationToken.None, restoreSnapshot: true).ConfigureAwait(false);
        }
        catch (TargetUpdateException refused)
        {
            if (delta?.Migration is { } aborted) _compiler.CommitAborted(aborted);
            return refused.Message;
        }
        if (delta is not null) _compiler.Commit(delta);
        return null;
    }

    /// <summary>Shows the condition on the eval and waits for the user's restart.</summary>
    private async Task<RestartChoice> AskAsync(MigrationCondition condition, CancellationToken ct)
    {
        _conditions[condition.Id] = condition;
        try
        {
            condition.ShowOn(_output);
            return await condition.Choice.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return new RestartChoice(condition.DefaultRestart, null); // the eval was interrupted or its client went away
        }
        finally
        {
            _conditions.TryRemove(condition.Id, out _);
        }
    }

    private static TypeMigration[] WithDefaults(TypeMigration[] migrations, IReadOnlySet<(string Type, string Field)> failing)
    {
        if (failing.Count == 0) return migrations;
        return migrations.Select(m => m with
        {
            Steps = m.Steps.Select(s => failing.Contains((m.TypeName, s.NewField.Name)) ? s with { OnFailure = FailurePolicy.UseDefault } : s).ToArray(),
        }).ToArray();
    }

    private static EvalOutcome ToOutcome(EvalCompleted completed, string? summary) => completed.Status switch
    {
        EvalStatus.Value => new EvalOutcome.Value(completed.Value ?? "null", completed.Truncated),
        EvalStatus.NoValue => summary is null ? new EvalOutcome.NoValue() : new EvalOutcome.Value(summary, false),
        EvalStatus.Exception => new EvalOutcome.Failed(completed.ErrorText ?? completed.ExceptionType ?? "exception",
            completed.ExceptionType ?? "System.Exception", completed.RootExceptionType ?? completed.ExceptionType ?? "System.Exception"),
        EvalStatus.Interrupted => new EvalOutcome.Interrupted(null),
        EvalStatus.InterruptedThreadAbandoned => new EvalOutcome.Interrupted(
            "The eval did not stop within the interrupt grace period; its thread was abandoned and may still be running."),
        _ => new EvalOutcome.Failed("Unknown eval status " + completed.Status, "System.InvalidOperationException", "System.InvalidOperationException"),
    };

    private async Task<EvalOutcome> TargetDiedAsync(TargetExit exit)
    {
        if (Volatile.Read(ref _disposed) == 1)
        {
            return new EvalOutcome.Failed($"The target process stopped ({exit.Reason}) because the server is shutting down.", "TargetDiedException", "TargetDiedException");
        }
        _targetLost = true;
        var failure = await RecoverIfLostAsync().ConfigureAwait(false);
        var recovered = failure is null
            ? "A new target was started and the world's definitions were replayed into it; variable values and object instances were lost."
            : "Starting a new target failed (" + failure.Message + "); the next eval tries again.";
        var text = $"The target process died ({exit.Reason}) while running this eval. {recovered}";
        return new EvalOutcome.Failed(text, "TargetDiedException", "TargetDiedException");
    }

    /// <summary>Restart the target and replay the world into it. Caller holds the world lock.</summary>
    private async Task RecoverAsync()
    {
        await _target.RestartAsync(CancellationToken.None).ConfigureAwait(false);
        var image = _compiler.Rebuild();
        await _target.LoadWorldAsync(image.Pe, image.Pdb, CancellationToken.None).ConfigureAwait(false);
        _targetLost = false;
        ServerLog.WorldReplayed(_logger, _compiler.Current.Definitions.Count, _target.ProcessId ?? 0);
    }

    private void OnTargetExited(TargetExit exit)
    {
        if (Volatile.Read(ref _disposed) == 1) return;
        _targetLost = true;
        ServerLog.TargetDied(_logger, exit.Reason, exit.ExitCode ?? -1);
        _unresponsive.End($"The target process ended ({exit.Reason}).");
        // Bring a target back even if no eval is waiting, so background work the user restarts has somewhere to run.
        _ = Task.Run(RecoverIfLostAsync);
    }

    /// <summary>Takes the world lock and brings a target back if it is still lost; returns the failure, if any (logged).</summary>
    private async Task<Exception?> RecoverIfLostAsync()
    {
        try
        {
            await _worldLock.WaitAsync().ConfigureAwait(false);
            try
            {
                if (_targetLost) await RecoverAsync().ConfigureAwait(false);
                return null;
            }
            finally
            {
                _worldLock.Release();
            }
        }
        catch (Exception e)
        {
            ServerLog.RecoveryFailed(_logger, e);
            return e;
        }
    }

    private void Remember(long evalId, EvalRoute route)
    {
        _routes[evalId] = route;
        _routeOrder.Enqueue(evalId);
        while (_routeOrder.Count > MaxRememberedEvals && _routeOrder.TryDequeue(out var old)) _routes.TryRemove(old, out _);
    }

    private sealed record EvalRoute(string SessionId, string NReplId);

    /// <summary>What a compile-and-apply step produced: an outcome that ends the eval, or the eval method to run; and hooks still to resolve.</summary>
    private sealed record Applied(EvalOutcome? Outcome, int? Token, string? Summary, HookWait? Hooks = null);

    /// <summary>A committed migration whose hook failed for some instances, raised on the eval of <see cref="SessionId"/>.</summary>
    private sealed record HookWait(string SessionId, MigrationStage Stage, MigrationPrepared Prepared, MigrationProblem[] Failures);

    private sealed record RunningEval(string NReplId, CancellationTokenSource Interrupt);
}
