using Microsoft.Extensions.Logging;
using NRepl.Runtime.Contract;

namespace NRepl.Server.Target;

/// <summary>
/// Launches the target process, talks to it over a private Unix socket, and notices when it dies.
/// Every pending request and eval completes when the target dies (with <see cref="TargetDiedException"/>),
/// and <see cref="Exited"/> is raised so the server can restart it and replay the world.
/// </summary>
public sealed class TargetSupervisor : IAsyncDisposable
{
    private readonly TargetOptions _options;
    private readonly ITargetOutputSink _sink;
    private readonly ILogger<TargetSupervisor> _logger;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private TargetProcess? _current;
    private long _nextRequestId;
    private bool _disposed;

    /// <summary>Creates a supervisor; nothing is launched before <see cref="StartAsync"/>.</summary>
    public TargetSupervisor(TargetOptions options, ITargetOutputSink sink, ILogger<TargetSupervisor> logger)
    {
        _options = options;
        _sink = sink;
        _logger = logger;
    }

    /// <summary>
    /// Raised once per unexpected death of the current target (not for <see cref="RestartAsync"/> or
    /// <see cref="DisposeAsync"/>), after its pending requests and evals have failed. Raised on a pool thread.
    /// </summary>
    public event Action<TargetExit>? Exited;

    /// <summary>
    /// Raised at each heartbeat while the current target has left a ping unanswered for longer than
    /// <see cref="TargetOptions.UnresponsiveAfter"/>, with how long; on a pool thread.
    /// </summary>
    public event Action<TimeSpan>? Unresponsive;

    /// <summary>Raised once when the current target answers again after <see cref="Unresponsive"/>.</summary>
    public event Action? Responsive;

    /// <summary>True while a target process is connected and not known to be dying.</summary>
    public bool IsRunning => Volatile.Read(ref _current) is { IsAlive: true };

    /// <summary>The current target's process id, or null when none is running.</summary>
    public int? ProcessId => Volatile.Read(ref _current) is { IsAlive: true } current ? current.ProcessId : null;

    /// <summary>The current target's Hello (runtime version etc.), or null.</summary>
    public Hello? TargetInfo => Volatile.Read(ref _current)?.Hello;

