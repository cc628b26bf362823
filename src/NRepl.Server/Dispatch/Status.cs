namespace NRepl.Server.Dispatch;

/// <summary>
/// The closed vocabulary of <c>status</c> values this server sends. Each one is the string the nREPL
/// reference server uses for the same situation, so clients that branch on statuses (CIDER, Calva,
/// nrepl.core) understand us without special cases.
/// </summary>
internal static class Status
{
    public const string Done = "done";
    public const string Error = "error";

    /// <summary>live/restart named a condition that is not pending (answered, aborted, or never raised).</summary>
    public const string UnknownCondition = "unknown-condition";
    public const string UnknownOp = "unknown-op";
    public const string UnknownSession = "unknown-session";
    public const string NoCode = "no-code";
    public const string EvalError = "eval-error";
    public const string Interrupted = "interrupted";
    public const string NeedInput = "need-input";
    public const string SessionIdle = "session-idle";
    public const string SessionClosed = "session-closed";
    public const string SessionEphemeral = "session-ephemeral";
    public const string InterruptIdMismatch = "interrupt-id-mismatch";

    /// <summary>The value was cut by <c>nrepl.middleware.print/quota</c>; CIDER prints "... output truncated ...".</summary>
    public const string PrintTruncated = "nrepl.middleware.print/truncated";

    /// <summary>nREPL's <c>safe-handle</c> status for a handler that threw: <c>&lt;op&gt;-error</c>.</summary>
    public static string OpError(string op) => op + "-error";
}
