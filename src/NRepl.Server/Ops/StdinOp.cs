using NRepl.Server.Dispatch;
using NRepl.Server.Sessions;

namespace NRepl.Server.Ops;

/// <summary>
/// <c>stdin</c>: input for the session's evals (after a <c>need-input</c>, or ahead of it). An empty string
/// is end of input. Handled off the eval queue, since the eval it feeds is blocked on the queue.
/// </summary>
internal sealed class StdinOp : IOpHandler
{
    public const string TooMuchStdin = "too-much-stdin";

    private readonly EvaluatorAccessor _evaluator;
    private readonly long _maxPending;

    public StdinOp(EvaluatorAccessor evaluator, Microsoft.Extensions.Options.IOptions<Hosting.NReplOptions> options)
    {
        _evaluator = evaluator;
        _maxPending = options.Value.Limits.MaxPendingStdinChars;
    }

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
            // Input nobody reads would pile up in the target: bounded until an eval asks for more.
            if (!context.Session.TryAddStdin(text.Length, _maxPending))
            {
                await context.DoneWithAsync(new Dictionary<string, object?>
                {
                    ["err"] = $"The session already holds {_maxPending} characters of input no eval has read (NRepl:Limits:MaxPendingStdinChars); this input was dropped.\n",
                }, Status.Error, TooMuchStdin).ConfigureAwait(false);
                return;
            }
            _evaluator.Evaluator?.Stdin(context.Session.Id, text);
        }

        await context.DoneAsync().ConfigureAwait(false);
    }
}
