using NRepl.Server.Dispatch;
using NRepl.Server.Sessions;

namespace NRepl.Server.Ops;

/// <summary>
/// What <c>completions</c> (CIDER, Neat) and <c>complete</c> (Calva, cider-nrepl style) share: the prefix in
/// the session's namespace (or the request's <c>ns</c>), answered as a <c>completions</c> list of
/// <c>{candidate, type, ns}</c> maps with <c>done</c>.
/// </summary>
internal static class CompletionReplies
{
    public static readonly IReadOnlyDictionary<string, string> Returns = new Dictionary<string, string>
    {
        ["completions"] = "A list of maps {candidate, type, ns}: type is method, property, field, event, class, struct, interface, enum, delegate, namespace, local or keyword; ns is the declaring type or namespace (absent for keywords).",
    };

    public static async Task AnswerAsync(ResponseContext context, EvaluatorAccessor evaluator, string? prefix, CancellationToken cancellationToken)
    {
        var ns = RequestFields.OptionalString(context.Request, "ns") ?? context.Session.Ns;
        IReadOnlyList<Evaluation.Completion> found = [];
        if (!string.IsNullOrEmpty(prefix) && evaluator.Evaluator is { } live)
        {
            found = await live.CompleteAsync(context.Session.Id, ns, prefix, cancellationToken).ConfigureAwait(false);
        }
        var completions = found.Select(c =>
        {
            var map = new Dictionary<string, object?> { ["candidate"] = c.Candidate, ["type"] = c.Type };
            if (c.Ns is not null) map["ns"] = c.Ns;
            return (object?)map;
        }).ToList();
        await context.DoneWithAsync(new Dictionary<string, object?> { ["completions"] = completions }).ConfigureAwait(false);
    }
}
