using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NRepl.Runtime.Contract;
using NRepl.Server.Target;

namespace NRepl.Runtime.Tests.Support;

/// <summary>A real target process behind a supervisor, with a world loaded from <paramref name="source"/>.</summary>
internal sealed class TargetHarness : IAsyncDisposable
{
    /// <summary>Upper bound for anything a test waits on; generous because CI machines are slow and noisy.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private long _nextEvalId;

    private TargetHarness(EncWorld world, TargetSupervisor supervisor, RecordingSink sink)
    {
        World = world;
        Supervisor = supervisor;
        Sink = sink;
    }

    public EncWorld World { get; }

    public TargetSupervisor Supervisor { get; }

    public RecordingSink Sink { get; }

    public string Session { get; } = "s1";

    public static async Task<TargetHarness> StartAsync(string source, TargetOptions? options = null)
    {
        var world = EncWorld.Create(source);
        var sink = new RecordingSink();
        var supervisor = new TargetSupervisor(options ?? new TargetOptions(), sink, NullLogger<TargetSupervisor>.Instance);
        using var timeout = new CancellationTokenSource(Deadline);
        await supervisor.StartAsync(timeout.Token);
        await supervisor.LoadWorldAsync(world.Pe, world.Pdb, timeout.Token);
        return new TargetHarness(world, supervisor, sink);
    }

    public long NextEvalId() => Interlocked.Increment(ref _nextEvalId);

    /// <summary>Runs the world method <paramref name="method"/> (of __Defs) as an eval.</summary>
    public Task<EvalCompleted> EvalAsync(string method, CancellationToken ct = default, bool record = true, PrintSettings? print = null, long? evalId = null) =>
        EvalTokenAsync(World.MethodToken(method), ct, record, print, evalId);

    public async Task<EvalCompleted> EvalTokenAsync(int token, CancellationToken ct = default, bool record = true, PrintSettings? print = null, long? evalId = null)
    {
        var start = new StartEval(evalId ?? NextEvalId(), Session, token, record, print ?? PrintSettings.Default);
        return await Supervisor.RunEvalAsync(start, ct).WaitAsync(Deadline);
    }

    public async Task<DeltaApplied> ApplyAsync(Delta delta, params int[] initializers)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        return await Supervisor.ApplyDeltaAsync(delta.Metadata, delta.IL, delta.Pdb, initializers, timeout.Token);
    }

    public async Task<MigrationPrepared> PrepareAsync(params TypeMigration[] types)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        return await Supervisor.PrepareMigrationAsync(types, 0, "", timeout.Token);
    }

    /// <summary>Commits the prepared migration with <paramref name="delta"/> (null: no method changes).</summary>
    public async Task<DeltaApplied> CommitAsync(Delta? delta)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        return await Supervisor.CommitMigrationAsync(delta?.Metadata ?? [], delta?.IL ?? [], delta?.Pdb ?? [], timeout.Token);
    }

    public async Task AbortAsync()
    {
        using var timeout = new CancellationTokenSource(Deadline);
        await Supervisor.AbortMigrationAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync() => await Supervisor.DisposeAsync();
}
