namespace NRepl.Runtime.Contract;

// Messages of a live type migration (issue 3). The server first applies a small delta that only
// adds static helpers evaluating the new fields' initializers (into the namespace's holder class,
// invisible to user code), then asks the target to prepare the migration: compute and check every
// new value of every live instance from the old fields and those helpers, while old code runs
// unchanged and nothing is written. Commit applies the real delta (new fields, method bodies) and
// writes the prepared values before paused work resumes; abort drops them, so nothing changed.
//
// Fields are named, not given by token: a retyped field is a second field of the same name in
// metadata, and the new one exists only once the real delta is applied. The target picks, among the
// type's fields with that name and type (Type.ToString() spelling), the one with the highest token.

/// <summary>Where a new instance field's value comes from.</summary>
public enum FieldSource : byte
{
    /// <summary>From an old field of the same instance (same name, [RenamedFrom], or an inferred rename), converted.</summary>
    OldField = 1,
    /// <summary>Call the static, parameterless initializer helper once per instance.</summary>
    Initializer = 2,
    /// <summary>default(T).</summary>
    Default = 3,
    /// <summary>
    /// Nothing can give the live instances a value (a non-nullable reference or required member without an
    /// initializer): every instance is a MissingInitialValue problem until a restart supplies one.
    /// </summary>
    Missing = 4,
}

/// <summary>How an old field's value becomes the new field's type (research/migration.md §7.3).</summary>
public enum Conversion : byte
{
    /// <summary>Same type: copy.</summary>
    Identity = 1,
    /// <summary>Tier 1: lossless numeric widening (int → long, float → double, int → decimal...).</summary>
    NumericWidening = 2,
    /// <summary>Tier 1: T → T?.</summary>
    WrapNullable = 3,
    /// <summary>Tier 1: reference upcast (the same object).</summary>
    ReferenceUpcast = 4,
    /// <summary>Tier 1: enum → its underlying type or a wider integer.</summary>
    EnumToInteger = 5,
    /// <summary>Tier 2: numeric narrowing or sign change; applies only if the value converts back exactly.</summary>
    NumericChecked = 6,
    /// <summary>Tier 2: T? → T; applies only if the value is not null.</summary>
    UnwrapNullable = 7,
    /// <summary>Tier 2: reference downcast; applies only if the value is an instance of the new type (or null).</summary>
    ReferenceDowncast = 8,
    /// <summary>Tier 2: integer → enum; applies only if the value is a defined member (or a combination, for [Flags]).</summary>
    IntegerToEnum = 9,
    /// <summary>Tier 2: enum → another enum type, by member name.</summary>
    EnumByName = 10,
    /// <summary>
    /// A type of the value was replaced by a new type (IncompatibleShapeChange, replace-type): instances of
    /// the old type become instances of the new one, once each, and collections holding them are rebuilt.
    /// </summary>
    Replace = 11,
    /// <summary>
    /// Tier 3: no implicit conversion (string ↔ number, scalar ↔ collection, unrelated types). Every
    /// instance is a FieldConversionError until a restart gives its value (e.g. <c>int.Parse(old)</c>).
    /// </summary>
    None = 12,
}

/// <summary>
/// A world type replaced by a new one (both by full name, nested types with '+'); <see cref="FromVersion"/> is
/// the old type's shape version (the new type's hook is told it moves to the next one).
/// </summary>
public sealed record TypeReplacement(string OldTypeName, string NewTypeName, int FromVersion = 1)
{
    internal void Write(BinaryWriter w) { w.Write(OldTypeName); w.Write(NewTypeName); w.Write(FromVersion); }
    internal static TypeReplacement Read(BinaryReader r) => new(r.ReadString(), r.ReadString(), r.ReadInt32());
}

/// <summary>What happens to an instance whose new value cannot be computed (a tier-2 check fails, the initializer throws).</summary>
public enum FailurePolicy : byte
{
    /// <summary>Report it as a problem; the migration cannot commit.</summary>
    Problem = 1,
    /// <summary>The user chose use-default: the new field keeps default(T) on those instances.</summary>
    UseDefault = 2,
    /// <summary>
    /// The user supplied a value (use-value-for-all, use-initializer): the static method
    /// <see cref="FieldStep.FallbackMethodToken"/>(instance, old value) computes it for those instances.
    /// </summary>
    Fallback = 3,
}

