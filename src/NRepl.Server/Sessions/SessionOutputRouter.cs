using Microsoft.Extensions.Logging;
using NRepl.Server.Dispatch;
using NRepl.Server.Evaluation;
using NRepl.Server.Logging;

namespace NRepl.Server.Sessions;

/// <summary>
/// Sends an eval's streamed output to the connection that last used its session, tagged with the eval's
/// id and the session (Calva drops messages without a known session, CIDER those without a known id).
/// Routing by the session's latest connection, not the cloning one, avoids nREPL issue #183.
/// </summary>
internal sealed class SessionOutputRouter : ISessionOutput
{
    private readonly SessionRegistry _sessions;
    private readonly OutputSubscriptions _subscriptions;
    private readonly ILogger<SessionOutputRouter> _logger;

    public SessionOutputRouter(SessionRegistry sessions, OutputSubscriptions subscriptions, ILogger<SessionOutputRouter> logger)
    {
        _sessions = sessions;
        _subscriptions = subscriptions;
        _logger = logger;
    }

    public void Background(string? sessionId, string? evalId, bool isError, string text)
    {
        if (text.Length == 0) return;
        var sent = false;
        foreach (var (subscriber, requestId) in _subscriptions.Current)
        {
            if (_sessions.FindForOutput(subscriber)?.Connection is { } connection)
            {
                connection.Post(new Dictionary<string, object?> { ["id"] = requestId, ["session"] = subscriber, [isError ? "err" : "out"] = text });
                sent = true;
            }
            else
            {
                _subscriptions.Unsubscribe(subscriber); // the session is gone
            }
        }
        if (sent) return;
        if (sessionId is not null && evalId is not null) Write(sessionId, evalId, isError, text);
        else ServerLog.OutputDropped(_logger, sessionId ?? "", evalId ?? "");
    }

    public void Write(string sessionId, string evalId, bool isError, string text)
    {
        if (text.Length == 0)
        {
            return;
        }

        Send(sessionId, evalId, isError ? "err" : "out", text);
    }

    public void NeedInput(string sessionId, string evalId) =>
        // Alone in its message: Calva compares status == 'need-input', which only holds for a one-element list.
        Send(sessionId, evalId, "status", new[] { Status.NeedInput });

    public void Condition(string sessionId, string evalId, IReadOnlyDictionary<string, object?> fields) =>
        Send(sessionId, evalId, fields);

    private void Send(string sessionId, string evalId, string key, object value) =>
        Send(sessionId, evalId, new Dictionary<string, object?> { [key] = value });

    private void Send(string sessionId, string evalId, IReadOnlyDictionary<string, object?> fields)
    {
        var connection = _sessions.FindForOutput(sessionId)?.Connection;
        if (connection is null)
        {
            ServerLog.OutputDropped(_logger, sessionId, evalId);
            return;
        }

        var message = new Dictionary<string, object?>(fields) { ["session"] = sessionId };
        if (evalId.Length > 0)
        {
            message["id"] = evalId;
        }

        connection.Post(message);
    }
}
