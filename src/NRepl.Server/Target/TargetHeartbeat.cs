using System.Diagnostics;
using NRepl.Runtime.Contract;

namespace NRepl.Server.Target;

/// <summary>
/// Pings the target's control loop every interval and notices when it stops answering: a process stopped
/// or swapped out, or a control loop stuck in user code (a static initializer that never returns). Reports
/// each tick while the silence lasts past the threshold, and once when an answer ends it.
/// </summary>
internal sealed class TargetHeartbeat : IDisposable
{
    private readonly TimeSpan _threshold;
    private readonly Func<TargetMessage, bool> _post;
    private readonly Action<TimeSpan> _unresponsive;
    private readonly Action _responsive;
    private readonly PeriodicTimer _timer;
    private readonly object _gate = new();
    private long _sequence;
    private long _outstanding; // the sequence of the ping not yet answered; 0: none
    private long _sentAt;
    private bool _silent;

    public TargetHeartbeat(TimeSpan interval, TimeSpan threshold, Func<TargetMessage, bool> post, Action<TimeSpan> unresponsive, Action responsive)
    {
        _threshold = threshold;
        _post = post;
        _unresponsive = unresponsive;
        _responsive = responsive;
        _timer = new PeriodicTimer(interval);
    }

    public void Start() => _ = RunAsync();

    /// <summary>The target answered <paramref name="pong"/>.</summary>
    public void Answered(Pong pong)
    {
        bool wasSilent;
        lock (_gate)
        {
            if (pong.Sequence != _outstanding) return;
            _outstanding = 0;
            wasSilent = _silent;
            _silent = false;
        }
        if (wasSilent) _responsive();
    }

    public void Dispose() => _timer.Dispose();

    private async Task RunAsync()
    {
        while (await _timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            TimeSpan? silentFor = null;
            Ping? ping = null;
            lock (_gate)
            {
                if (_outstanding == 0)
                {
                    _outstanding = ++_sequence;
                    _sentAt = Stopwatch.GetTimestamp();
                    ping = new Ping(_outstanding);
                }
                else if (Stopwatch.GetElapsedTime(_sentAt) is var elapsed && elapsed >= _threshold)
                {
                    _silent = true;
                    silentFor = elapsed;
                }
            }
            if (ping is not null && !_post(ping)) return; // dead: the process watch takes over
            if (silentFor is { } silence) _unresponsive(silence);
        }
    }
}
