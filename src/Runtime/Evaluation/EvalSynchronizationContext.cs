namespace NRepl.Runtime.Evaluation;

/// <summary>
/// Single-threaded context installed on an eval thread: continuations of the eval's awaits are posted
/// here and run on the eval thread by <see cref="PumpUntil"/>, so an async eval stays on one thread
/// (interrupt checks are by thread) just like a synchronous one.
/// </summary>
internal sealed class EvalSynchronizationContext : SynchronizationContext
{
    private readonly object _gate = new();
    private readonly Queue<(SendOrPostCallback Callback, object? State)> _queue = new();
    private readonly Thread _owner;
    private bool _pumpTaskDone;
    private bool _closed;

    public EvalSynchronizationContext(Thread owner) => _owner = owner;

    public override void Post(SendOrPostCallback d, object? state)
    {
        lock (_gate)
        {
            if (!_closed)
            {
                _queue.Enqueue((d, state));
                Monitor.Pulse(_gate);
                return;
            }
        }
        // The eval is over (its thread is gone); fire-and-forget work it left behind still runs, on the pool.
        ThreadPool.QueueUserWorkItem(static s => s.d(s.state), (d, state), preferLocal: false);
    }

    public override void Send(SendOrPostCallback d, object? state)
    {
        if (Thread.CurrentThread == _owner)
        {
            d(state);
            return;
        }
        using var done = new ManualResetEventSlim();
        Exception? error = null;
        Post(_ =>
        {
            try { d(state); }
            catch (Exception e) { error = e; }
            finally { done.Set(); }
        }, null);
        done.Wait();
        if (error is not null) throw error;
    }

    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Runs posted callbacks on the calling (eval) thread until <paramref name="task"/> has completed.</summary>
    public void PumpUntil(Task task)
    {
        task.ContinueWith(static (_, s) =>
        {
            var self = (EvalSynchronizationContext)s!;
            lock (self._gate)
            {
                self._pumpTaskDone = true;
                Monitor.Pulse(self._gate);
            }
        }, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        while (true)
        {
            (SendOrPostCallback Callback, object? State) item;
            lock (_gate)
            {
                while (_queue.Count == 0 && !_pumpTaskDone) Monitor.Wait(_gate);
                if (_queue.Count == 0) return;
                item = _queue.Dequeue();
            }
            item.Callback(item.State);
        }
    }

    /// <summary>The eval thread is leaving: later posts go to the thread pool, and queued ones are handed over.</summary>
    public void Close()
    {
        (SendOrPostCallback Callback, object? State)[] leftovers;
        lock (_gate)
        {
            _closed = true;
            leftovers = _queue.ToArray();
            _queue.Clear();
        }
        foreach (var item in leftovers)
        {
            ThreadPool.QueueUserWorkItem(static s => s.Callback(s.State), item, preferLocal: false);
        }
    }
}
