namespace NRepl.Runtime.Migration;

/// <summary>
/// Quiescence for live type migration (research/migration.md §7.8). PrepareMigration closes the gate,
/// Commit/Abort open it. While it is closed, work that passes a boundary waits there: a new eval before
/// its user code starts, a <see cref="Live.Every"/> loop before its next iteration.
/// </summary>
/// <remarks>
/// Code that is already running is NOT stopped: an eval in the middle of its body, or a thread the user
/// started, keeps running through prepare and commit. The CLR offers no safe way to suspend arbitrary
/// managed threads, and waiting for them to finish could wait forever (an endless loop is a normal
/// live-coding program). Only the iterations of <see cref="Live.Every"/> loops, which are short by
/// design, are drained before values are computed.
/// One gate per process: there is one world per target.
/// </remarks>
internal static class MigrationGate
{
    private static readonly object s_lock = new();
    private static volatile bool s_closed;
    private static int s_activeIterations;

    /// <summary>
    /// Raised (under the gate's lock: handlers must only signal) when a loop starts waiting at the closed
    /// gate. Lets tests prove a loop is parked without timing.
    /// </summary>
    internal static event Action? IterationParked;

    /// <summary>True between a PrepareMigration and its Commit/Abort.</summary>
    public static bool IsClosed => s_closed;

    /// <summary>Closes the gate; work reaching a boundary from now on waits for <see cref="Open"/>.</summary>
    public static void Close()
    {
        lock (s_lock) s_closed = true;
    }

    /// <summary>Opens the gate and releases everything waiting at it.</summary>
    public static void Open()
    {
        lock (s_lock)
        {
            s_closed = false;
            Monitor.PulseAll(s_lock);
        }
    }

    /// <summary>
    /// Blocks the calling eval thread while the gate is closed. The wait is alertable, so an interrupt
    /// of the eval (Thread.Interrupt) ends it with <see cref="ThreadInterruptedException"/>.
    /// </summary>
    public static void WaitWhileClosed()
    {
        if (!s_closed) return;
        lock (s_lock)
        {
            while (s_closed) Monitor.Wait(s_lock);
        }
    }

    /// <summary>
    /// Start of a <see cref="Live.Every"/> iteration: waits while the gate is closed, then counts the
    /// iteration as active. Returns false, without counting, when <paramref name="stopped"/> became
    /// true meanwhile (its owner calls <see cref="WakeWaiters"/> after setting it).
    /// </summary>
    public static bool EnterIteration(Func<bool> stopped)
    {
        lock (s_lock)
        {
            if (s_closed && !stopped()) IterationParked?.Invoke();
            while (s_closed && !stopped()) Monitor.Wait(s_lock);
            if (stopped()) return false;
            s_activeIterations++;
            return true;
        }
    }

    /// <summary>End of an iteration that <see cref="EnterIteration"/> admitted.</summary>
    public static void ExitIteration()
    {
        lock (s_lock)
        {
            s_activeIterations--;
            // A closing migration may be waiting for the last iteration to end.
            if (s_activeIterations == 0) Monitor.PulseAll(s_lock);
        }
    }

    /// <summary>Lets waiters re-check their stop condition (a loop was disposed).</summary>
    public static void WakeWaiters()
    {
        lock (s_lock) Monitor.PulseAll(s_lock);
    }

    /// <summary>
    /// After <see cref="Close"/>: waits until no <see cref="Live.Every"/> iteration is running, at most
    /// <paramref name="timeout"/>. False when iterations were still running at the deadline (an action
    /// blocked on something); the migration then goes on without them.
    /// </summary>
    public static bool WaitForIterations(TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (s_lock)
        {
            while (s_activeIterations > 0)
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0) return false;
                Monitor.Wait(s_lock, TimeSpan.FromMilliseconds(left));
            }
            return true;
        }
    }

    /// <summary>Iterations running now (tests).</summary>
    internal static int ActiveIterations
    {
        get { lock (s_lock) return s_activeIterations; }
    }
}
