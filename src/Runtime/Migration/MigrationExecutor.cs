using System.Diagnostics;
using System.Reflection;
using NRepl.Runtime.Contract;
using NRepl.Runtime.Hosting;

namespace NRepl.Runtime.Migration;

/// <summary>
/// Executes live type migrations (issue 3) in two phases, all or nothing:
/// <list type="bullet">
/// <item>Prepare: close the <see cref="MigrationGate"/>, find every live instance of each type (and its
/// subtypes), compute and check every new field value into typed arrays. Nothing is written, so old
/// code keeps running against unchanged objects and an abort leaves no trace.</item>
/// <item>Commit: apply the delta, write the values and the discarded-value bags, run the new version's
/// hooks, reopen the gate. If a hook failed for some instances the gate stays closed until
/// <see cref="ResolveHooks"/> retried them successfully or skipped them.</item>
/// <item>Abort: drop the values, reopen the gate.</item>
/// </list>
/// Called only from the <see cref="MigrationWorker"/>, one step at a time, so it keeps no lock.
/// </summary>
internal sealed class MigrationExecutor
{
    /// <summary>How long prepare waits for running <see cref="Live.Every"/> iterations to reach their boundary.</summary>
    private static readonly TimeSpan IterationDrainTimeout = TimeSpan.FromSeconds(2);

    private readonly WorldHost _world;
    private readonly Action<TargetMessage> _post;
    private readonly Action _flushAmbientOutput;
    private PreparedMigration? _prepared;

    // A committed migration whose hook failed for some instances: paused work stays paused until ResolveHooks leaves none.
    private PreparedMigration? _hooksPending;

    // After ResolveHooks(Revert): the values to put back when the previous definitions' migration commits.
    private RevertSnapshot? _reverting;

    /// <param name="world">The world whose types migrate; its apply path also applies the commit's delta.</param>
    /// <param name="post">Sends replies and logs to the server.</param>
    /// <param name="flushAmbientOutput">Sends what user code printed (initializers, hooks) before a reply.</param>
    public MigrationExecutor(WorldHost world, Action<TargetMessage> post, Action flushAmbientOutput)
    {
        _world = world;
        _post = post;
        _flushAmbientOutput = flushAmbientOutput;
    }

    /// <summary>True between a successful prepare and its commit or abort.</summary>
    public bool HasPrepared => _prepared is not null;

    /// <summary>
    /// Handles <see cref="PrepareMigration"/>. A prepare while another is pending replaces it (the server
    /// re-prepares after the user chose restarts). On an Error reply nothing stays prepared and the gate is open.
    /// </summary>
    public void Prepare(PrepareMigration request)
    {
        if (_hooksPending is not null)
        {
            _post(new MigrationPrepared(request.RequestId, [], [], "A committed migration is still waiting for its failed hooks to be retried or skipped."));
            return;
        }
        _prepared = null;
        MigrationGate.Close();
        if (!MigrationGate.WaitForIterations(IterationDrainTimeout))
        {
            _post(new Log(LogSeverity.Warning, $"Migration {request.RequestId}: a Live.Every iteration was still running after {IterationDrainTimeout.TotalSeconds:0} s; preparing anyway (that iteration may see old values being copied)."));
        }

        var started = Stopwatch.GetTimestamp();
        MigrationPrepared reply;
        try
        {
            // Before the values are computed: their conversions map replaced instances through it.
            TypeReplacer.Current = request.Replacements is { Length: > 0 } replacements && _world.Assembly is { } world
                ? TypeReplacer.Create(world, replacements)
                : null;
            var prepared = Plan(request);
            var problems = new List<MigrationProblem>();
            foreach (var type in prepared.Types) type.Compute(problems);
            // replace-type: the replaced instances that object- or interface-typed slots hold are found now too.
            if (TypeReplacer.Current is { } replacer && _world.Assembly is { } worldAssembly) replacer.FindSlots(worldAssembly);
            prepared.HasProblems = problems.Count > 0;
            _prepared = prepared;
            reply = new MigrationPrepared(request.RequestId, [.. prepared.Types.Select(t => t.Instances.Length)], [.. problems], null);
            var instances = prepared.Types.Sum(t => t.Instances.Length);
            _post(new Log(LogSeverity.Debug, $"Migration {request.RequestId} prepared: {instances} instances, {problems.Count} problems, {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0.0} ms."));
        }
        catch (Exception e)
        {
            // A plan that does not fit the world (or a bug here): nothing was written, nothing stays prepared.
            _prepared = null;
            TypeReplacer.Current = null;
            var text = e is MigrationPlanException ? e.Message : $"{e.GetType().FullName}: {e.Message}";
            reply = new MigrationPrepared(request.RequestId, [], [], $"Preparing the migration failed: {text}");
        }
        _flushAmbientOutput();
        _post(reply);
        if (reply.Error is not null) MigrationGate.Open();
    }

