using NRepl.Server.Dispatch;
using NRepl.Server.Sessions;

namespace NRepl.Server.Ops;

/// <summary><c>out-unsubscribe</c>: the session no longer receives output no running eval owns.</summary>
internal sealed class OutUnsubscribeOp : IOpHandler
{
    private readonly OutputSubscriptions _subscriptions;

    public OutUnsubscribeOp(OutputSubscriptions subscriptions) => _subscriptions = subscriptions;

    public OpDescriptor Descriptor { get; } = new(
        "out-unsubscribe",
        "Stops sending this session the output no running eval owns.",
        OpDescriptor.None,
        OpDescriptor.None,
        new Dictionary<string, string> { ["out-unsubscribe"] = "The session's id." });

    public Task HandleAsync(ResponseContext context, CancellationToken cancellationToken)
    {
        _subscriptions.Unsubscribe(context.Session.Id);
        return context.DoneWithAsync(new Dictionary<string, object?> { ["out-unsubscribe"] = context.Session.Id }).AsTask();
    }
}
