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
    // Remembered evals whose output is counted; the oldest are forgotten past this many.
    private const int CountedEvals = 4096;

    private readonly SessionRegistry _sessions;
    private readonly OutputSubscriptions _subscriptions;
    private readonly ILogger<SessionOutputRouter> _logger;
    private readonly long _maxOutputChars;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Session, string Eval), long> _written = new();

    public SessionOutputRouter(SessionRegistry sessions, OutputSubscriptions subscriptions, ILogger<SessionOutputRouter> logger,
        Microsoft.Extensions.Options.IOptions<Hosting.NReplOptions>? options = null)
    {
        _sessions = sessions;
        _subscriptions = subscriptions;
        _logger = logger;
        _maxOutputChars = options?.Value.Limits.MaxOutputCharsPerEval ?? 0;
    }

    /// <summary>
    /// Counts an eval's output against NRepl:Limits:MaxOutputCharsPerEval: false once past it. The first text over the
    /// limit gets the truncated status instead of being sent, so the client says the output was cut.
    /// </summary>
    private bool WithinLimit(string sessionId, string evalId, int length)
    {
        if (_maxOutputChars <= 0 || evalId.Length == 0) return true;
        if (_written.Count > CountedEvals) _written.Clear(); // the evals counted longest ago ended long ago
        var before = _written.TryGetValue((sessionId, evalId), out var count) ? count : 0;
        var after = _written[(sessionId, evalId)] = before + length;
        if (after <= _maxOutputChars) return true;
        if (before <= _maxOutputChars)
        {
            ServerLog.OutputTruncated(_logger, sessionId, evalId, _maxOutputChars);
            Send(sessionId, evalId, new Dictionary<string, object?>
            {
                ["err"] = $"\n... output truncated: this eval wrote more than {_maxOutputChars} characters (NRepl:Limits:MaxOutputCharsPerEval); the rest is dropped ...\n",
                ["status"] = new[] { Status.PrintTruncated },
            });
        }
        return false;
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
        if (text.Length == 0 || !WithinLimit(sessionId, evalId, text.Length))
        {
            return;
        }

        Send(sessionId, evalId, isError ? "err" : "out", text);
    }

    public void NeedInput(string sessionId, string evalId)
    {
        _sessions.FindForOutput(sessionId)?.InputAsked();
        // Alone in its message: Calva compares status == 'need-input', which only holds for a one-element list.
        Send(sessionId, evalId, "status", new[] { Status.NeedInput });
    }

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
