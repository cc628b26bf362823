using Microsoft.Extensions.Logging;

namespace NRepl.Server.Logging;

internal static partial class ServerLog
{
    [LoggerMessage(30, LogLevel.Information, "Session {SessionId} created (client \"{Client}\", cloned from \"{SourceSessionId}\").", EventName = "SessionCreated")]
    public static partial void SessionCreated(ILogger logger, string sessionId, string client, string sourceSessionId);

    [LoggerMessage(31, LogLevel.Information, "Session {SessionId} closed.", EventName = "SessionClosed")]
    public static partial void SessionClosed(ILogger logger, string sessionId);

    [LoggerMessage(32, LogLevel.Debug, "Output of eval \"{EvalId}\" in session {SessionId} dropped: no connection.", EventName = "OutputDropped")]
    public static partial void OutputDropped(ILogger logger, string sessionId, string evalId);

    [LoggerMessage(33, LogLevel.Warning, "The evaluator failed to forget session {SessionId}.", EventName = "ForgetSessionFailed")]
    public static partial void ForgetSessionFailed(ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(34, LogLevel.Information, "Interrupting eval \"{EvalId}\" in session {SessionId}.", EventName = "InterruptRequested")]
    public static partial void InterruptRequested(ILogger logger, string sessionId, string evalId);

    [LoggerMessage(35, LogLevel.Information, "Queued eval \"{EvalId}\" in session {SessionId} cancelled before it ran.", EventName = "QueuedEvalCancelled")]
    public static partial void QueuedEvalCancelled(ILogger logger, string sessionId, string evalId);

    [LoggerMessage(36, LogLevel.Information, "Session {SessionId} closed: connection {ConnectionId}, the last to make or use it, ended.", EventName = "SessionAbandoned")]
    public static partial void SessionAbandoned(ILogger logger, string sessionId, long connectionId);
}
