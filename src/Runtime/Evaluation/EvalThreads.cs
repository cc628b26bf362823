namespace NRepl.Runtime.Evaluation;

/// <summary>
/// The threads evals run on: large stacks, reused. Starting a thread with a 16 MiB stack took about 0.7 ms,
/// a third of a small eval's round trip, so a thread whose eval ended cleanly waits for the next eval
/// instead of exiting. Each eval runs in a clean execution context (no AsyncLocal, culture or
/// synchronization context of an earlier eval carries over) on a background thread of normal priority.
/// </summary>
internal sealed class EvalThreads
{
    private readonly int _stackBytes;
    private readonly int _maxIdle;
    private readonly Stack<Worker> _idle = new();

    /// <param name="maxIdle">Threads kept waiting; more ended evals let their threads exit (a deep recursion leaves its stack committed).</param>
    public EvalThreads(int stackBytes, int maxIdle)
    {
        _stackBytes = stackBytes;
        _maxIdle = maxIdle;
    }

    /// <summary>Runs <paramref name="work"/> on an eval thread; it returns whether the thread may serve another eval.</summary>
    public void Run(string name, Func<bool> work)
    {
        Worker? worker;
        lock (_idle) _idle.TryPop(out worker);
        if (worker is not null)
        {
            worker.Assign(name, work);
            return;
        }
        worker = new Worker(this, name, work);
        var thread = new Thread(worker.Loop, _stackBytes) { IsBackground = true, Name = name };
        // Nothing of the caller's execution context may flow into the eval.
        using (ExecutionContext.SuppressFlow())
        {
            thread.Start();
        }
    }

    private bool ReturnIdle(Worker worker)
    {
        lock (_idle)
        {
            if (_idle.Count >= _maxIdle) return false;
            _idle.Push(worker);
            return true;
        }
    }

    private sealed class Worker(EvalThreads owner, string name, Func<bool> work)
    {
        private readonly SemaphoreSlim _assigned = new(0);
        private string _name = name;
        private Func<bool>? _work = work;

        public void Assign(string name, Func<bool> work)
        {
            _name = name;
            _work = work;
            _assigned.Release();
        }

        public void Loop()
        {
            var thread = Thread.CurrentThread;
            var clean = ExecutionContext.Capture()!; // the thread's own, empty: flow was suppressed at its start
            while (true)
            {
                var work = _work!;
                _work = null;
                thread.Name = _name;
                var reusable = false;
                ExecutionContext.Run(clean, _ => reusable = work(), null);
                thread.IsBackground = true;
                thread.Priority = ThreadPriority.Normal;
                if (!reusable || !owner.ReturnIdle(this)) return;
                WaitForWork();
            }
        }

        private void WaitForWork()
        {
            while (true)
            {
                try
                {
                    _assigned.Wait();
                    return;
                }
                catch (ThreadInterruptedException)
                {
                    // A stray interrupt meant for the eval this thread ran: it is over, keep waiting.
                }
            }
        }
    }
}
