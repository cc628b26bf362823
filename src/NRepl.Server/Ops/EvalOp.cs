using NRepl.Server.Dispatch;
using NRepl.Server.Evaluation;
using NRepl.Server.Sessions;

namespace NRepl.Server.Ops;

/// <summary>
/// <c>eval</c>: runs C# in the session's live world. Any <c>ns</c> is accepted and becomes the session's
/// namespace (clients echo back the last <c>ns</c> they saw, so it must never be refused). Client probes
/// (Clojure forms sent by CIDER and Calva) are answered without evaluating.
/// </summary>
internal sealed class EvalOp : IOpHandler
{
    private readonly EvalRunner _runner;

    public EvalOp(EvalRunner runner) => _runner = runner;

    public OpDescriptor Descriptor { get; } = new(
        "eval",
        "Evaluates C# code: statements, declarations and a trailing expression whose value is returned. Evaluations in one session run one at a time, in order.",
        new Dictionary<string, string> { ["code"] = "The code to be evaluated." },
        new Dictionary<string, string>
        {
            ["session"] = "The ID of the session within which to evaluate the code (an ephemeral session without it).",
            ["id"] = "An opaque message ID that will be included in responses related to the evaluation, and which may be used to restrict the scope of a later \"interrupt\" operation.",
            ["ns"] = "The C# namespace declarations go into; becomes the session's namespace. Defaults to the session's current namespace (\"user\").",
            ["file"] = "Path of the file containing the code, for diagnostics.",
            ["line"] = "1-based line of the code's first character in file.",
            ["column"] = "1-based column of the code's first character.",
            [PrintOptions.OptionsKey] = "Map of print limits: right-margin, length (items per collection), level (nesting depth).",
            [PrintOptions.QuotaKey] = "A hard limit on the number of characters printed for each value.",
        },
        new Dictionary<string, string>
        {
            ["value"] = "The printed result of the evaluation (C#-style).",
            ["ns"] = "The session's namespace after the evaluation.",
            ["out"] = "Text written to standard output.",
            ["err"] = "Text written to standard error, and error reports.",
            ["ex"] = "The type of the exception or failure, when the evaluation failed.",
            ["root-ex"] = "The type of the innermost exception, when the evaluation failed.",
        });

    public async Task HandleAsync(ResponseContext context, CancellationToken cancellationToken)
    {
        var request = context.Request;
        var code = request.GetString("code");
        if (code is null)
        {
            await context.DoneAsync(Status.Error, Status.NoCode).ConfigureAwait(false);
            return;
        }

        if (RequestFields.OptionalString(request, "ns") is { } ns)
        {
            context.Session.Ns = ns;
        }

        if (ClientProbes.Match(code) is { } probe)
        {
            await ClientProbes.ReplyAsync(context, probe).ConfigureAwait(false);
            return;
        }

        var evalRequest = new EvalRequest(
            EvalId: context.RequestId ?? "",
            SessionId: context.Session.Id,
            Code: code,
            Ns: context.Session.Ns,
            FilePath: RequestFields.OptionalString(request, "file"),
            Line: RequestFields.Position(request, "line"),
            Column: RequestFields.Position(request, "column"),
            IsLoadFile: false,
            RecordResult: true,
            Print: PrintOptions.FromRequest(request));
        await _runner.RunAsync(context, evalRequest).ConfigureAwait(false);
    }
}
