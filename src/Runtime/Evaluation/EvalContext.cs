using NRepl.Runtime.Contract;
using NRepl.Runtime.IO;

namespace NRepl.Runtime.Evaluation;

/// <summary>
/// One eval: its ids, its output buffers and its interrupt state. It flows as an
/// <see cref="AsyncLocal{T}"/> into everything the eval starts (threads, tasks, timers), which is how
/// their console output and stdin reads are attributed to the eval and its session.
/// </summary>
internal sealed class EvalContext
{
    private const int Running = 0;
    private const int Finishing = 1;

    private static readonly AsyncLocal<EvalContext?> s_current = new();

    /// <summary>
    /// The eval whose own thread this is, while its user code runs. Thread-static rather than the
    /// flowing context because only the eval thread may be interrupted, never threads it started.
    /// </summary>
    [ThreadStatic] private static EvalContext? t_runningOnThisThread;

    private readonly object _gate = new();
    private int _state;
    private volatile bool _interruptRequested;
    private int _completionClaimed;
    private Thread? _thread;
    private Timer? _graceTimer;

    public EvalContext(long evalId, string sessionId, Action<TargetMessage> post)
    {
        EvalId = evalId;
        SessionId = sessionId;
        Out = new OutputBuffer(evalId, sessionId, OutputStream.Out, post);
        Err = new OutputBuffer(evalId, sessionId, OutputStream.Err, post);
    }

    public long EvalId { get; }

    public string SessionId { get; }

    public OutputBuffer Out { get; }

    public OutputBuffer Err { get; }

    /// <summary>The eval whose execution context the caller runs in (its threads and timers included).</summary>
    public static EvalContext? Current => s_current.Value;

    /// <summary>The eval whose user code this very thread is running, or null.</summary>
    public static EvalContext? RunningOnThisThread => t_runningOnThisThread;

    public bool InterruptRequested => _interruptRequested;

    /// <summary>Called first thing on the eval's own thread.</summary>
    public void AttachToCurrentThread()
    {
        s_current.Value = this;
        t_runningOnThisThread = this;
        lock (_gate)
        {
            _thread = Thread.CurrentThread;
            // An interrupt that came before the thread ran could not reach it: deliver it now, so a
            // a sleep or a wait in code without loop checks still ends.
            if (_interruptRequested) _thread.Interrupt();
        }
    }

    /// <summary>
    /// Makes this the context of the calling thread for output and for the loop checks, without letting
    /// an interrupt break the thread's waits: for runtime threads that run user code in the middle of
    /// their own work (a migration), where a ThreadInterruptedException could land in the runtime's locks.
    /// </summary>
    public void AttachCooperatively()
    {
        s_current.Value = this;
        t_runningOnThisThread = this;
    }

    /// <summary>
    /// Requests an interrupt: sets the flag the loop checks read, raises
    /// <see cref="CompilerHooks.InterruptPending"/> and breaks a sleep or wait the eval thread is in.
    /// Returns false when the eval is already finishing or was already interrupted.
    /// </summary>
    public bool RequestInterrupt(TimeSpan grace, Action<EvalContext> onGraceExpired)
    {
        lock (_gate)
        {
            if (_state != Running || _interruptRequested) return false;
            _interruptRequested = true;
#pragma warning disable CS0420 // Interlocked operations on a volatile field are atomic; the warning is about plain ref passing.
            Interlocked.Increment(ref CompilerHooks.InterruptPending);
#pragma warning restore CS0420
            // Thread.Interrupt is sent only while Running (under _gate), so after EnterFinishing no new one can
            // arrive and the eval thread can clear a pending one for good.
            _thread?.Interrupt();
            _graceTimer = new Timer(static s => ((Action)s!)(), (Action)(() => onGraceExpired(this)), grace, Timeout.InfiniteTimeSpan);
        }
        return true;
    }

    /// <summary>
    /// Called on the eval thread when the user code (and printing the value) is over: no interrupt can
    /// be sent to the thread after this, and a pending one is consumed so it cannot fire inside the
    /// runtime's own bookkeeping.
    /// </summary>
    public void EnterFinishing()
    {
        t_runningOnThisThread = null;
        while (true)
        {
            try
            {
                lock (_gate)
                {
                    _state = Finishing;
                    _graceTimer?.Dispose();
                }
                break;
            }
            catch (ThreadInterruptedException)
            {
                // The interrupter held _gate while interrupting us; the state is unchanged, so retry.
            }
        }
        ClearPendingThreadInterrupt();
    }

    /// <summary>
    /// Exactly one <see cref="EvalCompleted"/> is sent per eval: either the eval thread or the grace timer
    /// (which abandons the thread) claims it.
    /// </summary>
    public bool TryClaimCompletion() => Interlocked.Exchange(ref _completionClaimed, 1) == 0;

    /// <summary>Balances the increment of <see cref="CompilerHooks.InterruptPending"/>; called when the eval thread ends.</summary>
    public void OnThreadEnded()
    {
        if (_interruptRequested)
        {
#pragma warning disable CS0420
            Interlocked.Decrement(ref CompilerHooks.InterruptPending);
#pragma warning restore CS0420
        }
    }

    /// <summary>Sends everything the eval wrote so far; called before its completion and before asking for input.</summary>
    public void FlushOutput()
    {
        Out.Flush();
        Err.Flush();
    }

    private static void ClearPendingThreadInterrupt()
    {
        // A zero-timeout Monitor.Wait is an alertable wait: it throws (and so consumes) a pending
        // Thread.Interrupt without blocking. The object is private, so the lock is never contended.
        var probe = new object();
        lock (probe)
        {
            try
            {
                Monitor.Wait(probe, 0);
            }
            catch (ThreadInterruptedException)
            {
                // Consumed, which is the point.
            }
        }
    }
}
