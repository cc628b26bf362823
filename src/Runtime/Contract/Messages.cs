namespace NRepl.Runtime.Contract;

/// <summary>A message of the server/target contract. Each kind knows how to write its payload.</summary>
public abstract record TargetMessage
{
    public abstract MessageKind Kind { get; }

    internal abstract void WritePayload(BinaryWriter writer);
}

/// <summary>A target → server message that answers the request with the same id.</summary>
public interface ITargetReply
{
    long RequestId { get; }
}

// ---- server -> target -------------------------------------------------------------------

/// <summary>Load a full world assembly (gen 0, or a replay after a crash). Answered by <see cref="WorldLoaded"/>.</summary>
public sealed record LoadWorld(long RequestId, byte[] Pe, byte[] Pdb) : TargetMessage
{
    public override MessageKind Kind => MessageKind.LoadWorld;
    internal override void WritePayload(BinaryWriter w) { w.Write(RequestId); w.WriteBytes(Pe); w.WriteBytes(Pdb); }
    internal static LoadWorld Read(BinaryReader r) => new(r.ReadInt64(), r.ReadBytes(), r.ReadBytes());
}

/// <summary>
/// Apply an EnC delta to the loaded world, then invoke the given static initializer methods
/// (EnC never runs initializers of added static fields by itself). Answered by <see cref="DeltaApplied"/>.
/// </summary>
public sealed record ApplyDelta(long RequestId, byte[] Metadata, byte[] IL, byte[] Pdb, int[] InitializerMethodTokens) : TargetMessage
{
    public override MessageKind Kind => MessageKind.ApplyDelta;
    internal override void WritePayload(BinaryWriter w)
    {
        w.Write(RequestId); w.WriteBytes(Metadata); w.WriteBytes(IL); w.WriteBytes(Pdb); w.WriteInts(InitializerMethodTokens);
    }
    internal static ApplyDelta Read(BinaryReader r) => new(r.ReadInt64(), r.ReadBytes(), r.ReadBytes(), r.ReadBytes(), r.ReadInts());
}

/// <summary>How results are rendered. Zero means "no limit" for every field.</summary>
public sealed record PrintSettings(int RightMargin, int MaxItems, int MaxDepth, int Quota)
{
    public static PrintSettings Default { get; } = new(0, 0, 0, 0);

    internal void Write(BinaryWriter w) { w.Write(RightMargin); w.Write(MaxItems); w.Write(MaxDepth); w.Write(Quota); }
    internal static PrintSettings Read(BinaryReader r) => new(r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32());
}

/// <summary>
/// Run the static, parameterless world method with this metadata token on a fresh eval thread.
/// It returns <c>object</c> (or <c>Task&lt;object&gt;</c>); <see cref="NRepl.Runtime.Repl.NoValue"/> means "no value".
/// Answered by any number of <see cref="Output"/>/<see cref="NeedInput"/>, then exactly one <see cref="EvalCompleted"/>.
/// </summary>
public sealed record StartEval(long EvalId, string SessionId, int MethodToken, bool RecordResult, PrintSettings Print, DetachedCode? Detached = null) : TargetMessage
{
    public override MessageKind Kind => MessageKind.StartEval;
    internal override void WritePayload(BinaryWriter w)
    {
        w.Write(EvalId); w.Write(SessionId); w.Write(MethodToken); w.Write(RecordResult); Print.Write(w);
        w.Write(Detached is not null);
        if (Detached is { } detached) { w.WriteBytes(detached.Pe); w.WriteBytes(detached.Pdb); w.Write(detached.TypeName); w.Write(detached.MethodName); w.Write(detached.Location); }
    }
    internal static StartEval Read(BinaryReader r) => new(r.ReadInt64(), r.ReadString(), r.ReadInt32(), r.ReadBoolean(), PrintSettings.Read(r),
        r.ReadBoolean() ? new DetachedCode(r.ReadBytes(), r.ReadBytes(), r.ReadString(), r.ReadString(), r.ReadString()) : null);
}

/// <summary>
/// The code of an eval that defines nothing and touches no field of the world, compiled as an assembly of its
/// own that references the world: loaded into a collectible context, so it goes once unused.
/// <see cref="StartEval.MethodToken"/> is then unused; the method is <see cref="TypeName"/>.<see cref="MethodName"/>.
/// <see cref="Pdb"/> may be empty; then <see cref="Location"/> ("file:line", or empty) is where all its code is.
/// </summary>
public sealed record DetachedCode(byte[] Pe, byte[] Pdb, string TypeName, string MethodName, string Location);

