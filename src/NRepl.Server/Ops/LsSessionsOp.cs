using NRepl.Server.Dispatch;
using NRepl.Server.Sessions;

namespace NRepl.Server.Ops;

/// <summary><c>ls-sessions</c>: every persistent session of the server, from any connection, oldest first.</summary>
internal sealed class LsSessionsOp : IOpHandler
{
    private readonly SessionRegistry _sessions;

    public LsSessionsOp(SessionRegistry sessions) => _sessions = sessions;

    public OpDescriptor Descriptor { get; } = new(
        "ls-sessions",
        "Lists the IDs of all active sessions.",
        OpDescriptor.None,
        OpDescriptor.None,
        new Dictionary<string, string> { ["sessions"] = "A list of all available session IDs." });

    public Task HandleAsync(ResponseContext context, CancellationToken cancellationToken)
    {
        var ids = _sessions.Sessions.Select(s => s.Id).ToArray();
        return context.DoneWithAsync(new Dictionary<string, object?> { ["sessions"] = ids }).AsTask();
    }
}
