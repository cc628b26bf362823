using System.Collections.Concurrent;
using System.Threading.Channels;
using NRepl.Server.Evaluation;

namespace NRepl.Server.Tests.World;

/// <summary>Collects what the live world sends to sessions, and lets tests wait for it.</summary>
internal sealed class RecordingSessionOutput : ISessionOutput
{
    private readonly Channel<(string Session, string EvalId)> _needInput = Channel.CreateUnbounded<(string, string)>();
    private readonly ConcurrentQueue<(string Session, string EvalId, bool IsError, string Text)> _writes = new();

    private readonly SemaphoreSlim _written = new(0);

    public void Background(string? sessionId, string? evalId, bool isError, string text)
    {
        if (sessionId is not null && evalId is not null) Write(sessionId, evalId, isError, text);
    }

    public void Write(string sessionId, string evalId, bool isError, string text)
    {
        _writes.Enqueue((sessionId, evalId, isError, text));
        _written.Release();
    }

    /// <summary>Waits until the output of <paramref name="evalId"/> has at least <paramref name="lines"/> lines.</summary>
    public async Task WaitForOutputLinesAsync(string evalId, int lines, CancellationToken ct)
    {
        while (OutOf(evalId).Count(c => c == '\n') < lines) await _written.WaitAsync(ct);
    }

    /// <summary>Waits until the output of <paramref name="evalId"/> contains <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string evalId, string text, CancellationToken ct)
    {
        while (!OutOf(evalId).Contains(text, StringComparison.Ordinal)) await _written.WaitAsync(ct);
    }

    public void NeedInput(string sessionId, string evalId) => _needInput.Writer.TryWrite((sessionId, evalId));

    private readonly Channel<(string Session, IReadOnlyDictionary<string, object?> Fields)> _conditions = Channel.CreateUnbounded<(string, IReadOnlyDictionary<string, object?>)>();

    public void Condition(string sessionId, string evalId, IReadOnlyDictionary<string, object?> fields) => _conditions.Writer.TryWrite((sessionId, fields));

    /// <summary>The next condition raised on <paramref name="session"/>.</summary>
    public async Task<IReadOnlyDictionary<string, object?>> NextConditionAsync(string session, CancellationToken ct)
    {
        while (true)
        {
            var next = await _conditions.Reader.ReadAsync(ct);
            if (next.Session == session) return next.Fields;
        }
    }

    public string OutOf(string evalId) => string.Concat(_writes.Where(w => w.EvalId == evalId && !w.IsError).Select(w => w.Text));

    public string ErrOf(string evalId) => string.Concat(_writes.Where(w => w.EvalId == evalId && w.IsError).Select(w => w.Text));

    /// <summary>The next need-input of <paramref name="session"/> (those of other sessions are skipped).</summary>
    public async Task<(string Session, string EvalId)> NextNeedInputAsync(string session, CancellationToken ct)
    {
        while (true)
        {
            var next = await _needInput.Reader.ReadAsync(ct);
            if (next.Session == session) return next;
        }
    }
}
