using NRepl.Server.Dispatch;
using NRepl.Server.Evaluation;

namespace NRepl.Server.Ops;

/// <summary>
/// <c>load-file</c>: the definitions that came from the file become exactly its contents. <c>file</c> holds
/// the contents (CIDER and Calva both send them); the path names the file in diagnostics. Replies like
/// <c>eval</c>, with the last value only.
/// </summary>
internal sealed class LoadFileOp : IOpHandler
{
    private readonly EvalRunner _runner;

    public LoadFileOp(EvalRunner runner) => _runner = runner;

    public OpDescriptor Descriptor { get; } = new(
        "load-file",
        "Loads a body of C# code, using supplied path and filename info to set source file and line number metadata. Replies with the last value only.",
        new Dictionary<string, string> { ["file"] = "Full contents of a file of code." },
        new Dictionary<string, string>
        {
            ["file-path"] = "Source-path-relative path of the source file (Calva also sends filePath).",
            ["file-name"] = "Name of source file (Calva also sends fileName).",
            [PrintOptions.OptionsKey] = "Map of print limits: right-margin, length, level.",
            [PrintOptions.QuotaKey] = "A hard limit on the number of characters printed for the value.",
        },
        new Dictionary<string, string>
        {
            ["value"] = "The printed result of the last form in the file.",
            ["ns"] = "The session's namespace.",
            ["out"] = "Text written to standard output.",
            ["err"] = "Text written to standard error, and error reports.",
            ["ex"] = "The type of the exception or failure, when loading failed.",
            ["root-ex"] = "The type of the innermost exception, when loading failed.",
        });

    public async Task HandleAsync(ResponseContext context, CancellationToken cancellationToken)
    {
        var request = context.Request;
        var contents = request.GetString("file");
        if (contents is null)
        {
            await context.DoneAsync(Status.Error, Status.NoCode).ConfigureAwait(false);
            return;
        }

        var path = RequestFields.OptionalString(request, "file-path", "filePath", "file-name", "fileName");
        var evalRequest = new EvalRequest(
            EvalId: context.RequestId ?? "",
            SessionId: context.Session.Id,
            Code: contents,
            Ns: context.Session.Ns,
            FilePath: path,
            Line: 1,
            Column: 1,
            IsLoadFile: true,
            RecordResult: true,
            Print: PrintOptions.FromRequest(request));
        await _runner.RunAsync(context, evalRequest).ConfigureAwait(false);
    }
}
