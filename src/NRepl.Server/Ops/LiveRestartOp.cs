using NRepl.Server.Dispatch;
using NRepl.Server.Sessions;

namespace NRepl.Server.Ops;

/// <summary>
/// <c>live/restart</c>: answers a condition an eval is waiting on (a live migration that cannot go on
/// by itself), for clients that show restarts as buttons instead of answering need-input. The same
/// choice can be typed as stdin: the restart's number, and an expression after it where one is taken.
/// </summary>
internal sealed class LiveRestartOp : IOpHandler
{
    private readonly EvaluatorAccessor _evaluator;

    public LiveRestartOp(EvaluatorAccessor evaluator) => _evaluator = evaluator;

    public OpDescriptor Descriptor { get; } = new(
        "live/restart",
        "Invokes a restart of a pending condition (sent on an eval as the keys condition, restarts, condition-id and level, then need-input). A condition id that is no longer pending is refused.",
        new Dictionary<string, string>
        {
            ["condition-id"] = "The condition-id the eval sent.",
            ["restart"] = "The restart's name (e.g. \"use-default\") or its index in the restarts list.",
        },
        new Dictionary<string, string> { ["value"] = "The value, for restarts that take one." },
        new Dictionary<string, string> { ["status"] = "\"done\"; with \"error\" and \"unknown-condition\" when the condition is not pending or the restart is unknown (then \"message\" says why)." });

    public async Task HandleAsync(ResponseContext context, CancellationToken cancellationToken)
    {
        var conditionId = context.Request.GetString("condition-id");
        var restart = context.Request.GetString("restart");
        if (string.IsNullOrEmpty(conditionId) || string.IsNullOrEmpty(restart))
        {
            await context.DoneWithAsync(new Dictionary<string, object?> { ["message"] = "live/restart needs condition-id and restart." }, Status.Error, Status.UnknownCondition).ConfigureAwait(false);
            return;
        }

        var refusal = _evaluator.Evaluator is { } evaluator
            ? evaluator.InvokeRestart(conditionId, restart, context.Request.GetString("value"))
            : "no evaluator is running";
        if (refusal is null)
        {
            await context.DoneAsync().ConfigureAwait(false);
        }
        else
        {
            await context.DoneWithAsync(new Dictionary<string, object?> { ["message"] = refusal }, Status.Error, Status.UnknownCondition).ConfigureAwait(false);
        }
    }
}
