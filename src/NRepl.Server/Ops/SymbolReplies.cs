using NRepl.Server.Dispatch;
using NRepl.Server.Evaluation;
using NRepl.Server.Sessions;

namespace NRepl.Server.Ops;

/// <summary>What <c>lookup</c>, <c>info</c> and <c>eldoc</c> share: the name from the request, its documentation from the live world, and the keys clients read.</summary>
internal static class SymbolReplies
{
    public const string NoInfo = "no-info";

    public static readonly IReadOnlyDictionary<string, string> Keys = new Dictionary<string, string>
    {
        ["name"] = "The member's or type's name.",
        ["ns"] = "Where it is declared: the containing type, or the namespace.",
        ["type"] = "Its kind: method, property, field, local, class, namespace...",
        ["arglists-str"] = "Its C# signature; one line per overload.",
        ["doc"] = "The summary of its documentation comment (XML docs, or the /// comment of a world definition).",
        ["file"] = "For a definition loaded from a file: a file:/// URI; with line and column (1-based).",
    };

    /// <summary>The name the request asks about (CIDER and Neat send sym, Calva symbol) and its documentation, or null.</summary>
    public static async Task<SymbolDocs?> FindAsync(ResponseContext context, EvaluatorAccessor evaluator, CancellationToken cancellationToken)
    {
        var name = RequestFields.OptionalString(context.Request, "sym", "symbol");
        if (name is null || evaluator.Evaluator is not { } live) return null;
        var ns = RequestFields.OptionalString(context.Request, "ns") ?? context.Session.Ns;
        return await live.LookupAsync(ns, name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The flat map of keys (info's reply, lookup's <c>info</c>); absent values are left out.</summary>
    public static Dictionary<string, object?> Fields(SymbolDocs docs)
    {
        var fields = new Dictionary<string, object?>
        {
            ["name"] = docs.Name,
            ["type"] = docs.Type,
            ["arglists-str"] = string.Join("\n", docs.Signatures),
        };
        if (docs.Ns is not null) fields["ns"] = docs.Ns;
        if (docs.Doc is not null) fields["doc"] = docs.Doc;
        if (docs.File is not null) fields["file"] = docs.File;
        if (docs.Line is { } line) fields["line"] = (long)line;
        if (docs.Column is { } column) fields["column"] = (long)column;
        return fields;
    }
}
