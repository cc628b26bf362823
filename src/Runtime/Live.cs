using NRepl.Runtime.Evaluation;
using NRepl.Runtime.Migration;

namespace NRepl.Runtime;

/// <summary>
/// Live-coding helpers for world code: background loops that cooperate with live type migration, and
/// the values a migration discarded.
/// </summary>
public static class Live
{
    /// <summary>
    /// Runs <paramref name="action"/> on a dedicated background thread every <paramref name="interval"/>
    /// until the returned handle is disposed. The first run is one interval from now; a slow iteration
    /// delays the next one rather than causing a burst of catch-up runs.
    /// </summary>
    /// <remarks>
    /// <para>Console output of the action goes to the eval that called <c>Every</c> (its context flows
    /// into the loop). An exception thrown by the action is written to that eval's err stream and the loop
    /// goes on.</para>
    /// <para>While a type migration is being prepared and committed, the loop waits between iterations, so
    /// no iteration ever sees a half-migrated world. The redefined code is picked up by the next iteration.</para>
    /// </remarks>
    /// <param name="interval">Time between the starts of iterations; must be positive.</param>
    /// <param name="action">The work of one iteration.</param>
    /// <returns>Stops the loop when disposed. It waits for a running iteration to end, unless it is called from inside the action.</returns>
    public static IDisposable Every(TimeSpan interval, Action action)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(action);
        return LiveLoop.Start(interval, action);
    }

    /// <summary>
    /// Values of the fields that the last migration of <paramref name="instance"/>'s type removed or
    /// retyped away, by field name; only non-default values are kept. Empty when that migration discarded
    /// nothing for this instance. Kept until the type's next migration.
    /// </summary>
    /// <param name="instance">A migrated instance of a world class.</param>
    public static IReadOnlyDictionary<string, object?> Discarded(object instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        return DiscardedValues.Of(instance);
    }

    /// <summary>
    /// Registers a handler that picks restarts for the conditions of live migrations, the way Lisp's
    /// handler-bind does, so scripts and load-file need no one at the keyboard. It sees each condition
    /// and returns a restart as it would be typed (<c>"use-default"</c>, <c>"use-value-for-all 0"</c>,
    /// <c>"abort-redefinition"</c>) or null to decline. The most recently registered handler is asked
    /// first; when none picks a restart, an interactive client is asked, else the condition's default applies.
    /// </summary>
    /// <returns>Unregisters the handler when disposed.</returns>
    public static IDisposable HandleConditions(Func<LiveCondition, string?> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return ConditionHandlers.Add(handler);
    }

    /// <summary>One <see cref="Every"/> loop and its thread.</summary>
    private sealed class LiveLoop : IDisposable
    {
        private readonly long _intervalMs;
        private readonly Action _action;
        private readonly ManualResetEventSlim _stop = new(false);
        private readonly Thread _thread;
        private volatile bool _stopped;

        private LiveLoop(TimeSpan interval, Action action)
        {
            // The wait is in whole milliseconds; a shorter interval must still wait, never spin.
            _intervalMs = Math.Max(1, (long)Math.Ceiling(interval.TotalMilliseconds));
            _action = action;
            // ExecutionContext flows into the thread (Thread.Start captures it), and with it the eval's
            // EvalContext: the action's Console output is attributed to the eval that started the loop.
            _thread = new Thread(Run) { IsBackground = true, Name = "Live.Every" };
        }

        public static LiveLoop Start(TimeSpan interval, Action action)
        {
            var loop = new LiveLoop(interval, action);
            loop._thread.Start();
            return loop;
        }

        public void Dispose()
        {
            if (!_stopped)
            {
                _stopped = true;
                _stop.Set();
                // A loop parked at a closed migration gate must notice the stop.
                MigrationGate.WakeWaiters();
            }
            // From inside the action, joining would wait for ourselves; the loop ends after this iteration.
            if (Thread.CurrentThread != _thread) _thread.Join();
        }

        private void Run()
        {
            var next = Environment.TickCount64 + _intervalMs;
            while (true)
            {
                // A deadline wait on the stop event: Dispose ends it at once.
                var wait = next - Environment.TickCount64;
                if (wait > 0 && _stop.Wait(TimeSpan.FromMilliseconds(wait))) return;
                if (!MigrationGate.EnterIteration(() => _stopped)) return;
                try
                {
                    _action();
                }
                catch (Exception e)
                {
                    Report(e);
                }
                finally
                {
                    MigrationGate.ExitIteration();
                }
                if (_stopped) return;
                var now = Environment.TickCount64;
                next += _intervalMs;
                if (next < now) next = now + _intervalMs;
            }
        }

        private void Report(Exception exception)
        {
            try
            {
                var report = ExceptionReport.Create(ExceptionReport.Unwrap(exception), _action.Method.Module.Assembly, symbols: null);
                // Console.Error routes by the flowing EvalContext: the eval that started the loop.
                Console.Error.WriteLine($"Live.Every: the action threw {report.Text}");
            }
            catch (Exception)
            {
                // Reporting must never end the loop; the next failure will try again.
            }
        }
    }
}
