namespace NRepl.Server.World.Rendering;

/// <summary>
/// Where a piece of user text came from: the file named in diagnostics and stack traces, and the
/// 1-based line and column of the text's first character in that file (a CIDER buffer eval starts
/// mid-file, so both offsets matter).
/// </summary>
internal sealed record SourceOrigin(string File, int Line, int Column)
{
    public static SourceOrigin Repl { get; } = new("REPL", 1, 1);
}
