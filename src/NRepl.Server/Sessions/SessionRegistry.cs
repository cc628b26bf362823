using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using NRepl.Server.Connections;
using NRepl.Server.Logging;

namespace NRepl.Server.Sessions;

/// <summary>
/// Every session of the server. Persistent sessions (made by <c>clone</c>) live until <c>close</c> or
/// shutdown, whichever connection uses them; ephemeral ones live for one session-less request.
/// </summary>
internal sealed class SessionRegistry
{
    /// <summary>The namespace of a new session, as every nREPL client expects.</summary>
    public const string DefaultNs = "user";

    private readonly ConcurrentDictionary<string, Session> _persistent = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Session> _ephemeral = new(StringComparer.Ordinal);
    private readonly EvaluatorAccessor _evaluator;
    private readonly ILogger<SessionRegistry> _logger;
    private long _sequence;

    // 1 once CloseAllAsync began (shutdown). Connections are still read until the server closes them, so a
    // clone or session-less request can still make a session: it is closed at once (its evals are answered
    // interrupted) instead of starting evals nobody interrupts, on an evaluator about to be disposed, whose
    // done would be lost when the connection closes.
    private int _closedAll;

    public SessionRegistry(EvaluatorAccessor evaluator, ILogger<SessionRegistry> logger)
    {
        _evaluator = evaluator;
        _logger = logger;
    }

    /// <summary>True once shutdown began closing every session.</summary>
    public bool IsShuttingDown => Volatile.Read(ref _closedAll) == 1;

    /// <summary>Persistent sessions, oldest first.</summary>
    public IReadOnlyList<Session> Sessions => _persistent.Values.OrderBy(s => s.Sequence).ToArray();

    /// <summary>Makes a persistent session, copying <paramref name="source"/>'s namespace when given.</summary>
    public Session Clone(Session? source, string? clientName)
    {
        var session = new Session(NewId(), source?.Ns ?? DefaultNs, isEphemeral: false, Interlocked.Increment(ref _sequence));
        _persistent[session.Id] = session;
        CloseIfShutDown(session);
        ServerLog.SessionCreated(_logger, session.Id, clientName ?? "", source?.Id ?? "");
        return session;
    }

    /// <summary>Makes the session of one session-less request; release it with <see cref="ReleaseEphemeralAsync"/>.</summary>
    public Session CreateEphemeral()
    {
        var session = new Session(NewId(), DefaultNs, isEphemeral: true, Interlocked.Increment(ref _sequence));
        _ephemeral[session.Id] = session;
        CloseIfShutDown(session);
        return session;
    }

    /// <summary>Looks up a session a client named. Ephemeral sessions are not addressable, as in nREPL.</summary>
    public bool TryGet(string id, [NotNullWhen(true)] out Session? session) => _persistent.TryGetValue(id, out session);

    /// <summary>Any live session, ephemeral included: output of a running eval must reach its client.</summary>
    public Session? FindForOutput(string id) =>
        _persistent.TryGetValue(id, out var session) || _ephemeral.TryGetValue(id, out session) ? session : null;

    /// <summary>
    /// Removes the session, answers its queued evals as interrupted and interrupts the running one.
    /// The evaluator forgets the session once the running eval has ended (see <see cref="Session.Stopped"/>).
    /// False for an unknown id.
    /// </summary>
    public async Task<bool> CloseAsync(string id)
    {
        if (!_persistent.TryRemove(id, out var session))
        {
            return false;
        }

        await StopAsync(session).ConfigureAwait(false);
        ServerLog.SessionClosed(_logger, id);
        return true;
    }

    /// <summary>Ends an ephemeral session after its request was answered.</summary>
    public Task ReleaseEphemeralAsync(Session session)
    {
        _ephemeral.TryRemove(session.Id, out _);
        return StopAsync(session);
    }

    /// <summary>
    /// After connection <paramref name="ended"/> is gone: closes the sessions that no open connection made or
    /// last used (their running evals are interrupted, queued ones cancelled, their state in the target
    /// dropped), and stops the session-less evals it sent. Nobody is left to read their replies, and a
    /// forgotten endless loop would otherwise hold a target thread and the session's values forever.
    /// </summary>
    public async Task CloseAbandonedAsync(IReplyChannel ended, Func<IReplyChannel, bool> isOpen)
    {
        bool Gone(IReplyChannel? channel) => channel is null || !isOpen(channel);
        // Decided for all before any is closed, so the first log line means every session was judged.
        var left = _persistent.Values
            .Where(s => (ReferenceEquals(s.CreatedBy, ended) || ReferenceEquals(s.Connection, ended)) && Gone(s.CreatedBy) && Gone(s.Connection))
            .ToArray();
        foreach (var session in left)
        {
            if (!_persistent.TryRemove(session.Id, out _)) continue;
            ServerLog.SessionAbandoned(_logger, session.Id, ended.ConnectionId);
            await StopAsync(session).ConfigureAwait(false);
        }
        foreach (var session in _ephemeral.Values.Where(s => ReferenceEquals(s.Connection, ended)))
        {
            // Stays registered until its request ends (ReleaseEphemeralAsync): output of the interrupted eval still finds it.
            await StopAsync(session).ConfigureAwait(false);
        }
    }

    /// <summary>Shutdown: stops every session and waits (bounded by <paramref name="cancellationToken"/>) for their evals to end.</summary>
    public async Task CloseAllAsync(CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _closedAll, 1);
        var all = _persistent.Values.Concat(_ephemeral.Values).ToArray();
        _persistent.Clear();
        _ephemeral.Clear();
        var stops = all.Select(async session =>
        {
            await StopAsync(session).ConfigureAwait(false);
            await session.Stopped.ConfigureAwait(false);
        });
        await Task.WhenAll(stops).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    // Registered before the check: either CloseAllAsync's snapshot holds the session or this sees the flag.
    private void CloseIfShutDown(Session session)
    {
        if (IsShuttingDown) _ = session.CloseAsync(null); // nothing queued yet: completes at once
    }

    private async Task StopAsync(Session session)
    {
        await session.CloseAsync(InterruptRunning).ConfigureAwait(false);
        if (session.HasEvaluated)
        {
            _ = ForgetWhenStoppedAsync(session);
        }
    }

    private void InterruptRunning(string sessionId, string evalId) => _evaluator.EvaluatorIfCreated?.Interrupt(sessionId, evalId);

    private async Task ForgetWhenStoppedAsync(Session session)
    {
        await session.Stopped.ConfigureAwait(false);
        try
        {
            _evaluator.EvaluatorIfCreated?.ForgetSession(session.Id);
        }
        catch (Exception ex)
        {
            ServerLog.ForgetSessionFailed(_logger, session.Id, ex);
        }
    }

    private static string NewId() => Guid.NewGuid().ToString("D");
}