/// <summary>The explicit migration hook the new version of a type declares (research/migration.md §7.6).</summary>
public enum HookKind : byte
{
    None = 0,
    /// <summary><c>void OnRedefined(MigrationContext ctx)</c>, run on each migrated instance.</summary>
    Instance = 1,
    /// <summary><c>static T Migrate(T migrated, MigrationContext ctx)</c>: the returned object's fields are copied into the instance.</summary>
    Static = 2,
}

/// <summary>A field of a world type, by name and by its type as <c>System.Type.ToString()</c> spells it.</summary>
public sealed record FieldRef(string Name, string TypeName)
{
    internal void Write(BinaryWriter w) { w.Write(Name); w.Write(TypeName); }
    internal static FieldRef Read(BinaryReader r) => new(r.ReadString(), r.ReadString());
}

/// <summary>
/// One new instance field and how to fill it on every live instance. <see cref="OldField"/> is set
/// for <see cref="FieldSource.OldField"/>; <see cref="InitializerMethodToken"/> (a static,
/// parameterless method returning the field's type) for <see cref="FieldSource.Initializer"/>.
/// <see cref="OnFailure"/>: what a restart chose for the instances whose value cannot be computed;
/// <see cref="InstanceValues"/>: use-value restarts for single instances, tried before <see cref="OnFailure"/>.
/// </summary>
public sealed record FieldStep(FieldRef NewField, FieldSource Source, FieldRef? OldField, int InitializerMethodToken, Conversion Conversion,
    FailurePolicy OnFailure = FailurePolicy.Problem, int FallbackMethodToken = 0, InstanceValue[]? InstanceValues = null)
{
    internal void Write(BinaryWriter w)
    {
        NewField.Write(w); w.Write((byte)Source);
        w.Write(OldField is not null); OldField?.Write(w);
        w.Write(InitializerMethodToken); w.Write((byte)Conversion); w.Write((byte)OnFailure); w.Write(FallbackMethodToken);
        var values = InstanceValues ?? [];
        w.Write(values.Length); foreach (var v in values) v.Write(w);
    }

    internal static FieldStep Read(BinaryReader r)
    {
        var step = new FieldStep(FieldRef.Read(r), (FieldSource)r.ReadByte(), r.ReadBoolean() ? FieldRef.Read(r) : null, r.ReadInt32(), (Conversion)r.ReadByte(), (FailurePolicy)r.ReadByte(), r.ReadInt32());
        var values = new InstanceValue[r.ReadInt32()];
        for (var i = 0; i < values.Length; i++) values[i] = InstanceValue.Read(r);
        return values.Length == 0 ? step : step with { InstanceValues = values };
    }
}

/// <summary>
/// The migration of one world type (by its full name, nested types with '+') to its next shape
/// version. Instances of the type and of its subtypes are migrated. <see cref="DiscardedFields"/>:
/// old fields that left the shape; their non-default values go into each instance's discarded bag.
/// <see cref="StaticSteps"/>: retyped static fields, converted by the same rules (their
/// <see cref="FieldStep.OldField"/> and <see cref="FieldStep.NewField"/> are static fields).
/// <see cref="Hook"/>: the hook the new version declares, run on every instance after the values are written.
/// </summary>
public sealed record TypeMigration(string TypeName, int FromVersion, int ToVersion, FieldStep[] Steps, FieldRef[] DiscardedFields, FieldStep[]? StaticSteps = null,
    HookKind Hook = HookKind.None)
{
    internal void Write(BinaryWriter w)
    {
        w.Write(TypeName); w.Write(FromVersion); w.Write(ToVersion);
        w.Write(Steps.Length); foreach (var s in Steps) s.Write(w);
        w.Write(DiscardedFields.Length); foreach (var f in DiscardedFields) f.Write(w);
        var statics = StaticSteps ?? [];
        w.Write(statics.Length); foreach (var s in statics) s.Write(w);
        w.Write((byte)Hook);
    }

    internal static TypeMigration Read(BinaryReader r)
    {
        var type = r.ReadString(); var from = r.ReadInt32(); var to = r.ReadInt32();
        var steps = new FieldStep[r.ReadInt32()];
        for (var i = 0; i < steps.Length; i++) steps[i] = FieldStep.Read(r);
        var discarded = new FieldRef[r.ReadInt32()];
        for (var i = 0; i < discarded.Length; i++) discarded[i] = FieldRef.Read(r);
        var statics = new FieldStep[r.ReadInt32()];
        for (var i = 0; i < statics.Length; i++) statics[i] = FieldStep.Read(r);
        return new TypeMigration(type, from, to, steps, discarded, statics, (HookKind)r.ReadByte());
    }
}

