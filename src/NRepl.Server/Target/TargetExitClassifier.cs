namespace NRepl.Server.Target;

/// <summary>
/// Explains a target death from its exit code and its last stderr lines. The runtime prints a
/// recognizable line for each fatal path: "Stack overflow.", "Process terminated. msg" (FailFast),
/// "Unhandled exception. Type: msg".
/// </summary>
internal static class TargetExitClassifier
{
    /// <summary>The reason, or null when neither the exit code nor stderr say anything (the caller knows what it saw).</summary>
    public static string? Classify(int? exitCode, IReadOnlyList<string> stderr)
    {
        foreach (var line in stderr)
        {
            if (line.StartsWith("Stack overflow.", StringComparison.Ordinal)) return "stack overflow";
        }
        foreach (var line in stderr)
        {
            const string failFast = "Process terminated. ";
            if (line.StartsWith(failFast, StringComparison.Ordinal)) return "Environment.FailFast: " + line[failFast.Length..];
        }
        foreach (var line in stderr)
        {
            const string unhandled = "Unhandled exception. ";
            if (line.StartsWith(unhandled, StringComparison.Ordinal)) return "unhandled exception: " + line[unhandled.Length..];
        }
        return exitCode switch
        {
            null => null,
            > 128 and <= 128 + 64 => $"killed by signal {exitCode - 128}{SignalName(exitCode.Value - 128)}",
            { } code => $"Environment.Exit({code})",
        };
    }

    private static string SignalName(int signal) => signal switch
    {
        1 => " (SIGHUP)",
        2 => " (SIGINT)",
        6 => " (SIGABRT)",
        9 => " (SIGKILL)",
        11 => " (SIGSEGV)",
        15 => " (SIGTERM)",
        _ => "",
    };
}
