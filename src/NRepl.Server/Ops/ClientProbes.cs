using NRepl.Server.Dispatch;

namespace NRepl.Server.Ops;

/// <summary>
/// Clojure forms that stock clients send whatever the server's language is, answered here with canned
/// replies so the client's connect and error flows complete. Probes never reach the evaluator and never
/// change a session's last values or last error. Matched after collapsing whitespace runs to one space,
/// since CIDER and Calva format the same form differently. None of these strings is valid C#.
/// Sources: research/nrepl-protocol.md §2.1, §2.5, §3.1 and research/clients.md.
/// </summary>
internal static class ClientProbes
{
    internal enum Answer
    {
        /// <summary><c>{value: &lt;session ns&gt;, ns}</c> then <c>done</c>.</summary>
        CurrentNs,

        /// <summary><c>{value: "nil", ns}</c> then <c>done</c>.</summary>
        Nil,

        /// <summary><c>{out: &lt;session's last error text&gt;}</c> then <c>done</c>.</summary>
        LastErrorTrace,

        /// <summary><c>{out: "nil\n"}</c> then <c>done</c>.</summary>
        PrintNil,
    }

    private static readonly Dictionary<string, Answer> Table = new(StringComparer.Ordinal)
    {
        // Calva: first request after connecting, with no session; it waits for done before cloning.
        ["*ns*"] = Answer.CurrentNs,

        // CIDER's cider-repl-init-code after connect (a newline and two spaces before "(clojure.core/apply"),
        // and Calva's calva.autoEvaluateCode.onConnect.clj default (one line): both normalise to this.
        ["(when-let [requires (resolve 'clojure.main/repl-requires)] (clojure.core/apply clojure.core/require @requires))"] = Answer.Nil,

        // CIDER with cider-repl-init-code set to nil still evaluates "nil" so the REPL learns its namespace.
        ["nil"] = Answer.Nil,

        // CIDER's error handler (cider-default-err-handler) after an eval-error, without cider-nrepl:
        // first checks that clojure.stacktrace loads (on the tooling session) ...
        ["(require 'clojure.stacktrace)"] = Answer.Nil,

        // ... then shows the out of this form in *cider-error* (main session) ...
        ["(clojure.stacktrace/print-cause-trace *e)"] = Answer.LastErrorTrace,

        // ... or, when the library check fails, the out of this one.
        ["(println (ex-data *e))"] = Answer.PrintNil,
    };

    /// <summary>The canned answer for <paramref name="code"/>, or null when it is not a client probe.</summary>
    public static Answer? Match(string code) => Table.TryGetValue(Normalize(code), out var answer) ? answer : null;

    /// <summary>Sends the replies of <paramref name="answer"/>, <c>done</c> included.</summary>
    public static async Task ReplyAsync(ResponseContext context, Answer answer)
    {
        var session = context.Session;
        switch (answer)
        {
            case Answer.CurrentNs:
                await context.SendAsync(new() { ["value"] = session.Ns, ["ns"] = session.Ns }).ConfigureAwait(false);
                break;
            case Answer.Nil:
                await context.SendAsync(new() { ["value"] = "nil", ["ns"] = session.Ns }).ConfigureAwait(false);
                break;
            case Answer.LastErrorTrace when session.LastErrorText is { } text:
                await context.SendAsync(new() { ["out"] = EvalReplies.WithTrailingNewline(text) }).ConfigureAwait(false);
                break;
            case Answer.PrintNil:
                await context.SendAsync(new() { ["out"] = "nil\n" }).ConfigureAwait(false);
                break;
        }

        await context.DoneAsync().ConfigureAwait(false);
    }

    private static string Normalize(string code) =>
        string.Join(' ', code.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
