namespace NRepl.Server.Dispatch;

/// <summary>
/// Answers one nREPL op. Registered in DI; <c>describe</c> lists exactly the registered handlers, so an op
/// can only be advertised if something answers it.
/// </summary>
/// <remarks>
/// <see cref="HandleAsync"/> is called on the connection's reader loop and runs synchronously up to its first
/// incomplete await; it must not block there, so that <c>interrupt</c> and <c>stdin</c> keep flowing while an
/// eval runs, and so that requests of one connection reach their session queues in arrival order.
/// The dispatcher sends <c>done</c> if the handler returns without doing so, and turns an exception into
/// <c>["&lt;op&gt;-error","error","done"]</c>.
/// </remarks>
internal interface IOpHandler
{
    OpDescriptor Descriptor { get; }

    Task HandleAsync(ResponseContext context, CancellationToken cancellationToken);
}
