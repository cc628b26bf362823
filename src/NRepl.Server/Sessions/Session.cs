using System.Threading.Channels;
using NRepl.Server.Connections;

namespace NRepl.Server.Sessions;

/// <summary>
/// An nREPL session: its namespace, the connection its output goes to, the last error, and a serial eval
/// queue. Sessions belong to the server, not to a connection, so they survive reconnects.
/// </summary>
/// <remarks>
/// Evals run one at a time in arrival order on one loop (nREPL's <c>session-exec</c>); control ops
/// (<c>interrupt</c>, <c>stdin</c>, probes) never go through the queue. The loop starts with the first eval.
/// </remarks>
internal sealed class Session
{
    // Guards _pending, _running, _loop and _closed: the queue's bookkeeping must change together.
    private readonly object _gate = new();
    private readonly Channel<QueuedEval> _queue = Channel.CreateUnbounded<QueuedEval>(new UnboundedChannelOptions { SingleReader = true });
    private readonly LinkedList<QueuedEval> _pending = new();
    private QueuedEval? _running;
    private Task? _loop;
    private bool _closed;

    private string _ns;
    private IReplyChannel? _connection;
    private string? _lastErrorText;

    public Session(string id, string ns, bool isEphemeral, long sequence)
    {
        Id = id;
        _ns = ns;
        IsEphemeral = isEphemeral;
        Sequence = sequence;
    }

    /// <summary>Lowercase UUID.</summary>
    public string Id { get; }

    /// <summary>Made for one session-less request and discarded after it; not listed, not interruptible.</summary>
    public bool IsEphemeral { get; }

    /// <summary>Creation order, for a stable <c>ls-sessions</c> listing.</summary>
    public long Sequence { get; }

    /// <summary>The session's current namespace ("user" until an eval names another).</summary>
    public string Ns
    {
        get => Volatile.Read(ref _ns);
        set => Volatile.Write(ref _ns, value);
    }

    private long _unaskedStdin;

    /// <summary>
    /// Counts stdin sent to the session's evals against <paramref name="limit"/> (0: none); false, counting
    /// nothing, when it would pass it. <see cref="InputAsked"/> starts the count again.
    /// </summary>
    public bool TryAddStdin(long length, long limit)
    {
        while (true)
        {
            var before = Volatile.Read(ref _unaskedStdin);
            if (limit > 0 && before + length > limit) return false;
            if (Interlocked.CompareExchange(ref _unaskedStdin, before + length, before) == before) return true;
        }
    }

    /// <summary>An eval asked for input (need-input): what was sent before has been read.</summary>
    public void InputAsked() => Volatile.Write(ref _unaskedStdin, 0);

    /// <summary>The connection whose clone made this session (the per-connection session limit counts them).</summary>
    public IReplyChannel? CreatedBy { get; set; }

    /// <summary>The connection that last sent a request for this session: where eval output goes.</summary>
    public IReplyChannel? Connection
    {
        get => Volatile.Read(ref _connection);
        set => Volatile.Write(ref _connection, value);
    }

    /// <summary>The err text of the last failed eval (CIDER's <c>print-cause-trace</c> probe shows it).</summary>
    public string? LastErrorText
    {
        get => Volatile.Read(ref _lastErrorText);
        set => Volatile.Write(ref _lastErrorText, value);
    }

    /// <summary>True once an eval was queued: the evaluator may hold state for this session.</summary>
    public bool HasEvaluated { get; private set; }

    /// <summary>The id of the eval running now, or null when the session is idle.</summary>
    public string? RunningEvalId
    {
        get
        {
            lock (_gate)
            {
                return _running?.EvalId;
            }
        }
    }

    /// <summary>Completes when the eval loop has ended after close (at once if no eval was ever queued).</summary>
    public Task Stopped
    {
        get
        {
            lock (_gate)
            {
                return _loop ?? Task.CompletedTask;
            }
        }
    }

    /// <summary>
    /// Queues <paramref name="item"/> behind the session's earlier evals and returns its completion.
    /// On a closed session the item is answered as cancelled at once.
    /// </summary>
    public Task Enqueue(QueuedEval item)
    {
        lock (_gate)
        {
            if (!_closed)
            {
                HasEvaluated = true;
                _pending.AddLast(item);
                _queue.Writer.TryWrite(item);
                _loop ??= StartLoop();
                return item.Completion;
            }
        }

        return item.TryCancel() ? item.AnswerCancelledAsync() : item.Completion;
    }

    /// <summary>
    /// Removes the queued (not yet running) eval <paramref name="evalId"/> and sends its cancelled replies.
    /// False if no such eval is waiting.
    /// </summary>
    public async Task<bool> CancelQueuedAsync(string evalId)
    {
        QueuedEval? found = null;
        lock (_gate)
        {
            for (var node = _pending.First; node is not null; node = node.Next)
            {
                if (node.Value.EvalId == evalId && node.Value.TryCancel())
                {
                    found = node.Value;
                    _pending.Remove(node);
                    break;
                }
            }
        }

        if (found is null)
        {
            return false;
        }

        await found.AnswerCancelledAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Closes the queue: queued evals are answered as cancelled (awaited here), the running one is
    /// interrupted through <paramref name="interrupt"/> and its token. Wait on <see cref="Stopped"/> for it to end.
    /// Idempotent.
    /// </summary>
    public async Task CloseAsync(Action<string, string>? interrupt)
    {
        List<QueuedEval> cancelled = [];
        QueuedEval? running;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            foreach (var item in _pending)
            {
                if (item.TryCancel())
                {
                    cancelled.Add(item);
                }
            }

            _pending.Clear();
            running = _running;
            _queue.Writer.TryComplete();
        }

        foreach (var item in cancelled)
        {
            await item.AnswerCancelledAsync().ConfigureAwait(false);
        }

        if (running is not null)
        {
            interrupt?.Invoke(Id, running.EvalId);
            running.Cancellation.Cancel();
        }
    }

    // The loop outlives the request that started it: do not let it inherit that request's log scope.
    private Task StartLoop()
    {
        using (ExecutionContext.SuppressFlow())
        {
            return Task.Run(RunLoopAsync);
        }
    }

    private async Task RunLoopAsync()
    {
        await foreach (var item in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            lock (_gate)
            {
                _pending.Remove(item);
                if (!item.TryStart())
                {
                    continue; // cancelled while queued; its replies were sent by the canceller
                }

                _running = item;
            }

            try
            {
                await item.RunAsync().ConfigureAwait(false);
            }
            finally
            {
                lock (_gate)
                {
                    _running = null;
                }
            }
        }
    }
}