/// <summary>
/// Pause at boundaries (new evals, Live.Every iterations), then compute and check every new value of
/// every live instance of the given types. Nothing is written. Answered by <see cref="MigrationPrepared"/>;
/// the target stays paused until <see cref="CommitMigration"/> or <see cref="AbortMigration"/>.
/// <see cref="EvalId"/>/<see cref="SessionId"/>: the eval whose redefinition this is (0 and "" for none). User code
/// the migration runs (initializers, restart values, hooks) writes its output to that eval and stops
/// at its next loop check when that eval is interrupted, until the migration is committed or aborted.
/// <see cref="Replacements"/>: world types replaced by new types (they exist once the helpers generation is
/// applied); values converted with <see cref="Conversion.Replace"/> map through them.
/// </summary>
public sealed record PrepareMigration(long RequestId, TypeMigration[] Types, long EvalId = 0, string SessionId = "", TypeReplacement[]? Replacements = null) : TargetMessage
{
    public override MessageKind Kind => MessageKind.PrepareMigration;
    internal override void WritePayload(BinaryWriter w)
    {
        w.Write(RequestId); w.Write(Types.Length); foreach (var t in Types) t.Write(w); w.Write(EvalId); w.Write(SessionId);
        var replacements = Replacements ?? [];
        w.Write(replacements.Length); foreach (var p in replacements) p.Write(w);
    }
    internal static PrepareMigration Read(BinaryReader r)
    {
        var id = r.ReadInt64();
        var types = new TypeMigration[r.ReadInt32()];
        for (var i = 0; i < types.Length; i++) types[i] = TypeMigration.Read(r);
        var evalId = r.ReadInt64(); var session = r.ReadString();
        var replacements = new TypeReplacement[r.ReadInt32()];
        for (var i = 0; i < replacements.Length; i++) replacements[i] = TypeReplacement.Read(r);
        return new PrepareMigration(id, types, evalId, session, replacements.Length == 0 ? null : replacements);
    }
}

/// <summary>
/// A value that could not be computed for some instances (tier 2 check failed, initializer threw).
/// <see cref="FirstInstanceId"/>: the target's stable id of the first failing instance (the first sample),
/// which a use-value restart names; 0 for a static field.
/// </summary>
public sealed record MigrationProblem(string TypeName, string FieldName, string Kind, int FailingInstances, string[] Samples, long FirstInstanceId = 0)
{
    internal void Write(BinaryWriter w) { w.Write(TypeName); w.Write(FieldName); w.Write(Kind); w.Write(FailingInstances); w.WriteStrings(Samples); w.Write(FirstInstanceId); }
    internal static MigrationProblem Read(BinaryReader r) => new(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadInt32(), r.ReadStrings(), r.ReadInt64());
}

/// <summary>A use-value restart's value for one instance: the static helper (self, old) computing it.</summary>
public sealed record InstanceValue(long InstanceId, int MethodToken)
{
    internal void Write(BinaryWriter w) { w.Write(InstanceId); w.Write(MethodToken); }
    internal static InstanceValue Read(BinaryReader r) => new(r.ReadInt64(), r.ReadInt32());
}

/// <summary>Answer to <see cref="PrepareMigration"/>: instance counts per type (same order) and the problems found.</summary>
public sealed record MigrationPrepared(long RequestId, int[] InstanceCounts, MigrationProblem[] Problems, string? Error) : TargetMessage, ITargetReply
{
    public override MessageKind Kind => MessageKind.MigrationPrepared;
    internal override void WritePayload(BinaryWriter w)
    {
        w.Write(RequestId); w.WriteInts(InstanceCounts);
        w.Write(Problems.Length); foreach (var p in Problems) p.Write(w);
        w.WriteNullable(Error);
    }
    internal static MigrationPrepared Read(BinaryReader r)
    {
        var id = r.ReadInt64(); var counts = r.ReadInts();
        var problems = new MigrationProblem[r.ReadInt32()];
        for (var i = 0; i < problems.Length; i++) problems[i] = MigrationProblem.Read(r);
        return new MigrationPrepared(id, counts, problems, r.ReadNullable());
    }
}

