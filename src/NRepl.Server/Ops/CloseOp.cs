using NRepl.Server.Dispatch;
using NRepl.Server.Sessions;

namespace NRepl.Server.Ops;

/// <summary>
/// <c>close</c>: ends a session. Its queued evals are answered <c>["interrupted","done"]</c>, its running
/// eval is interrupted, and the evaluator forgets the session's values once that eval has ended.
/// </summary>
internal sealed class CloseOp : IOpHandler
{
    private readonly SessionRegistry _sessions;

    public CloseOp(SessionRegistry sessions) => _sessions = sessions;

    public OpDescriptor Descriptor { get; } = new(
        "close",
        "Closes the specified session.",
        new Dictionary<string, string> { ["session"] = "The ID of the session to be closed." },
        OpDescriptor.None,
        OpDescriptor.None);

    public async Task HandleAsync(ResponseContext context, CancellationToken cancellationToken)
    {
        // An ephemeral session (no "session" given) ends with this request anyway: closing it is a no-op.
        if (!context.Session.IsEphemeral)
        {
            await _sessions.CloseAsync(context.Session.Id).ConfigureAwait(false);
        }

        await context.DoneAsync(Status.SessionClosed).ConfigureAwait(false);
    }
}
