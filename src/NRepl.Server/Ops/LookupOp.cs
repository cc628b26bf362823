using NRepl.Server.Dispatch;
using NRepl.Server.Sessions;

namespace NRepl.Server.Ops;

/// <summary><c>lookup</c> (nREPL's built-in op; CIDER's docs and M-. when info is absent, Neat's eldoc and xref): the keys nested under <c>info</c>.</summary>
internal sealed class LookupOp : IOpHandler
{
    private readonly EvaluatorAccessor _evaluator;

    public LookupOp(EvaluatorAccessor evaluator) => _evaluator = evaluator;

    public OpDescriptor Descriptor { get; } = new(
        "lookup",
        "Documentation and location of a C# name (Console.WriteLine, a variable, a function, a type) as an eval in the namespace would bind it.",
        new Dictionary<string, string> { ["sym"] = "The name, e.g. \"Console.WriteLine\" (symbol is accepted too)." },
        new Dictionary<string, string> { ["ns"] = "The namespace to look in; defaults to the session's." },
        new Dictionary<string, string> { ["info"] = "A map of " + string.Join(", ", SymbolReplies.Keys.Keys) + "; empty, with status no-info, when the name binds to nothing." });

    public async Task HandleAsync(ResponseContext context, CancellationToken cancellationToken)
    {
        if (await SymbolReplies.FindAsync(context, _evaluator, cancellationToken).ConfigureAwait(false) is { } docs)
        {
            await context.DoneWithAsync(new Dictionary<string, object?> { ["info"] = SymbolReplies.Fields(docs) }).ConfigureAwait(false);
            return;
        }
        await context.DoneWithAsync(new Dictionary<string, object?> { ["info"] = new Dictionary<string, object?>() }, SymbolReplies.NoInfo).ConfigureAwait(false);
    }
}