/// <summary>
/// Apply the redefinition's delta (new fields and method bodies), write the prepared values into
/// every instance, then resume paused work. Both happen on the target's control thread while evals
/// and Live.Every loops are paused; threads the user runs freely could observe a new field's default
/// in between (the lazy-trap backstop of research/migration.md §7.8 is future work). Answered by
/// <see cref="DeltaApplied"/> with the same request id.
/// <see cref="RestoreSnapshot"/>: this commit puts the previous definitions back after
/// <see cref="HookAction.Revert"/>; once its values are written, every instance gets the values it had
/// before the aborted redefinition.
/// </summary>
public sealed record CommitMigration(long RequestId, byte[] Metadata, byte[] IL, byte[] Pdb, bool RestoreSnapshot = false) : TargetMessage
{
    public override MessageKind Kind => MessageKind.CommitMigration;
    internal override void WritePayload(BinaryWriter w) { w.Write(RequestId); w.WriteBytes(Metadata); w.WriteBytes(IL); w.WriteBytes(Pdb); w.Write(RestoreSnapshot); }
    internal static CommitMigration Read(BinaryReader r) => new(r.ReadInt64(), r.ReadBytes(), r.ReadBytes(), r.ReadBytes(), r.ReadBoolean());
}

/// <summary>What to do about the instances a migration hook failed for.</summary>
public enum HookAction : byte
{
    /// <summary>Run the hook again on them (the user may have fixed it meanwhile).</summary>
    Retry = 1,
    /// <summary>Leave them with the values the implicit rules gave them (skip-instance).</summary>
    Skip = 2,
    /// <summary>
    /// abort-redefinition: keep work paused and hold the values every migrated instance had before the
    /// commit; the server then applies the previous definitions as a migration whose
    /// <see cref="CommitMigration.RestoreSnapshot"/> puts those values back.
    /// </summary>
    Revert = 3,
}

/// <summary>
/// After a commit whose <see cref="DeltaApplied.HookFailures"/> was not empty (evals and Live.Every loops
/// are still paused). Answered by <see cref="DeltaApplied"/> listing the failures left; work resumes once
/// none is left, except after <see cref="HookAction.Revert"/>, which keeps it paused for the revert's commit.
/// </summary>
public sealed record ResolveHooks(long RequestId, HookAction Action) : TargetMessage
{
    public override MessageKind Kind => MessageKind.ResolveHooks;
    internal override void WritePayload(BinaryWriter w) { w.Write(RequestId); w.Write((byte)Action); }
    internal static ResolveHooks Read(BinaryReader r) => new(r.ReadInt64(), (HookAction)r.ReadByte());
}

/// <summary>Drop the prepared values and resume paused work. Answered by <see cref="DeltaApplied"/> (no delta) with the same id.</summary>
public sealed record AbortMigration(long RequestId) : TargetMessage
{
    public override MessageKind Kind => MessageKind.AbortMigration;
    internal override void WritePayload(BinaryWriter w) => w.Write(RequestId);
    internal static AbortMigration Read(BinaryReader r) => new(r.ReadInt64());
}

/// <summary>
/// Before asking the user (or applying a condition's default), the server asks the target whether a
/// condition handler registered by world code (<c>Live.HandleConditions</c>) picks a restart.
/// Answered by <see cref="RestartChosen"/>. The handlers run like the migration's user code, for the eval
/// <see cref="EvalId"/> (output, interrupt).
/// </summary>
public sealed record ChooseRestart(long RequestId, string ConditionType, string TypeName, string FieldName, int FailingInstances, int Instances,
    string[] Samples, string[] Restarts, long EvalId = 0, string SessionId = "") : TargetMessage
{
    public override MessageKind Kind => MessageKind.ChooseRestart;
    internal override void WritePayload(BinaryWriter w)
    {
        w.Write(RequestId); w.Write(ConditionType); w.Write(TypeName); w.Write(FieldName); w.Write(FailingInstances); w.Write(Instances);
        w.WriteStrings(Samples); w.WriteStrings(Restarts); w.Write(EvalId); w.Write(SessionId);
    }
    internal static ChooseRestart Read(BinaryReader r) => new(r.ReadInt64(), r.ReadString(), r.ReadString(), r.ReadString(), r.ReadInt32(), r.ReadInt32(),
        r.ReadStrings(), r.ReadStrings(), r.ReadInt64(), r.ReadString());
}

/// <summary>A handler's answer, written as on stdin (<c>use-default</c>, <c>use-value-for-all 0</c>), or null when none handled it.</summary>
public sealed record RestartChosen(long RequestId, string? Answer, string? HandlerError) : TargetMessage, ITargetReply
{
    public override MessageKind Kind => MessageKind.RestartChosen;
    internal override void WritePayload(BinaryWriter w) { w.Write(RequestId); w.WriteNullable(Answer); w.WriteNullable(HandlerError); }
    internal static RestartChosen Read(BinaryReader r) => new(r.ReadInt64(), r.ReadNullable(), r.ReadNullable());
}
