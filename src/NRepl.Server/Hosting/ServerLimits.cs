namespace NRepl.Server.Hosting;

/// <summary>
/// Limits on what one client can make the server hold ("NRepl:Limits"). Exceeding a wire limit closes that
/// connection with a logged reason; other connections are unaffected.
/// </summary>
public sealed class ServerLimits
{
    /// <summary>Largest request in bytes. Defaults to 16 MiB: a whole source file in <c>load-file</c>, with room to spare.</summary>
    public long MaxMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Largest single string in bytes (checked from its length prefix, before reading it). Defaults to 16 MiB.</summary>
    public long MaxStringBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Deepest nesting of lists and dicts. Defaults to 64; real requests nest 3 deep.</summary>
    public int MaxDepth { get; set; } = 64;

    /// <summary>
    /// Replies queued for one connection before producers wait for the client to read. Defaults to 1024
    /// messages: an eval printing in a loop is slowed down rather than buffered without bound.
    /// </summary>
    public int MaxQueuedReplies { get; set; } = 1024;

    /// <summary>Open connections at once; one more is told so (status <c>too-many-connections</c>) and closed. Defaults to 64.</summary>
    public int MaxConnections { get; set; } = 64;

    /// <summary>Sessions one connection may clone; one more is refused (status <c>too-many-sessions</c>). Defaults to 64.</summary>
    public int MaxSessionsPerConnection { get; set; } = 64;

    /// <summary>
    /// Characters of out and err one eval may stream (an eval printing in an endless loop); past it the eval's
    /// output is dropped, once announced with nREPL's <c>nrepl.middleware.print/truncated</c> status. Defaults to 16 Mi.
    /// </summary>
    public long MaxOutputCharsPerEval { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// Characters of stdin a session may send that no read has asked for yet (the count restarts at each
    /// <c>need-input</c>); past it the stdin request is refused (status <c>too-much-stdin</c>). Defaults to 1 Mi.
    /// </summary>
    public long MaxPendingStdinChars { get; set; } = 1024 * 1024;

    /// <summary>
    /// Seconds a connection whose client ended its input (closed, or half-closed, its socket) stays open for the
    /// requests still being answered. Then it closes, and the sessions no open connection made or used are
    /// closed with it, interrupting their evals: a script that half-closes gets its answers, an editor that
    /// quit leaves no endless eval behind. Defaults to 10.
    /// </summary>
    public int EndOfInputGraceSeconds { get; set; } = 10;
}
