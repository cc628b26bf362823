using System.Collections.Concurrent;
using NRepl.Runtime.Contract;
using NRepl.Runtime.Evaluation;

namespace NRepl.Runtime.Migration;

/// <summary>
/// Runs the steps of live migrations (prepare, commit, hooks, condition handlers) one at a time, in the
/// order they arrive, on a thread of their own. The message loop stays free meanwhile, so an initializer
/// or hook that never ends cannot wedge the target: interrupts, stdin and new evals still get through,
/// and an interrupt of the redefining eval stops that user code at its next loop or method-entry check.
/// Each step runs as the eval that asked for it, so what user code prints reaches that eval.
/// </summary>
internal sealed class MigrationWorker
{
    // Deep enough for user initializers and hooks; the stack guard turns runaway recursion into an exception.
    private const int StackBytes = 16 * 1024 * 1024;

    private readonly BlockingCollection<(long EvalId, string SessionId, Action Step)> _steps = new();
    private readonly Action<TargetMessage> _post;
    private readonly object _lock = new();
    private EvalContext? _running;

    public MigrationWorker(Action<TargetMessage> post)
    {
        _post = post;
        new Thread(Run, StackBytes) { IsBackground = true, Name = "live migration" }.Start();
    }

    /// <summary>Queues a step to run as the eval <paramref name="evalId"/> of <paramref name="sessionId"/> (0 and "": none).</summary>
    public void Post(long evalId, string sessionId, Action step) => _steps.Add((evalId, sessionId, step));

    /// <summary>Interrupts the user code of the running step if it runs for <paramref name="evalId"/>; false otherwise.</summary>
    public bool Interrupt(long evalId)
    {
        lock (_lock)
        {
            if (_running is not { } running || evalId == 0 || running.EvalId != evalId) return false;
            // No grace: the step is runtime code that ends by itself once the user code has stopped.
            running.RequestInterrupt(Timeout.InfiniteTimeSpan, static _ => { });
            return true;
        }
    }

    private void Run()
    {
        foreach (var (evalId, sessionId, step) in _steps.GetConsumingEnumerable())
        {
            var context = new EvalContext(evalId, sessionId, _post);
            lock (_lock) _running = context;
            context.AttachCooperatively();
            try
            {
                step();
            }
            catch (Exception e)
            {
                _post(new Log(LogSeverity.Error, $"A migration step failed: {e}"));
            }
            finally
            {
                lock (_lock) _running = null;
                context.EnterFinishing();
                context.OnThreadEnded();
                context.FlushOutput();
            }
        }
    }
}
