using NRepl.Runtime.Contract;

namespace NRepl.Server.Target;

/// <summary>
/// Receives what the target sends outside request/response pairs. Called on the supervisor's reader
/// loop, in arrival order; implementations must be quick and must not block (queue if needed).
/// </summary>
public interface ITargetOutputSink
{
    /// <summary>Console text of an eval (or of code outside evals: id 0, session "").</summary>
    void OnOutput(Output output);

    /// <summary>Code of the eval is blocked reading stdin of its session; answer with <see cref="TargetSupervisor.SendStdin"/>.</summary>
    void OnNeedInput(NeedInput request);
}

/// <summary>How a target process ended.</summary>
/// <param name="ExitCode">The process exit code (128 + N when killed by signal N), or null if unknown.</param>
/// <param name="Reason">
/// A short human explanation: "stack overflow", "Environment.Exit(3)", "Environment.FailFast: msg",
/// "unhandled exception: ...", "killed by signal 9", "restarted by the server", ...
/// </param>
/// <param name="StderrTail">The last lines the target wrote to its stderr.</param>
public sealed record TargetExit(int? ExitCode, string Reason, string StderrTail);

/// <summary>The target process died (or was stopped) while a request or eval was waiting for it.</summary>
public sealed class TargetDiedException : Exception
{
    /// <summary>Creates the exception for <paramref name="exit"/>.</summary>
    public TargetDiedException(TargetExit exit)
        : base($"The target process died: {exit.Reason}" + (exit.ExitCode is { } code ? $" (exit code {code})." : "."))
    {
        Exit = exit;
    }

    /// <summary>How the process ended.</summary>
    public TargetExit Exit { get; }
}

/// <summary>The target refused a world or a delta; <see cref="Exception.Message"/> is the target's own error text.</summary>
public sealed class TargetUpdateException : Exception
{
    /// <summary>Creates the exception with the target's error text.</summary>
    public TargetUpdateException(string message) : base(message) { }
}
