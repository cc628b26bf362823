using NRepl.Server.Dispatch;
using NRepl.Server.Evaluation;

namespace NRepl.Server.Ops;

/// <summary>
/// Turns an <see cref="EvalOutcome"/> into nREPL's reply sequence, shared by <c>eval</c> and <c>load-file</c>.
/// <c>value</c> and <c>done</c> are separate messages (CIDER before 2.0 lost its prompt otherwise, CIDER #3869),
/// and every sequence ends with exactly one <c>done</c>.
/// </summary>
internal static class EvalReplies
{
    public static async Task SendAsync(ResponseContext context, EvalOutcome outcome)
    {
        var session = context.Session;
        var ns = session.Ns;
        switch (outcome)
        {
            case EvalOutcome.Value value:
                var message = new Dictionary<string, object?> { ["value"] = value.Printed, ["ns"] = ns };
                if (value.Truncated)
                {
                    message["status"] = new[] { Status.PrintTruncated };
                }

                await context.SendAsync(message).ConfigureAwait(false);
                await context.DoneAsync().ConfigureAwait(false);
                break;

            case EvalOutcome.NoValue:
                await context.SendAsync(new() { ["ns"] = ns }).ConfigureAwait(false);
                await context.DoneAsync().ConfigureAwait(false);
                break;

            case EvalOutcome.Failed failed:
                session.LastErrorText = failed.ErrorText;
                await context.SendAsync(new() { ["err"] = WithTrailingNewline(failed.ErrorText) }).ConfigureAwait(false);
                await context.SendAsync(new()
                {
                    ["status"] = new[] { Status.EvalError },
                    ["ex"] = failed.Ex,
                    ["root-ex"] = failed.RootEx,
                    ["ns"] = ns,
                }).ConfigureAwait(false);
                await context.DoneWithAsync(new() { ["ns"] = ns }).ConfigureAwait(false);
                break;

            case EvalOutcome.Interrupted interrupted:
                await SendInterruptedAsync(context, interrupted.Note).ConfigureAwait(false);
                break;

            default:
                throw new InvalidOperationException($"Unknown eval outcome {outcome.GetType().Name}.");
        }
    }

    /// <summary>The interrupted eval's only terminal reply: <c>["interrupted","done"]</c> on the eval's id.</summary>
    public static async Task SendInterruptedAsync(ResponseContext context, string? note)
    {
        if (!string.IsNullOrEmpty(note))
        {
            await context.SendAsync(new() { ["err"] = WithTrailingNewline(note) }).ConfigureAwait(false);
        }

        await context.DoneWithAsync(new() { ["ns"] = context.Session.Ns }, Status.Interrupted).ConfigureAwait(false);
    }

    public static string WithTrailingNewline(string text) => text.EndsWith('\n') ? text : text + "\n";
}
