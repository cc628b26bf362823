using Microsoft.Extensions.Logging;
using NRepl.Protocol.Messages;
using NRepl.Server.Connections;
using NRepl.Server.Logging;
using NRepl.Server.Sessions;

namespace NRepl.Server.Dispatch;

/// <summary>
/// Routes each request to its op handler. Owns the rules every reply follows whatever the op:
/// unknown sessions and ops are answered with nREPL's error statuses, a handler's exception becomes
/// <c>["&lt;op&gt;-error","error","done"]</c> plus <c>message</c>, and <c>done</c> is always sent exactly once.
/// </summary>
internal sealed class OpDispatcher
{
    private readonly Dictionary<string, IOpHandler> _handlers;
    private readonly SessionRegistry _sessions;
    private readonly ILogger<OpDispatcher> _logger;

    public OpDispatcher(IEnumerable<IOpHandler> handlers, SessionRegistry sessions, ILogger<OpDispatcher> logger)
    {
        _handlers = new Dictionary<string, IOpHandler>(StringComparer.Ordinal);
        foreach (var handler in handlers)
        {
            if (!_handlers.TryAdd(handler.Descriptor.Name, handler))
            {
                throw new InvalidOperationException($"Two handlers registered for the op '{handler.Descriptor.Name}'.");
            }
        }

        Descriptors = _handlers.Values.Select(h => h.Descriptor).OrderBy(d => d.Name, StringComparer.Ordinal).ToArray();
        _sessions = sessions;
        _logger = logger;
    }

    /// <summary>Every registered op, sorted by name.</summary>
    public IReadOnlyList<OpDescriptor> Descriptors { get; }

    /// <summary>
    /// Answers <paramref name="request"/> on <paramref name="channel"/>. Runs synchronously until the handler's
    /// first incomplete await, so callers may start it without awaiting. Never throws.
    /// </summary>
    public async Task DispatchAsync(NReplMessage request, IReplyChannel channel, CancellationToken cancellationToken)
    {
        var sessionId = RequestFields.OptionalString(request, "session");
        Session session;
        if (sessionId is null)
        {
            session = _sessions.CreateEphemeral();
        }
        else if (!_sessions.TryGet(sessionId, out var found))
        {
            await ReplyUnknownSessionAsync(request, channel, sessionId).ConfigureAwait(false);
            return;
        }
        else
        {
            session = found;
        }

        session.Connection = channel;
        var context = new ResponseContext(request, session, channel, Descriptors);
        try
        {
            await HandleAsync(context, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (session.IsEphemeral)
            {
                await _sessions.ReleaseEphemeralAsync(session).ConfigureAwait(false);
            }
        }
    }

    private async Task HandleAsync(ResponseContext context, CancellationToken cancellationToken)
    {
        try
        {
            if (!_handlers.TryGetValue(context.Op, out var handler))
            {
                ServerLog.UnknownOp(_logger, context.Op, context.Channel.ConnectionId);
                await context.DoneWithAsync(new() { ["op"] = context.Request.Op }, Status.Error, Status.UnknownOp).ConfigureAwait(false);
                return;
            }

            await handler.HandleAsync(context, cancellationToken).ConfigureAwait(false);
            await context.DoneAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            ServerLog.OpFailed(_logger, context.Op, context.Channel.ConnectionId, ex);
            try
            {
                await context.DoneWithAsync(new() { ["message"] = ex.Message }, Status.OpError(context.Op), Status.Error).ConfigureAwait(false);
            }
            catch (Exception sendFailure)
            {
                ServerLog.OpFailed(_logger, context.Op, context.Channel.ConnectionId, sendFailure);
            }
        }
    }

    private ValueTask ReplyUnknownSessionAsync(NReplMessage request, IReplyChannel channel, string sessionId)
    {
        var reply = new Dictionary<string, object?>
        {
            ["session"] = sessionId,
            ["status"] = new[] { Status.Error, Status.UnknownSession, Status.Done },
        };
        // Sessions close before connections at shutdown: a request read in between is told why its session is gone.
        if (_sessions.IsShuttingDown) reply["err"] = $"The server is shutting down; session {sessionId} was closed.\n";
        if (request.Id is { } id)
        {
            reply["id"] = id;
        }

        return channel.SendAsync(reply);
    }
}
