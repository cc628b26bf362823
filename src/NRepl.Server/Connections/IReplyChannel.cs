namespace NRepl.Server.Connections;

/// <summary>
/// The sending half of one client connection. Each message is encoded whole and written in the order it
/// was handed over; messages handed over by different threads never interleave on the wire.
/// </summary>
internal interface IReplyChannel
{
    /// <summary>Server-unique id of the connection, used in logs.</summary>
    long ConnectionId { get; }

    /// <summary>
    /// Queues <paramref name="message"/> for sending. Waits while the outbound queue is full (backpressure);
    /// completes at once, dropping the message, if the connection is closed.
    /// </summary>
    ValueTask SendAsync(IReadOnlyDictionary<string, object?> message);

    /// <summary>
    /// <see cref="SendAsync"/> for synchronous producers (the evaluator's output callbacks). Blocks the caller
    /// while the outbound queue is full; that pushes back on an eval printing faster than the client reads.
    /// </summary>
    void Post(IReadOnlyDictionary<string, object?> message);
}