    /// <summary>
    /// Handles <see cref="CommitMigration"/>: refused (nothing written, still prepared) when the prepare
    /// found problems. Otherwise writes, applies the delta, replies, then reopens the gate: work released by
    /// the gate starts after the reply, on the new code.
    /// </summary>
    public void Commit(CommitMigration request)
    {
        var prepared = _prepared;
        if (prepared is null)
        {
            _post(new DeltaApplied(request.RequestId, "No migration is prepared; send PrepareMigration first.", []));
            return;
        }
        if (prepared.HasProblems)
        {
            _post(new DeltaApplied(request.RequestId, "The prepared migration has problems; nothing was written. Prepare again with other steps, or abort.", []));
            return;
        }

        _prepared = null;
        var started = Stopwatch.GetTimestamp();
        string? error = null;
        string[] warnings = [];
        // Instances made since the prepare (by threads that do not pause, e.g. timers) have only the old
        // fields: those registered until now are found in the registry, those registered while the
        // delta is applied are collected as they come (their constructors started on the old code).
        // The values were checked for the others; one of these that fails keeps the new field's
        // default, and is reported.
        var lateProblems = new List<MigrationProblem>();
        var late = 0;
        // A hook may fail after the delta; abort-redefinition then needs the instances' old values back.
        var revert = prepared.Types.Any(t => t.Hook is not null) ? RevertSnapshot.Prepare(prepared.Types.SelectMany(t => t.Instances)) : null;
        InstanceRegistry.StartCollecting();
        try
        {
            late += AddLateInstances(prepared, type => type.RegisteredSinceSnapshot(), lateProblems, request.RequestId);
            // The delta first: the new fields exist only once it is applied. Evals and Live.Every loops
            // are still paused, and the values are written before anything is released below.
            if (request.Metadata.Length > 0)
            {
                (error, warnings) = _world.Apply(request.Metadata, request.IL, request.Pdb, []);
            }
        }
        finally
        {
            var collected = InstanceRegistry.StopCollecting();
            if (error is null) late += AddLateInstances(prepared, type => collected, lateProblems, request.RequestId);
        }
        if (error is null)
        {
            try
            {
                // Before anything is written: the new values go into new fields, but the bags are replaced below.
                revert?.Take(prepared.Types.SelectMany(t => t.Instances));
                prepared.Revert = revert;
                if (_world.RefreshReflection() is { } refreshError) _post(new Log(LogSeverity.Warning, $"Clearing the reflection cache failed: {refreshError}"));
                foreach (var type in prepared.Types) type.BindNewFields();
                // Each first write of an added field allocates; collections in the middle rescan a growing
                // set of dependent handles (measured: 1M instances × 2 fields, 860 -> 520 ms without them).
                using (NoGcScope.For(prepared.Types.Sum(t => t.PendingWrites)))
                {
                    foreach (var type in prepared.Types) type.Write();
                }
                WriteDiscardedBags(prepared);
                // The roots now lead to the new instances: they join the registry, and the ones left behind are counted.
                if (TypeReplacer.Current is { } replacer)
                {
                    replacer.WriteSlots();
                    warnings = [.. warnings, .. replacer.Commit()];
                }
                foreach (var type in prepared.Types) type.Hook?.Bind();
                if (request.RestoreSnapshot) RestoreReverted(request.RequestId);
            }
            catch (Exception e)
            {
                error = $"Writing the migrated values failed ({e.GetType().FullName}: {e.Message}); the new fields of some instances hold their defaults.";
            }
        }
        if (error is null && lateProblems.Count > 0)
        {
            warnings = [.. warnings, .. lateProblems.Select(p =>
                $"{p.FailingInstances} instance(s) of {p.TypeName} made while the migration was prepared could not get a value for {p.FieldName}; they hold its default: {string.Join("; ", p.Samples)}")];
        }
        // Hooks run last, after every implicit value of every type is in place (CLOS's :after ordering),
        // still with work paused. Failing instances were put back as the implicit rules left them.
        TypeReplacer.Current = null;
        MigrationProblem[] hookFailures = error is null && !request.RestoreSnapshot ? RunHooks(prepared, retry: false) : [];
        _post(new Log(LogSeverity.Debug, $"Migration {request.RequestId} committed in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0.0} ms ({late} instances made since the prepare added, {hookFailures.Sum(f => f.FailingInstances)} hook failures)."));
        _flushAmbientOutput();
        _post(new DeltaApplied(request.RequestId, error, warnings, hookFailures));
        if (hookFailures.Length == 0) MigrationGate.Open();
        else _hooksPending = prepared;
    }

