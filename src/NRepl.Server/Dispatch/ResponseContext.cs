using NRepl.Protocol.Messages;
using NRepl.Server.Connections;
using NRepl.Server.Sessions;

namespace NRepl.Server.Dispatch;

/// <summary>
/// One request being answered. Every reply sent through it carries the request's <c>id</c> (only if the
/// request had one) and the session's id; <c>done</c> is sent exactly once, however many paths try
/// (handler, dispatcher fallback, exception handler).
/// </summary>
internal sealed class ResponseContext
{
    // 0 until the terminal reply has been claimed; claimed with Interlocked so only one path sends "done".
    private int _done;

    public ResponseContext(NReplMessage request, Session session, IReplyChannel channel, IReadOnlyList<OpDescriptor> availableOps)
    {
        Request = request;
        Session = session;
        Channel = channel;
        AvailableOps = availableOps;
        Op = request.Op ?? "";
    }

    public NReplMessage Request { get; }

    /// <summary>The request's session, or the ephemeral one made for a request without <c>session</c>.</summary>
    public Session Session { get; }

    public IReplyChannel Channel { get; }

    /// <summary>Descriptors of every registered op, sorted by name (what <c>describe</c> reports).</summary>
    public IReadOnlyList<OpDescriptor> AvailableOps { get; }

    public string Op { get; }

    /// <summary>The request's id, or null when it had none (then no reply carries an id).</summary>
    public string? RequestId => Request.Id;

    public bool IsDone => Volatile.Read(ref _done) != 0;

    /// <summary>Sends a non-terminal reply. Fields must not include <c>id</c>, <c>session</c>, or a <c>done</c> status.</summary>
    public ValueTask SendAsync(Dictionary<string, object?> fields)
    {
        if (fields.TryGetValue("status", out var status) && status is IEnumerable<string> statuses && statuses.Contains(Status.Done))
        {
            throw new ArgumentException("Use DoneAsync or DoneWithAsync for the terminal reply.", nameof(fields));
        }

        return Channel.SendAsync(Stamp(fields));
    }

    /// <summary>
    /// Sends the terminal reply: <paramref name="statuses"/> followed by <c>done</c>, plus <paramref name="fields"/>.
    /// Returns false (sending nothing) if the terminal reply was already sent.
    /// </summary>
    public async ValueTask<bool> DoneWithAsync(Dictionary<string, object?>? fields, params string[] statuses)
    {
        if (Interlocked.Exchange(ref _done, 1) != 0)
        {
            return false;
        }

        var message = fields ?? [];
        message["status"] = statuses.Append(Status.Done).ToArray();
        await Channel.SendAsync(Stamp(message)).ConfigureAwait(false);
        return true;
    }

    /// <inheritdoc cref="DoneAsync(Dictionary{string, object?}?, string[])"/>
    public ValueTask<bool> DoneAsync(params string[] statuses) => DoneWithAsync(null, statuses);

    private Dictionary<string, object?> Stamp(Dictionary<string, object?> fields)
    {
        if (RequestId is { } id)
        {
            fields["id"] = id;
        }

        fields["session"] = Session.Id;
        return fields;
    }
}
