namespace NRepl.Server.Sessions;

/// <summary>
/// One eval waiting in (or taken from) a session's queue. It either runs or is cancelled while still
/// queued, never both: the state moves once, from Queued to Running or to Cancelled, by compare-and-swap.
/// </summary>
internal sealed class QueuedEval
{
    private const int Queued = 0;
    private const int Running = 1;
    private const int Cancelled = 2;

    private readonly Func<CancellationToken, Task> _run;
    private readonly Func<Task> _answerCancelled;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;

    /// <param name="evalId">The eval's request id ("" when the client sent none).</param>
    /// <param name="run">Evaluates and sends every reply, <c>done</c> included, before completing.</param>
    /// <param name="answerCancelled">Sends the replies of an eval cancelled before it started.</param>
    public QueuedEval(string evalId, Func<CancellationToken, Task> run, Func<Task> answerCancelled)
    {
        EvalId = evalId;
        _run = run;
        _answerCancelled = answerCancelled;
    }

    public string EvalId { get; }

    /// <summary>Completes once the eval's replies have been handed to the connection (or faults with the run's exception).</summary>
    public Task Completion => _completion.Task;

    /// <summary>Cancelled by close and shutdown; evaluators treat it as an interrupt. Not disposed: it has no timer.</summary>
    internal CancellationTokenSource Cancellation { get; } = new();

    internal bool TryStart() => Interlocked.CompareExchange(ref _state, Running, Queued) == Queued;

    internal bool TryCancel() => Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued;

    internal Task RunAsync() => CompleteWith(() => _run(Cancellation.Token));

    internal Task AnswerCancelledAsync() => CompleteWith(_answerCancelled);

    private async Task CompleteWith(Func<Task> work)
    {
        try
        {
            await work().ConfigureAwait(false);
            _completion.TrySetResult();
        }
        catch (Exception ex)
        {
            _completion.TrySetException(ex);
        }
    }
}
