using Microsoft.Extensions.Logging;

namespace NRepl.Server.Logging;

internal static partial class ServerLog
{
    [LoggerMessage(50, LogLevel.Error, "Op \"{Op}\" failed on connection {ConnectionId}.", EventName = "OpFailed")]
    public static partial void OpFailed(ILogger logger, string op, long connectionId, Exception exception);

    [LoggerMessage(51, LogLevel.Debug, "Unknown op \"{Op}\" on connection {ConnectionId}.", EventName = "UnknownOp")]
    public static partial void UnknownOp(ILogger logger, string op, long connectionId);

    [LoggerMessage(52, LogLevel.Warning, "Op \"{Op}\" answered with an error: no C# evaluator is registered.", EventName = "NoEvaluator")]
    public static partial void NoEvaluator(ILogger logger, string op);
}
