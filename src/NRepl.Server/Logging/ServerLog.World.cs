using Microsoft.Extensions.Logging;
using NRepl.Runtime.Contract;

namespace NRepl.Server.Logging;

internal static partial class ServerLog
{
    [LoggerMessage(100, LogLevel.Information, "World ready in target process {ProcessId}.", EventName = "WorldReady")]
    public static partial void WorldReady(ILogger logger, int processId);

    [LoggerMessage(101, LogLevel.Warning, "Target process died: {Reason} (exit code {ExitCode}).", EventName = "TargetDied")]
    public static partial void TargetDied(ILogger logger, string reason, int exitCode);

    [LoggerMessage(102, LogLevel.Information, "Replayed {Count} definitions into new target process {ProcessId}.", EventName = "WorldReplayed")]
    public static partial void WorldReplayed(ILogger logger, int count, int processId);

    [LoggerMessage(103, LogLevel.Error, "Starting a new target failed.", EventName = "RecoveryFailed")]
    public static partial void RecoveryFailed(ILogger logger, Exception exception);

    [LoggerMessage(104, LogLevel.Error, "The world compiler failed; the world is unchanged.", EventName = "CompilerFailed")]
    public static partial void CompilerFailed(ILogger logger, Exception exception);

    [LoggerMessage(105, LogLevel.Information, "Target {Stream}: {Text}", EventName = "TargetSystemOutput")]
    public static partial void TargetSystemOutput(ILogger logger, OutputStream stream, string text);

    [LoggerMessage(106, LogLevel.Warning, "Roslyn's EmitBaseline layout changed: earlier generations cannot be released, so memory grows with every delta.", EventName = "BaselineTrimmerUnavailable")]
    public static partial void BaselineTrimmerUnavailable(ILogger logger);
}
