using System.Collections.Concurrent;
using System.Threading.Channels;
using NRepl.Server.Evaluation;

namespace NRepl.Server.Tests.Support;

/// <summary>
/// An in-memory <see cref="ILiveEvaluator"/>. By default every eval answers at once with <see cref="Outcome"/>;
/// with <see cref="Hold"/> set, each eval waits until the test completes it (see <see cref="NextStartedAsync"/>).
/// </summary>
internal sealed class FakeEvaluator : ILiveEvaluator
{
    private readonly Channel<PendingEval> _started = Channel.CreateUnbounded<PendingEval>();
    private readonly ConcurrentDictionary<(string Session, string Eval), PendingEval> _running = new();
    private readonly TaskCompletionSource<string> _forgotten = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Evals stay running until completed by the test or interrupted.</summary>
    public bool Hold { get; set; }

    /// <summary>The answer of evals that are not held.</summary>
    public Func<EvalRequest, EvalOutcome> Outcome { get; set; } = _ => new EvalOutcome.Value("42", false);

    /// <summary>Runs at the start of each eval (e.g. to write output through ISessionOutput).</summary>
    public Action<EvalRequest>? OnEval { get; set; }

    public ConcurrentQueue<EvalRequest> Requests { get; } = new();

    public ConcurrentQueue<(string Session, string Eval)> Interrupts { get; } = new();

    public ConcurrentQueue<(string Session, string Text)> StdinReceived { get; } = new();

    public ConcurrentQueue<string> Forgotten { get; } = new();

    /// <summary>Completes with the first session id passed to ForgetSession.</summary>
    public Task<string> FirstForgotten => _forgotten.Task;

    public async Task<EvalOutcome> EvaluateAsync(EvalRequest request, CancellationToken ct)
    {
        Requests.Enqueue(request);
        OnEval?.Invoke(request);
        if (!Hold)
        {
            return Outcome(request);
        }

        var pending = new PendingEval(request);
        _running[(request.SessionId, request.EvalId)] = pending;
        _started.Writer.TryWrite(pending);
        using var registration = ct.Register(() => pending.Complete(new EvalOutcome.Interrupted("cancelled")));
        try
        {
            return await pending.Outcome.ConfigureAwait(false);
        }
        finally
        {
            _running.TryRemove((request.SessionId, request.EvalId), out _);
        }
    }

    public void Interrupt(string sessionId, string evalId)
    {
        Interrupts.Enqueue((sessionId, evalId));
        if (_running.TryGetValue((sessionId, evalId), out var pending))
        {
            pending.Complete(new EvalOutcome.Interrupted(null));
        }
    }

    public void Stdin(string sessionId, string text) => StdinReceived.Enqueue((sessionId, text));

    /// <summary>Restarts invoked through the live/restart op: (condition id, restart, value).</summary>
    public ConcurrentQueue<(string ConditionId, string Restart, string? Value)> Restarts { get; } = new();

    /// <summary>What InvokeRestart answers: null accepts, a text refuses.</summary>
    public Func<string, string?> RestartAnswer { get; set; } = _ => null;

    /// <summary>What CompleteAsync answers, by prefix.</summary>
    public Func<string, IReadOnlyList<Completion>> Completions { get; set; } = _ => [];

    public Task<IReadOnlyList<Completion>> CompleteAsync(string sessionId, string ns, string prefix, CancellationToken ct) => Task.FromResult(Completions(prefix));

    /// <summary>What LookupAsync answers, by symbol.</summary>
    public Func<string, SymbolDocs?> Docs { get; set; } = _ => null;

    public Task<SymbolDocs?> LookupAsync(string ns, string symbol, CancellationToken ct) => Task.FromResult(Docs(symbol));

    public string? InvokeRestart(string conditionId, string restart, string? value)
    {
        Restarts.Enqueue((conditionId, restart, value));
        return RestartAnswer(conditionId);
    }

    public void ForgetSession(string sessionId)
    {
        Forgotten.Enqueue(sessionId);
        _forgotten.TrySetResult(sessionId);
    }

    /// <summary>The next held eval that started running.</summary>
    public async Task<PendingEval> NextStartedAsync()
    {
        using var deadline = Deadline.Start();
        return await _started.Reader.ReadAsync(deadline.Token).ConfigureAwait(false);
    }

    /// <summary>True if a held eval has started and not yet been taken by <see cref="NextStartedAsync"/>.</summary>
    public bool HasUnclaimedStart => _started.Reader.Count > 0;

    internal sealed class PendingEval(EvalRequest request)
    {
        private readonly TaskCompletionSource<EvalOutcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public EvalRequest Request { get; } = request;

        public Task<EvalOutcome> Outcome => _outcome.Task;

        public void Complete(EvalOutcome outcome) => _outcome.TrySetResult(outcome);
    }
}
