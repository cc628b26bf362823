using NRepl.Server.Dispatch;
using NRepl.Server.Sessions;

namespace NRepl.Server.Ops;

/// <summary>
/// <c>eldoc</c> (cider-nrepl's op): the parameter lists of a method's overloads (<c>eldoc</c>, a list of lists of
/// "type name" strings) with its name, ns, kind, signatures and doc, for a signature line while typing a call.
/// </summary>
internal sealed class EldocOp : IOpHandler
{
    public const string NoEldoc = "no-eldoc";

    private readonly EvaluatorAccessor _evaluator;

    public EldocOp(EvaluatorAccessor evaluator) => _evaluator = evaluator;

    public OpDescriptor Descriptor { get; } = new(
        "eldoc",
        "Parameter lists and signatures of a C# method (each overload) or the type of another member, for an echo-area signature.",
        new Dictionary<string, string> { ["sym"] = "The name, e.g. \"Console.WriteLine\" (symbol is accepted too)." },
        new Dictionary<string, string> { ["ns"] = "The namespace to look in; defaults to the session's." },
        new Dictionary<string, string>
        {
            ["eldoc"] = "A list with one list of parameters (\"type name\") per overload; empty for a member that is not a method.",
            ["name"] = "The name.",
            ["ns"] = "The containing type or namespace.",
            ["type"] = "\"function\" for methods, else \"variable\".",
            ["arglists-str"] = "The C# signatures, one per line.",
            ["docstring"] = "The summary of its documentation comment (also as doc).",
            ["file"] = "For a definition loaded from a file: a file:/// URI; with line and column (1-based).",
        });

    public async Task HandleAsync(ResponseContext context, CancellationToken cancellationToken)
    {
        if (await SymbolReplies.FindAsync(context, _evaluator, cancellationToken).ConfigureAwait(false) is not { } docs)
        {
            await context.DoneAsync(NoEldoc).ConfigureAwait(false);
            return;
        }
        // The keys of lookup (name, ns, arglists-str, doc, file, line, column), in cider-nrepl's eldoc shape on top.
        var fields = SymbolReplies.Fields(docs);
        fields["eldoc"] = docs.Parameters.Select(p => (object?)p.ToList()).ToList();
        fields["type"] = docs.Type == "method" ? "function" : "variable";
        if (docs.Doc is not null) fields["docstring"] = docs.Doc;
        await context.DoneWithAsync(fields).ConfigureAwait(false);
    }
}
