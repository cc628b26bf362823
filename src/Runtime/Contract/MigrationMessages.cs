namespace NRepl.Runtime.Contract;

// Messages of a live type migration (issue 3). The server applies a first delta that only adds
// the new fields and initializer helpers (no existing method changes), then asks the target to
// prepare the migration: compute and check every new value of every live instance while old code
// still runs unchanged. Commit writes the values and applies the second delta (the method bodies)
// in one step; abort drops the computed values, so nothing user-visible changed.

/// <summary>Where a new instance field's value comes from.</summary>
public enum FieldSource : byte
{
    /// <summary>From an old field of the same instance (same name, [RenamedFrom], or an inferred rename), converted.</summary>
    OldField = 1,
    /// <summary>Call the static, parameterless initializer helper once per instance.</summary>
    Initializer = 2,
    /// <summary>default(T).</summary>
    Default = 3,
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
}

/// <summary>One new instance field and how to fill it on every live instance.</summary>
public sealed record FieldStep(int NewFieldToken, FieldSource Source, int OldFieldToken, int InitializerMethodToken, Conversion Conversion)
{
    internal void Write(BinaryWriter w) { w.Write(NewFieldToken); w.Write((byte)Source); w.Write(OldFieldToken); w.Write(InitializerMethodToken); w.Write((byte)Conversion); }
    internal static FieldStep Read(BinaryReader r) => new(r.ReadInt32(), (FieldSource)r.ReadByte(), r.ReadInt32(), r.ReadInt32(), (Conversion)r.ReadByte());
}

/// <summary>
/// The migration of one world type to its next shape version. Instances of the type and of its
/// subtypes are migrated. <see cref="DiscardedFieldTokens"/>: old fields that left the shape; their
/// non-default values go into each instance's discarded bag.
/// </summary>
public sealed record TypeMigration(int TypeToken, int FromVersion, int ToVersion, FieldStep[] Steps, int[] DiscardedFieldTokens)
{
    internal void Write(BinaryWriter w)
    {
        w.Write(TypeToken); w.Write(FromVersion); w.Write(ToVersion);
        w.Write(Steps.Length); foreach (var s in Steps) s.Write(w);
        w.WriteInts(DiscardedFieldTokens);
    }

    internal static TypeMigration Read(BinaryReader r)
    {
        var type = r.ReadInt32(); var from = r.ReadInt32(); var to = r.ReadInt32();
        var steps = new FieldStep[r.ReadInt32()];
        for (var i = 0; i < steps.Length; i++) steps[i] = FieldStep.Read(r);
        return new TypeMigration(type, from, to, steps, r.ReadInts());
    }
}

/// <summary>
/// Pause at boundaries (new evals, Live.Every iterations), then compute and check every new value of
/// every live instance of the given types. Nothing is written. Answered by <see cref="MigrationPrepared"/>;
/// the target stays paused until <see cref="CommitMigration"/> or <see cref="AbortMigration"/>.
/// </summary>
public sealed record PrepareMigration(long RequestId, TypeMigration[] Types) : TargetMessage
{
    public override MessageKind Kind => MessageKind.PrepareMigration;
    internal override void WritePayload(BinaryWriter w) { w.Write(RequestId); w.Write(Types.Length); foreach (var t in Types) t.Write(w); }
    internal static PrepareMigration Read(BinaryReader r)
    {
        var id = r.ReadInt64();
        var types = new TypeMigration[r.ReadInt32()];
        for (var i = 0; i < types.Length; i++) types[i] = TypeMigration.Read(r);
        return new PrepareMigration(id, types);
    }
}

/// <summary>A value that could not be computed for some instances (tier 2 check failed, initializer threw).</summary>
public sealed record MigrationProblem(int TypeToken, int NewFieldToken, string FieldName, string Kind, int FailingInstances, string[] Samples)
{
    internal void Write(BinaryWriter w) { w.Write(TypeToken); w.Write(NewFieldToken); w.Write(FieldName); w.Write(Kind); w.Write(FailingInstances); w.WriteStrings(Samples); }
    internal static MigrationProblem Read(BinaryReader r) => new(r.ReadInt32(), r.ReadInt32(), r.ReadString(), r.ReadString(), r.ReadInt32(), r.ReadStrings());
}

/// <summary>Answer to <see cref="PrepareMigration"/>: instance counts per type (same order) and the problems found.</summary>
public sealed record MigrationPrepared(long RequestId, int[] InstanceCounts, MigrationProblem[] Problems, string? Error) : TargetMessage
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
/// Write the prepared values into every instance, then apply the method-body delta (may be empty:
/// zero-length arrays), then resume paused work. Answered by <see cref="DeltaApplied"/> with the same request id.
/// </summary>
public sealed record CommitMigration(long RequestId, byte[] Metadata, byte[] IL, byte[] Pdb) : TargetMessage
{
    public override MessageKind Kind => MessageKind.CommitMigration;
    internal override void WritePayload(BinaryWriter w) { w.Write(RequestId); w.WriteBytes(Metadata); w.WriteBytes(IL); w.WriteBytes(Pdb); }
    internal static CommitMigration Read(BinaryReader r) => new(r.ReadInt64(), r.ReadBytes(), r.ReadBytes(), r.ReadBytes());
}

/// <summary>Drop the prepared values and resume paused work. Answered by <see cref="DeltaApplied"/> (no delta) with the same id.</summary>
public sealed record AbortMigration(long RequestId) : TargetMessage
{
    public override MessageKind Kind => MessageKind.AbortMigration;
    internal override void WritePayload(BinaryWriter w) => w.Write(RequestId);
    internal static AbortMigration Read(BinaryReader r) => new(r.ReadInt64());
}
