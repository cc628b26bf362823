using Microsoft.Extensions.Logging;

namespace NRepl.Server.Logging;

internal static partial class ServerLog
{
    [LoggerMessage(70, LogLevel.Information, "nREPL server listening on {EndPoint}.", EventName = "Listening")]
    public static partial void Listening(ILogger logger, string endPoint);

    [LoggerMessage(71, LogLevel.Warning, "Listening on non-loopback address {Host} (NRepl:AllowRemote is true): anyone who can reach it can run code as this user.", EventName = "RemoteAccessAllowed")]
    public static partial void RemoteAccessAllowed(ILogger logger, string host);

    [LoggerMessage(72, LogLevel.Information, "Port file {Path} written.", EventName = "PortFileWritten")]
    public static partial void PortFileWritten(ILogger logger, string path);

    [LoggerMessage(73, LogLevel.Warning, "Port file {Path} could not be written.", EventName = "PortFileWriteFailed")]
    public static partial void PortFileWriteFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(74, LogLevel.Information, "Port file {Path} deleted.", EventName = "PortFileDeleted")]
    public static partial void PortFileDeleted(ILogger logger, string path);

    [LoggerMessage(75, LogLevel.Warning, "Port file {Path} could not be deleted.", EventName = "PortFileDeleteFailed")]
    public static partial void PortFileDeleteFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(80, LogLevel.Information, "Shutdown: stopped accepting connections.", EventName = "ShutdownUnbound")]
    public static partial void ShutdownUnbound(ILogger logger);

    [LoggerMessage(81, LogLevel.Information, "Shutdown: {Count} session(s) stopped.", EventName = "ShutdownSessionsStopped")]
    public static partial void ShutdownSessionsStopped(ILogger logger, int count);

    [LoggerMessage(82, LogLevel.Warning, "Shutdown: not every eval ended in time.", EventName = "ShutdownSessionsTimedOut")]
    public static partial void ShutdownSessionsTimedOut(ILogger logger);

    [LoggerMessage(83, LogLevel.Information, "Shutdown: {Count} connection(s) closed.", EventName = "ShutdownConnectionsClosed")]
    public static partial void ShutdownConnectionsClosed(ILogger logger, int count);

    [LoggerMessage(84, LogLevel.Warning, "Shutdown: not all connections closed gracefully; aborting the rest.", EventName = "NotAllConnectionsClosedGracefully")]
    public static partial void NotAllConnectionsClosedGracefully(ILogger logger);

    [LoggerMessage(85, LogLevel.Information, "Shutdown: evaluator disposed.", EventName = "ShutdownEvaluatorDisposed")]
    public static partial void ShutdownEvaluatorDisposed(ILogger logger);

    [LoggerMessage(86, LogLevel.Warning, "Shutdown: the evaluator did not dispose cleanly.", EventName = "ShutdownEvaluatorDisposeFailed")]
    public static partial void ShutdownEvaluatorDisposeFailed(ILogger logger, Exception exception);

    [LoggerMessage(87, LogLevel.Information, "Shutdown complete.", EventName = "ShutdownCompleted")]
    public static partial void ShutdownCompleted(ILogger logger);

    [LoggerMessage(88, LogLevel.Information, "Shutdown started.", EventName = "ShutdownStarted")]
    public static partial void ShutdownStarted(ILogger logger);
}
