using NRepl.Server.Dispatch;
using NRepl.Server.Sessions;

namespace NRepl.Server.Ops;

/// <summary>
/// <c>clone</c>: a new persistent session, copying the namespace of the given session (fresh defaults
/// without one). One reply carries both <c>new-session</c> and <c>done</c>: Calva makes a session of every
/// message with the clone's id.
/// </summary>
internal sealed class CloneOp : IOpHandler
{
    public const string TooManySessions = "too-many-sessions";

    private readonly SessionRegistry _sessions;
    private readonly Hosting.ServerLimits _limits;

    public CloneOp(SessionRegistry sessions, Microsoft.Extensions.Options.IOptions<Hosting.NReplOptions> options)
    {
        _sessions = sessions;
        _limits = options.Value.Limits;
    }

    public OpDescriptor Descriptor { get; } = new(
        "clone",
        "Clones the current session, returning the ID of the newly-created session. Without a session, the new session starts with defaults (namespace \"user\").",
        OpDescriptor.None,
        new Dictionary<string, string>
        {
            ["session"] = "The ID of the session to be cloned.",
            ["client-name"] = "The nREPL client's name (logged).",
            ["client-version"] = "The nREPL client's version (logged).",
        },
        new Dictionary<string, string> { ["new-session"] = "The ID of the new session." });

    public Task HandleAsync(ResponseContext context, CancellationToken cancellationToken)
    {
        var source = context.Session.IsEphemeral ? null : context.Session;
        var clientName = RequestFields.OptionalString(context.Request, "client-name");
        var clientVersion = RequestFields.OptionalString(context.Request, "client-version");
        var client = clientName is null ? null : clientVersion is null ? clientName : $"{clientName} {clientVersion}";
        var limit = _limits.MaxSessionsPerConnection;
        if (limit > 0 && _sessions.Sessions.Count(s => ReferenceEquals(s.CreatedBy, context.Channel)) >= limit)
        {
            return context.DoneWithAsync(new Dictionary<string, object?>
            {
                ["err"] = $"This connection has {limit} sessions, its limit (NRepl:Limits:MaxSessionsPerConnection); close one first.\n",
            }, Status.Error, TooManySessions).AsTask();
        }
        var created = _sessions.Clone(source, client);
        created.CreatedBy = context.Channel;
        return context.DoneWithAsync(new Dictionary<string, object?> { ["new-session"] = created.Id }).AsTask();
    }
}
