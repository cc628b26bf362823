using Microsoft.Extensions.Logging;

namespace NRepl.Server.Logging;

internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Information, "Connection {ConnectionId} accepted from {RemoteEndPoint}.", EventName = "ConnectionAccepted")]
    public static partial void ConnectionAccepted(ILogger logger, long connectionId, string remoteEndPoint);

    [LoggerMessage(2, LogLevel.Information, "Connection {ConnectionId} closed.", EventName = "ConnectionClosed")]
    public static partial void ConnectionClosed(ILogger logger, long connectionId);

    [LoggerMessage(3, LogLevel.Warning, "Connection {ConnectionId} rejected: {Reason}", EventName = "ConnectionRejected")]
    public static partial void ConnectionRejected(ILogger logger, long connectionId, string reason);

    [LoggerMessage(4, LogLevel.Debug, "Connection {ConnectionId} reset by the client.", EventName = "ConnectionReset")]
    public static partial void ConnectionReset(ILogger logger, long connectionId, Exception exception);

    [LoggerMessage(5, LogLevel.Warning, "Connection {ConnectionId} ended in the middle of a message ({Bytes} bytes unread).", EventName = "ConnectionTruncated")]
    public static partial void ConnectionTruncated(ILogger logger, long connectionId, long bytes);

    [LoggerMessage(6, LogLevel.Error, "Connection {ConnectionId} failed unexpectedly.", EventName = "ConnectionFailed")]
    public static partial void ConnectionFailed(ILogger logger, long connectionId, Exception exception);

    [LoggerMessage(7, LogLevel.Error, "A reply on connection {ConnectionId} could not be encoded and was dropped.", EventName = "ReplyEncodingFailed")]
    public static partial void ReplyEncodingFailed(ILogger logger, long connectionId, Exception exception);

    [LoggerMessage(8, LogLevel.Debug, "A reply for closed connection {ConnectionId} was dropped.", EventName = "ReplyDropped")]
    public static partial void ReplyDropped(ILogger logger, long connectionId);

    [LoggerMessage(9, LogLevel.Critical, "The listener failed to accept new connections.", EventName = "AcceptLoopFailed")]
    public static partial void AcceptLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(11, LogLevel.Warning, "A connection from {Remote} was refused: {Open} connections are open (NRepl:Limits:MaxConnections).", EventName = "ConnectionRefused")]
    public static partial void ConnectionRefused(ILogger logger, string remote, int open);

    [LoggerMessage(12, LogLevel.Warning, "Output of eval {EvalId} in session {SessionId} passed {Limit} characters (NRepl:Limits:MaxOutputCharsPerEval); the rest is dropped.", EventName = "OutputTruncated")]
    public static partial void OutputTruncated(ILogger logger, string sessionId, string evalId, long limit);

    [LoggerMessage(10, LogLevel.Debug, "Request on connection {ConnectionId}: {Request}", EventName = "RequestReceived")]
    public static partial void RequestReceived(ILogger logger, long connectionId, string request);

    [LoggerMessage(13, LogLevel.Warning, "Connection {ConnectionId}: the client ended its input and {Pending} request(s) were still running after {GraceSeconds} s (NRepl:Limits:EndOfInputGraceSeconds); closing, and interrupting the evals of the sessions it leaves.", EventName = "EndOfInputGraceExpired")]
    public static partial void EndOfInputGraceExpired(ILogger logger, long connectionId, int pending, double graceSeconds);
}