/// <summary>Interrupt a running eval. The eval answers with <see cref="EvalCompleted"/> status Interrupted.</summary>
public sealed record Interrupt(long EvalId) : TargetMessage
{
    public override MessageKind Kind => MessageKind.Interrupt;
    internal override void WritePayload(BinaryWriter w) => w.Write(EvalId);
    internal static Interrupt Read(BinaryReader r) => new(r.ReadInt64());
}

/// <summary>Text for a session's standard input; <see cref="Eof"/> ends the input.</summary>
public sealed record Stdin(string SessionId, string Text, bool Eof) : TargetMessage
{
    public override MessageKind Kind => MessageKind.Stdin;
    internal override void WritePayload(BinaryWriter w) { w.Write(SessionId); w.Write(Text); w.Write(Eof); }
    internal static Stdin Read(BinaryReader r) => new(r.ReadString(), r.ReadString(), r.ReadBoolean());
}

/// <summary>A session was closed: drop its last values, last exception and pending input.</summary>
public sealed record ForgetSession(string SessionId) : TargetMessage
{
    public override MessageKind Kind => MessageKind.ForgetSession;
    internal override void WritePayload(BinaryWriter w) => w.Write(SessionId);
    internal static ForgetSession Read(BinaryReader r) => new(r.ReadString());
}

/// <summary>Exit the target process cleanly.</summary>
public sealed record Shutdown : TargetMessage
{
    public override MessageKind Kind => MessageKind.Shutdown;
    internal override void WritePayload(BinaryWriter w) { }
}

/// <summary>
/// The server's heartbeat: the target's control loop answers with <see cref="Pong"/> as soon as it reads it,
/// so a ping left unanswered means the loop (or the whole process) is stuck.
/// </summary>
public sealed record Ping(long Sequence) : TargetMessage
{
    public override MessageKind Kind => MessageKind.Ping;
    internal override void WritePayload(BinaryWriter w) => w.Write(Sequence);
    internal static Ping Read(BinaryReader r) => new(r.ReadInt64());
}

// ---- target -> server -------------------------------------------------------------------

/// <summary>The answer to <see cref="Ping"/> with the same sequence number.</summary>
public sealed record Pong(long Sequence) : TargetMessage
{
    public override MessageKind Kind => MessageKind.Pong;
    internal override void WritePayload(BinaryWriter w) => w.Write(Sequence);
    internal static Pong Read(BinaryReader r) => new(r.ReadInt64());
}

/// <summary>First message from the target after it connects.</summary>
public sealed record Hello(int ContractVersion, int ProcessId, string RuntimeVersion, bool HotReloadSupported) : TargetMessage
{
    public override MessageKind Kind => MessageKind.Hello;
    internal override void WritePayload(BinaryWriter w) { w.Write(ContractVersion); w.Write(ProcessId); w.Write(RuntimeVersion); w.Write(HotReloadSupported); }
    internal static Hello Read(BinaryReader r) => new(r.ReadInt32(), r.ReadInt32(), r.ReadString(), r.ReadBoolean());
}

/// <summary>Answer to <see cref="LoadWorld"/>; <see cref="Error"/> is null on success.</summary>
public sealed record WorldLoaded(long RequestId, string? Error) : TargetMessage, ITargetReply
{
    public override MessageKind Kind => MessageKind.WorldLoaded;
    internal override void WritePayload(BinaryWriter w) { w.Write(RequestId); w.WriteNullable(Error); }
    internal static WorldLoaded Read(BinaryReader r) => new(r.ReadInt64(), r.ReadNullable());
}

