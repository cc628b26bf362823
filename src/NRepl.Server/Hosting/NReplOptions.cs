namespace NRepl.Server.Hosting;

/// <summary>The "NRepl" configuration section (appsettings.json, <c>NRepl__*</c>/<c>NREPL_NRepl__*</c> variables, command line).</summary>
public sealed class NReplOptions
{
    public const string SectionName = "NRepl";

    /// <summary>Address to listen on. Defaults to 127.0.0.1: an nREPL server runs arbitrary code for whoever connects.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 0 (the default) picks a free one, announced in the banner and the port file.</summary>
    public int Port { get; set; }

    /// <summary>
    /// Port file written after binding, relative to the current directory (where CIDER and Calva look for it).
    /// Defaults to ".nrepl-port"; empty disables it. Deleted at shutdown.
    /// </summary>
    public string PortFile { get; set; } = ".nrepl-port";

    /// <summary>Bound on graceful shutdown (interrupting evals, closing connections, stopping the target). Defaults to 5 s.</summary>
    public int ShutdownTimeoutSeconds { get; set; } = 5;

    /// <summary>Must be true to listen on a non-loopback address; a warning is logged at every start. Defaults to false.</summary>
    public bool AllowRemote { get; set; }

    /// <summary>
    /// Path of a Unix domain socket to listen on as well (CIDER connects to one; SSH forwards one), created
    /// with mode 0600 so only this user can connect. Empty (the default): none.
    /// </summary>
    public string UnixSocket { get; set; } = "";

    public ServerLimits Limits { get; set; } = new();
}
