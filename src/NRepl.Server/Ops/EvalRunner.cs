using Microsoft.Extensions.Logging;
using NRepl.Server.Dispatch;
using NRepl.Server.Evaluation;
using NRepl.Server.Logging;
using NRepl.Server.Sessions;

namespace NRepl.Server.Ops;

/// <summary>
/// Queues an <see cref="EvalRequest"/> on its session and answers it. The eval's replies are sent from the
/// session's loop before the next eval starts, so one session's replies never interleave.
/// </summary>
internal sealed class EvalRunner
{
    private readonly EvaluatorAccessor _evaluator;
    private readonly ILogger<EvalRunner> _logger;

    public EvalRunner(EvaluatorAccessor evaluator, ILogger<EvalRunner> logger)
    {
        _evaluator = evaluator;
        _logger = logger;
    }

    /// <summary>Completes when every reply of the eval, <c>done</c> included, has been handed to the connection.</summary>
    public async Task RunAsync(ResponseContext context, EvalRequest request)
    {
        var evaluator = _evaluator.Evaluator;
        if (evaluator is null)
        {
            ServerLog.NoEvaluator(_logger, context.Op);
            await context.SendAsync(new() { ["err"] = "No C# evaluator is available in this server.\n" }).ConfigureAwait(false);
            await context.DoneWithAsync(new() { ["ns"] = context.Session.Ns }, Status.Error, Status.EvalError).ConfigureAwait(false);
            return;
        }

        var queued = new QueuedEval(
            request.EvalId,
            cancellationToken => EvaluateAndReplyAsync(context, evaluator, request, cancellationToken),
            () => EvalReplies.SendInterruptedAsync(context, note: null));
        await context.Session.Enqueue(queued).ConfigureAwait(false);
    }

    private static async Task EvaluateAndReplyAsync(ResponseContext context, ILiveEvaluator evaluator, EvalRequest request, CancellationToken cancellationToken)
    {
        EvalOutcome outcome;
        try
        {
            outcome = await evaluator.EvaluateAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            outcome = new EvalOutcome.Interrupted(null);
        }

        await EvalReplies.SendAsync(context, outcome).ConfigureAwait(false);
    }
}
