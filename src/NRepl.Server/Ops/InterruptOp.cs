using Microsoft.Extensions.Logging;
using NRepl.Server.Dispatch;
using NRepl.Server.Logging;
using NRepl.Server.Sessions;

namespace NRepl.Server.Ops;

/// <summary>
/// <c>interrupt</c>: stops the session's running eval (or, by <c>interrupt-id</c>, removes a queued one).
/// The interrupted eval itself ends with <c>["interrupted","done"]</c> on its own id; this request gets
/// <c>done</c>. Statuses as in nREPL: <c>session-idle</c> when nothing runs (also for ids of finished evals,
/// which Calva interrupts too), <c>interrupt-id-mismatch</c>, <c>session-ephemeral</c>.
/// </summary>
internal sealed class InterruptOp : IOpHandler
{
    private readonly EvaluatorAccessor _evaluator;
    private readonly ILogger<InterruptOp> _logger;

    public InterruptOp(EvaluatorAccessor evaluator, ILogger<InterruptOp> logger)
    {
        _evaluator = evaluator;
        _logger = logger;
    }

    public OpDescriptor Descriptor { get; } = new(
        "interrupt",
        "Attempts to interrupt some executing request. When interruption succeeds, the thread used for execution is killed or abandoned and a new one started.",
        new Dictionary<string, string> { ["session"] = "The ID of the session used to start the request to be interrupted." },
        new Dictionary<string, string> { ["interrupt-id"] = "The opaque message ID sent with the request to be interrupted." },
        new Dictionary<string, string>
        {
            ["status"] = "\"interrupted\" on the interrupted request; \"session-idle\" if nothing was running; \"interrupt-id-mismatch\" if another request is running.",
        });

    public async Task HandleAsync(ResponseContext context, CancellationToken cancellationToken)
    {
        var session = context.Session;
        if (session.IsEphemeral)
        {
            await context.DoneAsync(Status.Error, Status.SessionEphemeral).ConfigureAwait(false);
            return;
        }

        var interruptId = RequestFields.OptionalString(context.Request, "interrupt-id");
        var running = session.RunningEvalId;
        if (running is not null && (interruptId is null || interruptId == running))
        {
            ServerLog.InterruptRequested(_logger, session.Id, running);
            _evaluator.Evaluator?.Interrupt(session.Id, running);
            await context.DoneAsync().ConfigureAwait(false);
            return;
        }

        if (interruptId is not null && await session.CancelQueuedAsync(interruptId).ConfigureAwait(false))
        {
            ServerLog.QueuedEvalCancelled(_logger, session.Id, interruptId);
            await context.DoneAsync().ConfigureAwait(false);
            return;
        }

        if (running is not null)
        {
            await context.DoneAsync(Status.Error, Status.InterruptIdMismatch).ConfigureAwait(false);
            return;
        }

        await context.DoneAsync(Status.SessionIdle).ConfigureAwait(false);
    }
}