    /// <summary>
    /// Handles <see cref="ResolveHooks"/>: runs the failed hooks again, or lets those instances keep their
    /// implicit values; reopens the gate once no failure is left.
    /// </summary>
    public void ResolveHooks(ResolveHooks request)
    {
        var pending = _hooksPending;
        if (pending is null)
        {
            _post(new DeltaApplied(request.RequestId, "No migration hook is waiting to be retried or skipped.", []));
            return;
        }
        if (request.Action == HookAction.Revert)
        {
            // Work stays paused: the server now applies the previous definitions, and their commit puts these values back.
            _reverting = pending.Revert;
            _hooksPending = null;
            _post(new DeltaApplied(request.RequestId, pending.Revert is null ? "The migration kept no values to put back." : null, []));
            return;
        }
        MigrationProblem[] failures = [];
        try
        {
            if (request.Action == HookAction.Retry) failures = RunHooks(pending, retry: true);
            else foreach (var type in pending.Types) type.Hook?.Skip();
        }
        catch (Exception e)
        {
            // The hook can no longer be found (e.g. a redefinition removed it): nothing more can run; resume.
            foreach (var type in pending.Types) type.Hook?.Skip();
            failures = [];
            _post(new Log(LogSeverity.Warning, $"Retrying the migration hooks failed ({e.Message}); the instances keep the values of the implicit rules."));
        }
        _flushAmbientOutput();
        _post(new DeltaApplied(request.RequestId, null, [], failures));
        if (failures.Length > 0) return;
        _hooksPending = null;
        MigrationGate.Open();
    }

    /// <summary>After a revert's values are written: the values every instance had before the aborted redefinition.</summary>
    private void RestoreReverted(long requestId)
    {
        var snapshot = _reverting ?? throw new InvalidOperationException("No aborted redefinition has values to put back.");
        _reverting = null;
        var restored = snapshot.Restore();
        _post(new Log(LogSeverity.Debug, $"Migration {requestId}: the values of {restored} instances from before the aborted redefinition were put back."));
    }

    /// <summary>Runs each type's hook on all its instances (<paramref name="retry"/>: again on those it failed for).</summary>
    private static MigrationProblem[] RunHooks(PreparedMigration prepared, bool retry)
    {
        var failures = new List<MigrationProblem>();
        foreach (var type in prepared.Types)
        {
            if (type.Hook is not { } hook || (retry && hook.FailingCount == 0)) continue;
            if ((retry ? hook.Retry() : hook.Run(type.Instances)) is { } problem) failures.Add(problem);
        }
        return [.. failures];
    }

    /// <summary>Handles <see cref="AbortMigration"/>: drops the prepared values (none were written) and reopens the gate.</summary>
    public void Abort(AbortMigration request)
    {
        _prepared = null;
        TypeReplacer.Current = null;
        if (_reverting is not null)
        {
            _reverting = null;
            _post(new Log(LogSeverity.Warning, $"Migration {request.RequestId}: putting back the previous definitions was abandoned; the redefinition stays applied."));
        }
        _post(new DeltaApplied(request.RequestId, null, []));
        MigrationGate.Open();
    }