/// <summary>
/// Answer to <see cref="ApplyDelta"/>. <see cref="Error"/> is null when the runtime accepted the delta;
/// <see cref="InitializerErrors"/> lists initializers that threw (the delta itself still stands).
/// <see cref="HookFailures"/> (migration commits): instances whose migration hook threw; they hold what the
/// implicit rules gave them, and paused work stays paused until <see cref="ResolveHooks"/> leaves none.
/// </summary>
public sealed record DeltaApplied(long RequestId, string? Error, string[] InitializerErrors, MigrationProblem[]? HookFailures = null) : TargetMessage, ITargetReply
{
    public override MessageKind Kind => MessageKind.DeltaApplied;
    internal override void WritePayload(BinaryWriter w)
    {
        w.Write(RequestId); w.WriteNullable(Error); w.WriteStrings(InitializerErrors);
        var failures = HookFailures ?? [];
        w.Write(failures.Length); foreach (var f in failures) f.Write(w);
    }
    internal static DeltaApplied Read(BinaryReader r)
    {
        var id = r.ReadInt64(); var error = r.ReadNullable(); var initializerErrors = r.ReadStrings();
        var failures = new MigrationProblem[r.ReadInt32()];
        for (var i = 0; i < failures.Length; i++) failures[i] = MigrationProblem.Read(r);
        return new DeltaApplied(id, error, initializerErrors, failures.Length == 0 ? null : failures);
    }
}

public enum OutputStream : byte { Out = 1, Err = 2 }

/// <summary>
/// Console output. <see cref="EvalId"/>/<see cref="SessionId"/> name the eval whose execution context
/// wrote it (background threads and timers it started included); 0 and "" when no eval started it.
/// Text never ends inside a surrogate pair.
/// </summary>
public sealed record Output(long EvalId, string SessionId, OutputStream Stream, string Text) : TargetMessage
{
    public override MessageKind Kind => MessageKind.Output;
    internal override void WritePayload(BinaryWriter w) { w.Write(EvalId); w.Write(SessionId); w.Write((byte)Stream); w.Write(Text); }
    internal static Output Read(BinaryReader r) => new(r.ReadInt64(), r.ReadString(), (OutputStream)r.ReadByte(), r.ReadString());
}

/// <summary>An eval (or a thread it started) is blocked reading stdin and the session's input is empty.</summary>
public sealed record NeedInput(long EvalId, string SessionId) : TargetMessage
{
    public override MessageKind Kind => MessageKind.NeedInput;
    internal override void WritePayload(BinaryWriter w) { w.Write(EvalId); w.Write(SessionId); }
    internal static NeedInput Read(BinaryReader r) => new(r.ReadInt64(), r.ReadString());
}

public enum EvalStatus : byte
{
    /// <summary><see cref="EvalCompleted.Value"/> holds the printed result.</summary>
    Value = 1,
    /// <summary>The eval ended without a value (statements only, or a void expression).</summary>
    NoValue = 2,
    /// <summary>User code threw; the exception fields are set.</summary>
    Exception = 3,
    /// <summary>Stopped by <see cref="Interrupt"/>.</summary>
    Interrupted = 4,
    /// <summary>The eval did not stop within the grace period; its thread was abandoned and may still run.</summary>
    InterruptedThreadAbandoned = 5,
}

/// <summary>
/// The single terminal message of an eval. For exceptions, <see cref="ErrorText"/> is the
/// user-facing report: "Type: message" and the world frames of the stack (server frames hidden).
/// </summary>
public sealed record EvalCompleted(
    long EvalId,
    EvalStatus Status,
    string? Value,
    string? ValueType,
    bool Truncated,
    string? ExceptionType,
    string? RootExceptionType,
    string? ErrorText) : TargetMessage
{
    public override MessageKind Kind => MessageKind.EvalCompleted;
    internal override void WritePayload(BinaryWriter w)
    {
        w.Write(EvalId); w.Write((byte)Status); w.WriteNullable(Value); w.WriteNullable(ValueType); w.Write(Truncated);
        w.WriteNullable(ExceptionType); w.WriteNullable(RootExceptionType); w.WriteNullable(ErrorText);
    }
    internal static EvalCompleted Read(BinaryReader r) => new(
        r.ReadInt64(), (EvalStatus)r.ReadByte(), r.ReadNullable(), r.ReadNullable(), r.ReadBoolean(),
        r.ReadNullable(), r.ReadNullable(), r.ReadNullable());
}

public enum LogSeverity : byte { Debug = 1, Info = 2, Warning = 3, Error = 4 }

/// <summary>The target's own diagnostics (never user output); the server writes them to its log.</summary>
public sealed record Log(LogSeverity Severity, string Message) : TargetMessage
{
    public override MessageKind Kind => MessageKind.Log;
    internal override void WritePayload(BinaryWriter w) { w.Write((byte)Severity); w.Write(Message); }
    internal static Log Read(BinaryReader r) => new((LogSeverity)r.ReadByte(), r.ReadString());
}
