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
/// <item>Commit: write the values and the discarded-value bags, apply the method-body delta, reopen the gate.</item>
/// <item>Abort: drop the values, reopen the gate.</item>
/// </list>
/// Called only from the target's message loop, one message at a time, so it keeps no lock.
/// </summary>
internal sealed class MigrationExecutor
{
    /// <summary>How long prepare waits for running <see cref="Live.Every"/> iterations to reach their boundary.</summary>
    private static readonly TimeSpan IterationDrainTimeout = TimeSpan.FromSeconds(2);

    private readonly WorldHost _world;
    private readonly Action<TargetMessage> _post;
    private readonly Action _flushAmbientOutput;
    private PreparedMigration? _prepared;

    /// <param name="world">The world whose types migrate; its apply path also applies the commit's delta.</param>
    /// <param name="post">Sends replies and logs to the server.</param>
    /// <param name="flushAmbientOutput">Sends console text written outside evals (initializers may print) before a reply.</param>
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
            var prepared = Plan(request);
            var problems = new List<MigrationProblem>();
            foreach (var type in prepared.Types) type.Compute(problems);
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
        try
        {
            using (NoGcScope.For(prepared.Types.Sum(t => t.PendingWrites)))
            {
                foreach (var type in prepared.Types) type.Write();
            }
            WriteDiscardedBags(prepared);
        }
        catch (Exception e)
        {
            // The values went into the new fields only, which no running code references before the delta
            // below: the old fields still hold every instance's data, so this is an abort in effect.
            error = $"Writing the migrated values failed ({e.GetType().FullName}: {e.Message}); the method delta was not applied.";
        }
        var written = Stopwatch.GetElapsedTime(started);
        if (error is null && request.Metadata.Length > 0)
        {
            (error, warnings) = _world.Apply(request.Metadata, request.IL, request.Pdb, []);
        }
        _post(new Log(LogSeverity.Debug, $"Migration {request.RequestId} committed: values written in {written.TotalMilliseconds:0.0} ms, total {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0.0} ms."));
        _flushAmbientOutput();
        _post(new DeltaApplied(request.RequestId, error, warnings));
        MigrationGate.Open();
    }

    /// <summary>Handles <see cref="AbortMigration"/>: drops the prepared values (none were written) and reopens the gate.</summary>
    public void Abort(AbortMigration request)
    {
        _prepared = null;
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
        var module = world.ManifestModule;
        return new PreparedMigration([.. request.Types.Select(t => PreparedType.Plan(module, t))]);
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

        public bool HasProblems { get; set; }
    }

    /// <summary>One <see cref="TypeMigration"/>: its compiled steps, and after <see cref="Compute"/> its instances and values.</summary>
    private sealed class PreparedType
    {
        private readonly TypeMigration _migration;
        private readonly Type _type;
        private readonly List<(PendingField Field, string ProblemKind)> _pending;

        private PreparedType(TypeMigration migration, Type type, List<(PendingField, string)> pending, DiscardedField[] discarded)
        {
            _migration = migration;
            _type = type;
            _pending = pending;
            Discarded = discarded;
        }

        public object[] Instances { get; private set; } = [];

        /// <summary>Upper bound of the field writes <see cref="Write"/> will do.</summary>
        public long PendingWrites => (long)Instances.Length * _pending.Count;

        public DiscardedField[] Discarded { get; }

        public static PreparedType Plan(Module module, TypeMigration migration)
        {
            var type = Resolve(() => module.ResolveType(migration.TypeToken), "type", migration.TypeToken);
            if (type.IsValueType || type.IsInterface) throw new MigrationPlanException($"{type} is not a class; only class instances are registered and migrated");
            if (type.ContainsGenericParameters) throw new MigrationPlanException($"{type} is generic; fields of generic world types cannot be migrated in place");

            var pending = new List<(PendingField, string)>();
            foreach (var step in migration.Steps)
            {
                var field = InstanceField(module, type, step.NewFieldToken, "new field");
                switch (step.Source)
                {
                    case FieldSource.OldField:
                        var old = InstanceField(module, type, step.OldFieldToken, "old field");
                        pending.Add((PendingField.Create(step, field, old, null), "FieldConversionError"));
                        break;
                    case FieldSource.Initializer:
                        var initializer = Resolve(() => module.ResolveMethod(step.InitializerMethodToken), "initializer", step.InitializerMethodToken) as MethodInfo;
                        if (initializer is null || !initializer.IsStatic || initializer.GetParameters().Length > 0 || initializer.ContainsGenericParameters || initializer.ReturnType == typeof(void))
                        {
                            throw new MigrationPlanException($"initializer 0x{step.InitializerMethodToken:X8} of {field.Name} is not a static parameterless method returning a value");
                        }
                        pending.Add((PendingField.Create(step, field, null, initializer), "InitializerFailed"));
                        break;
                    case FieldSource.Default:
                        // Every existing object already reads default(T) from a field the delta added, so there
                        // is nothing to write; writing would only allocate the field's side storage (~0.5 µs each).
                        break;
                    default:
                        throw new MigrationPlanException($"unknown field source {step.Source} for {field.Name}");
                }
            }
            var discarded = migration.DiscardedFieldTokens
                .Select(token => DiscardedField.Create(InstanceField(module, type, token, "discarded field")))
                .ToArray();
            return new PreparedType(migration, type, pending, discarded);
        }

        /// <summary>Snapshots the live instances and computes every value; failures become problems.</summary>
        public void Compute(List<MigrationProblem> problems)
        {
            Instances = [.. InstanceRegistry.LiveInstances(_type, includeSubtypes: true)];
            foreach (var (field, kind) in _pending)
            {
                var collector = new ProblemCollector(_migration.TypeToken, field.Field, kind);
                field.Compute(Instances, collector);
                if (collector.Count > 0) problems.Add(collector.ToProblem());
            }
            foreach (var field in Discarded) field.Read(Instances);
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
                foreach (var (field, _) in _pending) field.Write(Instances, block, end);
            }
        }

        private static FieldInfo InstanceField(Module module, Type type, int token, string role)
        {
            var field = Resolve(() => module.ResolveField(token), role, token);
            if (field.IsStatic || field.IsLiteral) throw new MigrationPlanException($"{role} {field.Name} (0x{token:X8}) is static");
            if (field.DeclaringType is not { } declaring || !declaring.IsAssignableFrom(type))
            {
                throw new MigrationPlanException($"{role} {field.Name} (0x{token:X8}) belongs to {field.DeclaringType}, not to {type} or a base of it");
            }
            return field;
        }

        private static T Resolve<T>(Func<T?> resolve, string role, int token) where T : class
        {
            try
            {
                return resolve() ?? throw new MigrationPlanException($"{role} token 0x{token:X8} does not resolve");
            }
            catch (Exception e) when (e is ArgumentException or BadImageFormatException)
            {
                throw new MigrationPlanException($"{role} token 0x{token:X8} does not resolve in the world: {e.Message}");
            }
        }
    }
}