    private PreparedMigration Plan(PrepareMigration request)
    {
        var world = _world.Assembly ?? throw new MigrationPlanException("no world is loaded");
        // Tokens of fields and methods the first delta added resolve only once reflection is current.
        if (_world.RefreshReflection() is { } refreshError)
        {
            _post(new Log(LogSeverity.Warning, $"Clearing the reflection cache failed: {refreshError}"));
        }
        return new PreparedMigration([.. request.Types.Select(t => PreparedType.Plan(world, t))]);
    }

    private int AddLateInstances(PreparedMigration prepared, Func<PreparedType, IReadOnlyList<object>> candidates, List<MigrationProblem> problems, long requestId)
    {
        var added = 0;
        try
        {
            foreach (var type in prepared.Types) added += type.AddLate(candidates(type), problems);
        }
        catch (Exception e)
        {
            _post(new Log(LogSeverity.Warning, $"Migration {requestId}: instances made since the prepare could not be added ({e.GetType().FullName}: {e.Message})."));
        }
        return added;
    }

    private static void WriteDiscardedBags(PreparedMigration prepared)
    {
        // An instance migrated under several types (a base and its subclass both changed) gets one bag
        // holding what each of them discarded.
        var bags = new Dictionary<object, Dictionary<string, object?>>(ReferenceEqualityComparer.Instance);
        foreach (var type in prepared.Types)
        {
            if (type.Discarded.Length == 0) continue;
            for (var i = 0; i < type.Instances.Length; i++)
            {
                foreach (var field in type.Discarded)
                {
                    if (!field.TryGetNonDefault(i, out var value)) continue;
                    var instance = type.Instances[i];
                    if (!bags.TryGetValue(instance, out var bag)) bags[instance] = bag = new Dictionary<string, object?>(StringComparer.Ordinal);
                    bag[field.Field.Name] = value;
                }
            }
        }
        foreach (var type in prepared.Types)
        {
            foreach (var instance in type.Instances)
            {
                DiscardedValues.Replace(instance, bags.TryGetValue(instance, out var bag) ? bag.AsReadOnly() : null);
            }
        }
    }

    private sealed class PreparedMigration(PreparedType[] types)
    {
        public PreparedType[] Types { get; } = types;

        /// <summary>The instances' values before the commit, when a hook runs (abort-redefinition puts them back).</summary>
        public RevertSnapshot? Revert { get; set; }

        public bool HasProblems { get; set; }
    }

    /// <summary>One <see cref="TypeMigration"/>: its compiled steps, and after <see cref="Compute"/> its instances and values.</summary>
    private sealed class PreparedType
    {
        private readonly TypeMigration _migration;
        private readonly Type _type;
        private readonly List<(PendingField Field, FieldRef NewField, string ProblemKind)> _pending;

        // Retyped static fields: computed and written like one instance's fields, with the type itself standing for it.
        private readonly List<(PendingField Field, FieldRef NewField, string ProblemKind)> _statics;
        private readonly object[] _staticInstance;

        private PreparedType(TypeMigration migration, Type type, List<(PendingField, FieldRef, string)> pending, DiscardedField[] discarded,
            List<(PendingField, FieldRef, string)> statics)
        {
            _migration = migration;
            _type = type;
            _pending = pending;
            Discarded = discarded;
            _statics = statics;
            _staticInstance = [new StaticFields(type)];
        }

        private RegistryMark? _mark;

        // Instances added after the snapshot, so one found both in the registry and as it registered is added once.
        private HashSet<object>? _late;

        public object[] Instances { get; private set; } = [];

        public long PendingWrites => (long)Instances.Length * _pending.Count;

        public DiscardedField[] Discarded { get; }

        /// <summary>The explicit hook the new version declares, if any.</summary>
        public MigrationHook? Hook { get; private init; }

