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
        for (var i = 0; i < stderr.Count; i++)
        {
            // "Process terminated." then the message on the following line(s), then the "   at" frames.
            const string failFast = "Process terminated.";
            if (!stderr[i].StartsWith(failFast, StringComparison.Ordinal)) continue;
            var message = new List<string>();
            if (stderr[i].Length > failFast.Length) message.Add(stderr[i][failFast.Length..].Trim());
            for (var j = i + 1; j < stderr.Count && j <= i + 3 && !stderr[j].StartsWith("   at ", StringComparison.Ordinal) && stderr[j].Length > 0; j++)
            {
                message.Add(stderr[j].Trim());
            }
            return "Environment.FailFast: " + string.Join(" ", message);
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
