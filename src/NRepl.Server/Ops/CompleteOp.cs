using NRepl.Server.Dispatch;
using NRepl.Server.Sessions;

namespace NRepl.Server.Ops;

/// <summary>
/// <c>complete</c> (cider-nrepl's op, which Calva sends): the same candidates as <c>completions</c>, for
/// <c>symbol</c> (or <c>prefix</c>). Calva's Clojure <c>context</c> (often the integer 0) does not apply to C# and is ignored.
/// </summary>
internal sealed class CompleteOp : IOpHandler
{
    private readonly EvaluatorAccessor _evaluator;

    public CompleteOp(EvaluatorAccessor evaluator) => _evaluator = evaluator;

    public OpDescriptor Descriptor { get; } = new(
        "complete",
        "Completion candidates for symbol (cider-nrepl style); the same as completions.",
        new Dictionary<string, string> { ["symbol"] = "The text to complete, e.g. \"Console.Wr\"." },
        new Dictionary<string, string>
        {
            ["ns"] = "The namespace to complete in; defaults to the session's.",
            ["prefix"] = "Accepted in place of symbol.",
            ["context"] = "Ignored (a Clojure form in cider-nrepl).",
        },
        CompletionReplies.Returns);

    public Task HandleAsync(ResponseContext context, CancellationToken cancellationToken) =>
        CompletionReplies.AnswerAsync(context, _evaluator,
            RequestFields.OptionalString(context.Request, "symbol") ?? RequestFields.OptionalString(context.Request, "prefix"), cancellationToken);
}