        public static PreparedType Plan(Assembly world, TypeMigration migration)
        {
            var type = world.GetType(migration.TypeName) ?? throw new MigrationPlanException($"type {migration.TypeName} is not in the world");
            if ((type.IsValueType || type.IsInterface) && migration.Steps.Length + migration.DiscardedFields.Length > 0)
            {
                throw new MigrationPlanException($"{type} is not a class; only class instances are registered and migrated");
            }
            if (type.ContainsGenericParameters) throw new MigrationPlanException($"{type} is generic; fields of generic world types cannot be migrated in place");

            var pending = new List<(PendingField, FieldRef, string)>();
            foreach (var step in migration.Steps)
            {
                switch (step.Source)
                {
                    case FieldSource.OldField:
                        var old = InstanceField(type, step.OldField ?? throw new MigrationPlanException($"step for {step.NewField.Name} names no old field"), "old field");
                        var target = TypeNameResolver.Resolve(step.NewField.TypeName, world)
                            ?? throw new MigrationPlanException($"type {step.NewField.TypeName} of new field {step.NewField.Name} is not loaded");
                        pending.Add((PendingField.Create(step, target, old, null, Fallback(world, step), InstanceValues(world, step)), step.NewField, "FieldConversionError"));
                        break;
                    case FieldSource.Initializer:
                        var initializer = ResolveMethod(world.ManifestModule, step.InitializerMethodToken);
                        if (initializer is null || !initializer.IsStatic || initializer.GetParameters().Length > 0 || initializer.ContainsGenericParameters || initializer.ReturnType == typeof(void))
                        {
                            throw new MigrationPlanException($"initializer 0x{step.InitializerMethodToken:X8} of {step.NewField.Name} is not a static parameterless method returning a value");
                        }
                        // The helper is declared with the field's own type, so its return type is the field's.
                        pending.Add((PendingField.Create(step, initializer.ReturnType, null, initializer, Fallback(world, step), InstanceValues(world, step)), step.NewField, "InitializerFailed"));
                        break;
                    case FieldSource.Missing:
                        var missingType = TypeNameResolver.Resolve(step.NewField.TypeName, world)
                            ?? throw new MigrationPlanException($"type {step.NewField.TypeName} of new field {step.NewField.Name} is not loaded");
                        pending.Add((PendingField.Create(step, missingType, null, null, Fallback(world, step), InstanceValues(world, step)), step.NewField, "MissingInitialValue"));
                        break;
                    case FieldSource.Default:
                        // A field the delta adds reads default(T) on every existing object: nothing to write.
                        break;
                    default:
                        throw new MigrationPlanException($"unknown field source {step.Source} for {step.NewField.Name}");
                }
            }
            var discarded = migration.DiscardedFields
                .Select(field => DiscardedField.Create(InstanceField(type, field, "discarded field")))
                .ToArray();
            var statics = new List<(PendingField, FieldRef, string)>();
            foreach (var step in migration.StaticSteps ?? [])
            {
                var old = StaticField(type, step.OldField ?? throw new MigrationPlanException($"static step for {step.NewField.Name} names no old field"), "old static field");
                var target = TypeNameResolver.Resolve(step.NewField.TypeName, world)
                    ?? throw new MigrationPlanException($"type {step.NewField.TypeName} of static field {step.NewField.Name} is not loaded");
                statics.Add((PendingField.Create(step, target, old, null, Fallback(world, step), InstanceValues(world, step)), step.NewField, "FieldConversionError"));
            }
            return new PreparedType(migration, type, pending, discarded, statics) { Hook = MigrationHook.Plan(migration, type) };
        }

        private static MethodInfo? Fallback(Assembly world, FieldStep step) =>
            step.OnFailure == FailurePolicy.Fallback ? ResolveMethod(world.ManifestModule, step.FallbackMethodToken) : null;

        private static (long, MethodInfo)[] InstanceValues(Assembly world, FieldStep step) =>
            [.. (step.InstanceValues ?? []).Select(v => (v.InstanceId, ResolveMethod(world.ManifestModule, v.MethodToken)
                ?? throw new MigrationPlanException($"use-value helper 0x{v.MethodToken:X8} of {step.NewField.Name} is not a method")))];

        /// <summary>After the commit's delta: points each pending value at its new field.</summary>
        public void BindNewFields()
        {
            foreach (var (field, reference, _) in _pending) field.Bind(InstanceField(_type, reference, "new field"));
            foreach (var (field, reference, _) in _statics) field.Bind(StaticField(_type, reference, "new static field"));
        }

