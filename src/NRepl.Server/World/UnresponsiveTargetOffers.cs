using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using NRepl.Server.Evaluation;
using NRepl.Server.Target;
using NRepl.Server.World.Migration;

namespace NRepl.Server.World;

/// <summary>
/// When the target stops answering the heartbeat, offers every eval waiting on it the TargetUnresponsive
/// condition (restart-target or keep-waiting), answered like any condition: stdin or <c>live/restart</c>.
/// keep-waiting asks again after another silence of the same length; the offers are withdrawn when the
/// target answers again or dies. With no eval waiting, subscribed sessions are told once.
/// </summary>
internal sealed class UnresponsiveTargetOffers
{
    private readonly TargetSupervisor _target;
    private readonly ISessionOutput _output;
    private readonly ConcurrentDictionary<string, MigrationCondition> _conditions;
    private readonly Func<IEnumerable<(string SessionId, string EvalId)>> _waiting;
    private readonly TimeSpan _threshold;
    private readonly ILogger _logger;

    // Guards everything below: an episode is one silence, from the first report to an answer or a death.
    private readonly object _gate = new();
    private readonly Dictionary<(string Session, string Eval), TimeSpan> _askAgainAt = [];
    private CancellationTokenSource _episode = new();
    private string _endedBecause = "";
    private bool _announced;

    /// <param name="conditions">LiveWorld's pending conditions, where stdin and live/restart find them.</param>
    /// <param name="waiting">The evals running now, by session and nREPL id.</param>
    public UnresponsiveTargetOffers(TargetSupervisor target, ISessionOutput output, ConcurrentDictionary<string, MigrationCondition> conditions,
        Func<IEnumerable<(string SessionId, string EvalId)>> waiting, TimeSpan threshold, ILogger logger)
    {
        _target = target;
        _output = output;
        _conditions = conditions;
        _waiting = waiting;
        _threshold = threshold;
        _logger = logger;
    }

    /// <summary>A heartbeat found the target silent for <paramref name="silence"/>.</summary>
    public void OnUnresponsive(TimeSpan silence)
    {
        var waiting = _waiting().ToList();
        CancellationToken episode;
        List<(string Session, string Eval)> ask = [];
        bool announce;
        lock (_gate)
        {
            episode = _episode.Token;
            foreach (var key in waiting)
            {
                if (_askAgainAt.TryGetValue(key, out var at) && silence < at) continue;
                _askAgainAt[key] = TimeSpan.MaxValue; // asked now: not again until answered keep-waiting
                ask.Add(key);
            }
            announce = waiting.Count == 0 && !_announced;
            _announced |= announce;
        }
        if (announce)
        {
            _output.Background(null, null, true,
                $"The target process has not answered the server for {silence.TotalSeconds:0} s. The next eval offers to restart it (restart-target).\n");
        }
        foreach (var (session, eval) in ask) _ = OfferAsync(session, eval, silence, episode);
    }

    /// <summary>Withdraws the offers: the target answered again, or it is gone (<paramref name="because"/> says which, to the user).</summary>
    public void End(string because)
    {
        CancellationTokenSource ended;
        lock (_gate)
        {
            ended = _episode;
            _endedBecause = because;
            _episode = new CancellationTokenSource();
            _askAgainAt.Clear();
            _announced = false;
        }
        ended.Cancel();
        ended.Dispose();
    }

    private async Task OfferAsync(string sessionId, string evalId, TimeSpan silence, CancellationToken episode)
    {
        var condition = MigrationCondition.ForUnresponsiveTarget(sessionId, evalId, _target.ProcessId ?? 0, silence);
        _conditions[condition.Id] = condition;
        try
        {
            condition.ShowOn(_output);
            var choice = await condition.Choice.WaitAsync(episode).ConfigureAwait(false);
            if (choice.Name == MigrationCondition.RestartTarget)
            {
                _logger.LogWarning("Session {SessionId} chose restart-target: killing the target that has not answered for {Seconds:0} s.", sessionId, silence.TotalSeconds);
                await _target.KillAsync($"it stopped answering for {silence.TotalSeconds:0} s and was killed by restart-target").ConfigureAwait(false);
            }
            else
            {
                lock (_gate)
                {
                    if (!episode.IsCancellationRequested) _askAgainAt[(sessionId, evalId)] = silence + _threshold;
                }
            }
        }
        catch (OperationCanceledException)
        {
            string because;
            lock (_gate) because = _endedBecause;
            _output.Write(sessionId, evalId, true, because + " The restarts offered above are withdrawn.\n");
        }
        finally
        {
            _conditions.TryRemove(condition.Id, out _);
        }
    }
}
