namespace NRepl.Server.Evaluation;

/// <summary>How an eval ended. Exactly one per eval; the op turns it into nREPL replies.</summary>
public abstract record EvalOutcome
{
    private EvalOutcome() { }

    /// <summary>A printed value (C#-style). <paramref name="Truncated"/>: cut by the print quota.</summary>
    public sealed record Value(string Printed, bool Truncated) : EvalOutcome;

    /// <summary>Ran to completion without a value (statements, a void call).</summary>
    public sealed record NoValue : EvalOutcome;

    /// <summary>
    /// Compile or runtime failure. <paramref name="ErrorText"/> is sent as <c>err</c> (diagnostic lines
    /// "file:line:col: error CSxxxx: message", or the exception report); <paramref name="Ex"/> and
    /// <paramref name="RootEx"/> become the <c>ex</c>/<c>root-ex</c> keys.
    /// </summary>
    public sealed record Failed(string ErrorText, string Ex, string RootEx) : EvalOutcome;

    /// <summary>Stopped by an interrupt. <paramref name="Note"/> tells the user anything unusual (e.g. an abandoned thread).</summary>
    public sealed record Interrupted(string? Note) : EvalOutcome;
}