        private static FieldInfo StaticField(Type type, FieldRef reference, string role) =>
            type.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                .Where(f => f.Name == reference.Name && f.FieldType.ToString() == reference.TypeName && !f.IsLiteral)
                .MaxBy(f => f.MetadataToken)
            ?? throw new MigrationPlanException($"{role} {reference.Name} ({reference.TypeName}) is not a static field of {type}");

        /// <summary>Snapshots the live instances and computes every value; failures become problems.</summary>
        public void Compute(List<MigrationProblem> problems)
        {
            Instances = [.. InstanceRegistry.LiveInstances(_type, includeSubtypes: true, out _mark)];
            ComputeFrom(0, problems);
            foreach (var (field, reference, kind) in _statics)
            {
                var collector = new ProblemCollector(_migration.TypeName, reference.Name, kind);
                field.Compute(_staticInstance, 0, collector);
                if (collector.Count > 0) problems.Add(collector.ToProblem());
            }
        }

        /// <summary>The instances of this type (and subtypes) registered after the prepare's snapshot.</summary>
        public IReadOnlyList<object> RegisteredSinceSnapshot() =>
            _mark is null ? [] : InstanceRegistry.RegisteredSince(_type, includeSubtypes: true, _mark, Instances);

        /// <summary>
        /// At commit: adds those of <paramref name="candidates"/> that are instances of this type and not
        /// yet in the migration (old constructors made them after the snapshot) and computes their values,
        /// so they migrate too. Returns how many were added.
        /// </summary>
        public int AddLate(IReadOnlyList<object> candidates, List<MigrationProblem> problems)
        {
            if (candidates.Count == 0) return 0;
            _late ??= new HashSet<object>(ReferenceEqualityComparer.Instance);
            var late = candidates.Where(o => _type.IsInstanceOfType(o) && _late.Add(o)).ToList();
            if (late.Count == 0) return 0;
            var start = Instances.Length;
            Instances = [.. Instances, .. late];
            ComputeFrom(start, problems);
            return late.Count;
        }

        private void ComputeFrom(int start, List<MigrationProblem> problems)
        {
            foreach (var (field, reference, kind) in _pending)
            {
                var collector = new ProblemCollector(_migration.TypeName, reference.Name, kind);
                field.Compute(Instances, start, collector);
                if (collector.Count > 0) problems.Add(collector.ToProblem());
            }
            foreach (var field in Discarded) field.Read(Instances, start);
        }

        /// <summary>
        /// Writes on this one thread, in blocks of instances so all fields of a block are written while its
        /// objects are in cache. Not in parallel: the first write of an EnC-added field allocates the
        /// object's side storage, and doing that from several threads at once (even for disjoint objects)
        /// was measured both slower and wrong (values lost) on .NET 10.
        /// </summary>
        public void Write()
        {
            const int BlockSize = 4096;
            for (var block = 0; block < Instances.Length; block += BlockSize)
            {
                var end = Math.Min(Instances.Length, block + BlockSize);
                foreach (var (field, _, _) in _pending) field.Write(Instances, block, end);
            }
            foreach (var (field, _, _) in _statics) field.Write(_staticInstance, 0, 1);
        }

        /// <summary>
        /// The instance field of <paramref name="type"/> or one of its bases with this name and type. A
        /// retyped field leaves the old one in metadata under the same name, and one dropped by an aborted
        /// migration may come back as another field of the same name and type: the newest (highest token) wins.
        /// </summary>
        private static FieldInfo InstanceField(Type type, FieldRef reference, string role)
        {
            FieldInfo? best = null;
            for (var current = type; current is not null; current = current.BaseType)
            {
                foreach (var field in current.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    if (field.Name == reference.Name && field.FieldType.ToString() == reference.TypeName && (best is null || field.MetadataToken > best.MetadataToken))
                    {
                        best = field;
                    }
                }
                if (best is not null) return best;
            }
            throw new MigrationPlanException($"{role} {reference.Name} ({reference.TypeName}) is not a field of {type} or its bases");
        }

        private static MethodInfo? ResolveMethod(Module module, int token)
        {
            try
            {
                return module.ResolveMethod(token) as MethodInfo;
            }
            catch (Exception e) when (e is ArgumentException or BadImageFormatException)
            {
                throw new MigrationPlanException($"method token 0x{token:X8} does not resolve in the world: {e.Message}");
            }
        }
    }
}
