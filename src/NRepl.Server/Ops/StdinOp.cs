using NRepl.Server.Dispatch;
using NRepl.Server.Sessions;

namespace NRepl.Server.Ops;

/// <summary>
/// <c>stdin</c>: input for the session's evals (after a <c>need-input</c>, or ahead of it). An empty string
/// is end of input. Handled off the eval queue, since the eval it feeds is blocked on the queue.
/// </summary>
internal sealed class StdinOp : IOpHandler
{
    private readonly EvaluatorAccessor _evaluator;

    public StdinOp(EvaluatorAccessor evaluator) => _evaluator = evaluator;

    public OpDescriptor Descriptor { get; } = new(
        "stdin",
        "Add content from the value of \"stdin\" to the session's input; an empty string ends the input.",
        new Dictionary<string, string> { ["stdin"] = "Content to add to the session's input." },
        OpDescriptor.None,
        new Dictionary<string, string> { ["status"] = "A status of \"need-input\" will be sent if a session's input is empty when an evaluation reads from it." });

    public async Task HandleAsync(ResponseContext context, CancellationToken cancellationToken)
    {
        // A missing "stdin" is not end of input: only an explicit empty string is.
        if (context.Request.GetString("stdin") is { } text)
        {
            _evaluator.Evaluator?.Stdin(context.Session.Id, text);
        }

        await context.DoneAsync().ConfigureAwait(false);
    }
}
