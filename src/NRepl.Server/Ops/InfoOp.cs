using NRepl.Server.Dispatch;
using NRepl.Server.Sessions;

namespace NRepl.Server.Ops;

/// <summary><c>info</c> (cider-nrepl's op: Calva's hover and go-to-definition, CIDER's docs): the same keys as lookup, flat in the reply.</summary>
internal sealed class InfoOp : IOpHandler
{
    private readonly EvaluatorAccessor _evaluator;

    public InfoOp(EvaluatorAccessor evaluator) => _evaluator = evaluator;

    public OpDescriptor Descriptor { get; } = new(
        "info",
        "Documentation and location of a C# name, as lookup, with the keys flat in the reply (cider-nrepl style).",
        new Dictionary<string, string> { ["symbol"] = "The name, e.g. \"Console.WriteLine\" (sym is accepted too)." },
        new Dictionary<string, string> { ["ns"] = "The namespace to look in; defaults to the session's." },
        SymbolReplies.Keys);

    public async Task HandleAsync(ResponseContext context, CancellationToken cancellationToken)
    {
        if (await SymbolReplies.FindAsync(context, _evaluator, cancellationToken).ConfigureAwait(false) is { } docs)
        {
            await context.DoneWithAsync(SymbolReplies.Fields(docs)).ConfigureAwait(false);
            return;
        }
        await context.DoneAsync(SymbolReplies.NoInfo).ConfigureAwait(false);
    }
}