    /// <summary>
    /// Launches <c>dotnet &lt;RuntimePath&gt; --ipc &lt;socket&gt;</c> with DOTNET_MODIFIABLE_ASSEMBLIES=debug and waits
    /// for its Hello. Throws if a target is already running, if it does not connect within
    /// <see cref="TargetOptions.StartTimeout"/> (<see cref="TimeoutException"/>), if it dies first
    /// (<see cref="TargetDiedException"/>), or if its contract version or hot-reload support is wrong.
    /// </summary>
    public async Task StartAsync(CancellationToken ct)
    {
        await _lifecycle.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (IsRunning) throw new InvalidOperationException("The target is already running; use RestartAsync.");
            await LaunchLockedAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Kills the current target (its whole process tree) if it is alive and starts a new one. The world must be loaded again.</summary>
    public async Task RestartAsync(CancellationToken ct)
    {
        await _lifecycle.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (Volatile.Read(ref _current) is { } old)
            {
                await old.StopAsync("restarted by the server", graceful: false, TimeSpan.Zero).ConfigureAwait(false);
            }
            await LaunchLockedAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Loads the world assembly (gen 0). Throws <see cref="TargetUpdateException"/> when the target refuses it.</summary>
    public async Task LoadWorldAsync(byte[] pe, byte[] pdb, CancellationToken ct)
    {
        var id = Interlocked.Increment(ref _nextRequestId);
        var reply = (WorldLoaded)await Current().RequestAsync(id, new LoadWorld(id, pe, pdb), ct).ConfigureAwait(false);
        if (reply.Error is not null) throw new TargetUpdateException(reply.Error);
    }

    /// <summary>
    /// Applies an EnC delta and runs the given static initializers. Throws <see cref="TargetUpdateException"/>
    /// when the runtime refuses the delta; initializer failures are returned in <see cref="DeltaApplied.InitializerErrors"/>.
    /// Canceling <paramref name="ct"/> stops waiting only: the target may still apply the delta.
    /// </summary>
    public async Task<DeltaApplied> ApplyDeltaAsync(byte[] metadata, byte[] il, byte[] pdb, int[] initializerTokens, CancellationToken ct)
    {
        var id = Interlocked.Increment(ref _nextRequestId);
        var reply = (DeltaApplied)await Current().RequestAsync(id, new ApplyDelta(id, metadata, il, pdb, initializerTokens), ct).ConfigureAwait(false);
        if (reply.Error is not null) throw new TargetUpdateException(reply.Error);
        return reply;
    }

    /// <summary>
    /// Asks the target to prepare a live type migration: it pauses new evals and <c>Live.Every</c>
    /// iterations at their boundaries, then computes and checks every new field value of every live
    /// instance, writing nothing. Check <see cref="MigrationPrepared.Error"/> (the plan does not fit the world;
    /// nothing stays prepared) and <see cref="MigrationPrepared.Problems"/> (values that failed; commit is then
    /// refused). After a reply without Error the target stays paused until <see cref="CommitMigrationAsync"/> or
    /// <see cref="AbortMigrationAsync"/>. Throws <see cref="TargetDiedException"/> if the target dies first.
    /// Canceling <paramref name="ct"/> stops waiting only: the target may still prepare and pause, so abort afterwards.
    /// </summary>
    public async Task<MigrationPrepared> PrepareMigrationAsync(TypeMigration[] types, long evalId, string sessionId, CancellationToken ct, TypeReplacement[]? replacements = null)
    {
        var id = Interlocked.Increment(ref _nextRequestId);
        return (MigrationPrepared)await Current().RequestAsync(id,
            new PrepareMigration(id, types, evalId, sessionId, replacements is { Length: > 0 } ? replacements : null), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Commits the prepared migration: the target writes the values into every instance, applies the
    /// method-body delta (empty arrays: none), and resumes paused work. Throws <see cref="TargetUpdateException"/>
    /// when the target refuses (nothing prepared, the prepare had problems, or the runtime refused the delta).
    /// Canceling <paramref name="ct"/> stops waiting only.
    /// </summary>
    public async Task<DeltaApplied> CommitMigrationAsync(byte[] metadata, byte[] il, byte[] pdb, CancellationToken ct, bool restoreSnapshot = false)
    {
        var id = Interlocked.Increment(ref _nextRequestId);
        var reply = (DeltaApplied)await Current().RequestAsync(id, new CommitMigration(id, metadata, il, pdb, restoreSnapshot), ct).ConfigureAwait(false);
        if (reply.Error is not null) throw new TargetUpdateException(reply.Error);
        return reply;
    }

    /// <summary>Asks the condition handlers registered by world code which restart they pick (null: none did).</summary>
    public async Task<RestartChosen> ChooseRestartAsync(string conditionType, string typeName, string fieldName, int failing, int instances,
        string[] samples, string[] restarts, long evalId, string sessionId, CancellationToken ct)
    {
        var id = Interlocked.Increment(ref _nextRequestId);
        return (RestartChosen)await Current().RequestAsync(id,
            new ChooseRestart(id, conditionType, typeName, fieldName, failing, instances, samples, restarts, evalId, sessionId), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// After a commit that reported hook failures: runs the failed hooks again, lets those instances keep
    /// their implicit values, or (Revert) keeps work paused while the previous definitions are put back.
    /// The reply lists the failures left; the target resumes paused work once there are none.
    /// </summary>
    public async Task<DeltaApplied> ResolveHooksAsync(HookAction action, CancellationToken ct)
    {
        var id = Interlocked.Increment(ref _nextRequestId);
        var reply = (DeltaApplied)await Current().RequestAsync(id, new ResolveHooks(id, action), ct).ConfigureAwait(false);
        if (reply.Error is not null) throw new TargetUpdateException(reply.Error);
        return reply;
    }

    /// <summary>Drops the prepared migration (no instance was changed) and resumes paused work. Harmless when nothing is prepared.</summary>
    public async Task AbortMigrationAsync(CancellationToken ct)
    {
        var id = Interlocked.Increment(ref _nextRequestId);
        await Current().RequestAsync(id, new AbortMigration(id), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs an eval and returns its completion. All of its Output and NeedInput received before the
    /// completion have been handed to the sink when this returns. Canceling <paramref name="ct"/> interrupts
    /// the eval; the result is then Interrupted (or InterruptedThreadAbandoned). Throws
    /// <see cref="TargetDiedException"/> if the target dies first.
    /// </summary>
    public Task<EvalCompleted> RunEvalAsync(StartEval start, CancellationToken ct) => Current().RunEvalAsync(start, ct);

    /// <summary>Interrupts a running eval (no-op when it is not running or no target is).</summary>
    public void Interrupt(long evalId) => Volatile.Read(ref _current)?.Post(new Interrupt(evalId));

    /// <summary>Feeds a session's stdin; <paramref name="eof"/> ends it.</summary>
    public void SendStdin(string sessionId, string text, bool eof) => Volatile.Read(ref _current)?.Post(new Stdin(sessionId, text, eof));

    /// <summary>Makes the target drop a closed session's values and input.</summary>
    public void ForgetSession(string sessionId) => Volatile.Read(ref _current)?.Post(new ForgetSession(sessionId));

    /// <summary>Asks the target to shut down, waits up to <see cref="TargetOptions.ShutdownTimeout"/>, then kills it.</summary>
    public async ValueTask DisposeAsync()
    {
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed) return;
            _disposed = true;
            if (Volatile.Read(ref _current) is { } current)
            {
                await current.StopAsync("the server shut the target down", graceful: true, _options.ShutdownTimeout).ConfigureAwait(false);
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// Kills the current target as a crash with <paramref name="reason"/>: waiting evals fail with it and
    /// <see cref="Exited"/> is raised, so the world is replayed into a new target as after any death.
    /// </summary>
    public async Task KillAsync(string reason)
    {
        if (Volatile.Read(ref _current) is { IsAlive: true } current) await current.KillAsync(reason).ConfigureAwait(false);
    }

    private async Task LaunchLockedAsync(CancellationToken ct)
    {
        var process = await TargetProcess.StartAsync(_options, _sink, _logger, OnDied, ct).ConfigureAwait(false);
        Volatile.Write(ref _current, process);
        process.Begin(_options.UnresponsiveAfter > TimeSpan.Zero
            ? new TargetHeartbeat(_options.HeartbeatInterval, _options.UnresponsiveAfter, process.Post,
                silence => OnUnresponsive(process, silence), () => OnResponsive(process))
            : null);
    }

    private void OnUnresponsive(TargetProcess process, TimeSpan silence)
    {
        if (!ReferenceEquals(Volatile.Read(ref _current), process)) return;
        _logger.LogWarning("Target {Pid} has not answered a ping for {Seconds:0} s.", process.ProcessId, silence.TotalSeconds);
        Raise(nameof(Unresponsive), () => Unresponsive?.Invoke(silence));
    }

    private void OnResponsive(TargetProcess process)
    {
        if (!ReferenceEquals(Volatile.Read(ref _current), process)) return;
        _logger.LogInformation("Target {Pid} answers again.", process.ProcessId);
        Raise(nameof(Responsive), () => Responsive?.Invoke());
    }

    /// <summary>Runs an event's handlers; one that throws is logged, never let into the supervisor's own work.</summary>
    private void Raise(string eventName, Action raise)
    {
        try
        {
            raise();
        }
        catch (Exception e)
        {
            _logger.LogError(e, "A handler of TargetSupervisor.{Event} threw.", eventName);
        }
    }

    private TargetProcess Current()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Volatile.Read(ref _current) ?? throw new InvalidOperationException("The target has not been started.");
    }

    private void OnDied(TargetProcess process, TargetExit exit, bool onPurpose)
    {
        if (onPurpose || !ReferenceEquals(Volatile.Read(ref _current), process)) return;
        Raise(nameof(Exited), () => Exited?.Invoke(exit));
    }
}
