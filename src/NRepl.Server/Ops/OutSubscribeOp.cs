using NRepl.Server.Dispatch;
using NRepl.Server.Sessions;

namespace NRepl.Server.Ops;

/// <summary>
/// <c>out-subscribe</c> (cider-nrepl's op, which Calva sends when describe lists it): from now on, output no
/// running eval owns (timers and threads of evals that ended, code no eval started) comes to this session
/// as <c>out</c>/<c>err</c> messages carrying this request's id.
/// </summary>
internal sealed class OutSubscribeOp : IOpHandler
{
    private readonly OutputSubscriptions _subscriptions;

    public OutSubscribeOp(OutputSubscriptions subscriptions) => _subscriptions = subscriptions;

    public OpDescriptor Descriptor { get; } = new(
        "out-subscribe",
        "Sends the session output that no running eval owns (timers and threads of evals that ended), as out and err messages with this request's id.",
        OpDescriptor.None,
        OpDescriptor.None,
        new Dictionary<string, string> { ["out-subscribe"] = "The subscribed session's id." });

    public Task HandleAsync(ResponseContext context, CancellationToken cancellationToken)
    {
        _subscriptions.Subscribe(context.Session.Id, context.RequestId ?? "");
        return context.DoneWithAsync(new Dictionary<string, object?> { ["out-subscribe"] = context.Session.Id }).AsTask();
    }
}
