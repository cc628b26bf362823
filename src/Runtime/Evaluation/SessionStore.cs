using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using NRepl.Runtime.IO;

namespace NRepl.Runtime.Evaluation;

/// <summary>Per-session state the target keeps: last values, last exception, pending stdin.</summary>
internal sealed class SessionState
{
    public const int RememberedValues = 3;

    private readonly object _gate = new();
    private readonly object?[] _values = new object?[RememberedValues];
    private Exception? _lastException;

    public SessionState(string sessionId) => Input = new SessionInput(sessionId);

    public SessionInput Input { get; }

    public Exception? LastException
    {
        get { lock (_gate) return _lastException; }
    }

    /// <summary><paramref name="n"/> is 1-based: 1 is the latest value.</summary>
    public object? Value(int n)
    {
        lock (_gate) return _values[n - 1];
    }

    /// <summary>Shifts _3 = _2, _2 = _1, _1 = value.</summary>
    public void RecordValue(object? value)
    {
        lock (_gate)
        {
            Array.Copy(_values, 0, _values, 1, RememberedValues - 1);
            _values[0] = value;
        }
    }

    public void RecordException(Exception exception)
    {
        lock (_gate) _lastException = exception;
    }
}

/// <summary>All sessions the target has seen, created on first use and dropped by ForgetSession.</summary>
internal static class SessionStore
{
    private static readonly ConcurrentDictionary<string, SessionState> s_sessions = new(StringComparer.Ordinal);

    public static SessionState Get(string sessionId) => s_sessions.GetOrAdd(sessionId, static id => new SessionState(id));

    public static bool TryGet(string sessionId, [NotNullWhen(true)] out SessionState? session) =>
        s_sessions.TryGetValue(sessionId, out session);

    /// <summary>Drops the session's values and input; a reader blocked on its stdin sees end of input.</summary>
    public static void Forget(string sessionId)
    {
        if (s_sessions.TryRemove(sessionId, out var session)) session.Input.Close();
    }
}
