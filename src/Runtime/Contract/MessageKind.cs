namespace NRepl.Runtime.Contract;

/// <summary>The first byte of every frame's payload; says which message follows.</summary>
public enum MessageKind : byte
{
    // server -> target
    LoadWorld = 1,
    ApplyDelta = 2,
    StartEval = 3,
    Interrupt = 4,
    Stdin = 5,
    ForgetSession = 6,
    Shutdown = 7,
    PrepareMigration = 8,
    CommitMigration = 9,
    AbortMigration = 10,
    ChooseRestart = 11,
    ResolveHooks = 12,
    Ping = 13,

    // target -> server
    Hello = 64,
    WorldLoaded = 65,
    DeltaApplied = 66,
    Output = 67,
    NeedInput = 68,
    EvalCompleted = 69,
    Log = 70,
    MigrationPrepared = 71,
    RestartChosen = 72,
    Pong = 73,
}
