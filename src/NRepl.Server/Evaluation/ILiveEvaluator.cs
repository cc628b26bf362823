namespace NRepl.Server.Evaluation;

/// <summary>
/// The live world as the ops see it: compile C# into the world, run it in the target,
/// report output and the outcome. Implementations are safe to call from many sessions at once;
/// evals of one session are serialized by the caller.
/// </summary>
public interface ILiveEvaluator
{
    /// <summary>
    /// Compiles and runs <paramref name="request"/>. All of the eval's output has been handed to
    /// <see cref="ISessionOutput"/> before the returned task completes. Never throws for user
    /// errors (they are <see cref="EvalOutcome.Failed"/>); cancellation of <paramref name="ct"/>
    /// interrupts the eval.
    /// </summary>
    Task<EvalOutcome> EvaluateAsync(EvalRequest request, CancellationToken ct);

    /// <summary>Interrupt the running eval <paramref name="evalId"/> of <paramref name="sessionId"/>; its EvaluateAsync then returns Interrupted.</summary>
    void Interrupt(string sessionId, string evalId);

    /// <summary>Feed stdin of a session; an empty <paramref name="text"/> is end of input.</summary>
    void Stdin(string sessionId, string text);

    /// <summary>The session was closed: forget its values and pending input.</summary>
    void ForgetSession(string sessionId);

    /// <summary>
    /// Answers a pending condition by restart name or index (and a value for restarts that take one).
    /// Returns null when accepted, else why not (unknown or stale condition id, unknown restart).
    /// </summary>
    string? InvokeRestart(string conditionId, string restart, string? value);

    /// <summary>
    /// Completion candidates for <paramref name="prefix"/> (<c>Console.Wr</c>, or just <c>Wr</c>) in namespace
    /// <paramref name="ns"/> (nREPL spelling) of the session: what an eval there could name.
    /// </summary>
    Task<IReadOnlyList<Completion>> CompleteAsync(string sessionId, string ns, string prefix, CancellationToken ct);

    /// <summary>What the editor shows for <paramref name="symbol"/> in namespace <paramref name="ns"/> (lookup, info, eldoc); null when it names nothing.</summary>
    Task<SymbolDocs?> LookupAsync(string ns, string symbol, CancellationToken ct);
}

/// <summary>
/// A name's documentation: the symbol's name, where it is declared (type or namespace), its kind, its C#
/// signatures (one per overload), each overload's parameters, the summary of its doc comment, and for world
/// definitions the user's file (a file:/// URI, when it came from a file), line and column.
/// </summary>
public sealed record SymbolDocs(string Name, string? Ns, string Type, IReadOnlyList<string> Signatures, IReadOnlyList<IReadOnlyList<string>> Parameters,
    string? Doc, string? File, int? Line, int? Column);

/// <summary>One completion candidate: its text, its kind in C# terms (method, property, field, class, namespace, local, keyword...), and where it is declared.</summary>
public sealed record Completion(string Candidate, string Type, string? Ns);
