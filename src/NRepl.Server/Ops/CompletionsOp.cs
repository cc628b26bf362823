using NRepl.Server.Dispatch;
using NRepl.Server.Sessions;

namespace NRepl.Server.Ops;

/// <summary><c>completions</c> (nREPL's built-in op, used by CIDER and Neat): candidates for <c>prefix</c> from the live world.</summary>
internal sealed class CompletionsOp : IOpHandler
{
    private readonly EvaluatorAccessor _evaluator;

    public CompletionsOp(EvaluatorAccessor evaluator) => _evaluator = evaluator;

    public OpDescriptor Descriptor { get; } = new(
        "completions",
        "Completion candidates for a prefix of C# code: after a dot the members of what precedes it (Console.Wr), else the variables, functions, types and namespaces an eval in the namespace can name, and keywords. A bare member name (Wr) is also completed against the receivers of the session's recent input.",
        new Dictionary<string, string> { ["prefix"] = "The text to complete, e.g. \"Console.Wr\" or \"pla\"." },
        new Dictionary<string, string> { ["ns"] = "The namespace to complete in; defaults to the session's." },
        CompletionReplies.Returns);

    public Task HandleAsync(ResponseContext context, CancellationToken cancellationToken) =>
        CompletionReplies.AnswerAsync(context, _evaluator, RequestFields.OptionalString(context.Request, "prefix"), cancellationToken);
}
