using NRepl.Runtime.Evaluation;

namespace NRepl.Runtime;

/// <summary>
/// REPL state that compiled world code reads: the "no value" marker returned by evals, and each
/// session's last values (<c>_1</c>, <c>_2</c>, <c>_3</c>) and last exception (<c>_e</c>).
/// </summary>
public static class Repl
{
    /// <summary>An eval method returns this when the code had no value (statements only, a void call).</summary>
    public static readonly object NoValue = new NoValueMarker();

    /// <summary>
    /// The session's <paramref name="n"/>-th most recent value (1 = <c>_1</c>, the latest), or null when
    /// there is none yet.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is not 1, 2 or 3.</exception>
    public static object? Value(string sessionId, int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, SessionState.RememberedValues);
        return SessionStore.TryGet(sessionId, out var session) ? session.Value(n) : null;
    }

    /// <summary>The last exception an eval of the session threw (<c>_e</c>), or null.</summary>
    public static Exception? LastException(string sessionId) =>
        SessionStore.TryGet(sessionId, out var session) ? session.LastException : null;

    /// <summary>Id of the session whose eval (or a thread/timer it started) is running this code; null outside evals.</summary>
    public static string? CurrentSessionId => EvalContext.Current?.SessionId;

    /// <summary>Id of the eval running this code (its threads and timers included); 0 outside evals.</summary>
    public static long CurrentEvalId => EvalContext.Current?.EvalId ?? 0;

    private sealed class NoValueMarker
    {
        public override string ToString() => "<no value>";
    }
}
