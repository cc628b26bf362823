using NRepl.Runtime.Contract;

namespace NRepl.Server.Evaluation;

/// <summary>What the user asked to evaluate, with everything needed to report back.</summary>
/// <param name="EvalId">The nREPL request id (may be empty when the client sent none).</param>
/// <param name="SessionId">The nREPL session (an ephemeral one for session-less requests).</param>
/// <param name="Code">C# source: script-style statements, declarations, a trailing expression.</param>
/// <param name="Ns">The C# namespace declarations go into ("user" by default).</param>
/// <param name="FilePath">Path shown in diagnostics and stack traces; null for the REPL.</param>
/// <param name="Line">1-based line of the code's first character in <paramref name="FilePath"/>.</param>
/// <param name="Column">1-based column of the code's first character.</param>
/// <param name="IsLoadFile">load-file: the definitions from <paramref name="FilePath"/> become exactly this content.</param>
/// <param name="RecordResult">False for tooling evals that must not touch _1/_2/_3/_e.</param>
public sealed record EvalRequest(
    string EvalId,
    string SessionId,
    string Code,
    string Ns,
    string? FilePath,
    int Line,
    int Column,
    bool IsLoadFile,
    bool RecordResult,
    PrintSettings Print);
