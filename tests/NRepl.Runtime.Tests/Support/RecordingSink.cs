using System.Collections.Concurrent;
using System.Threading.Channels;
using NRepl.Runtime.Contract;
using NRepl.Server.Target;

namespace NRepl.Runtime.Tests.Support;

/// <summary>Keeps everything the supervisor hands over, and lets tests wait for a message without sleeping.</summary>
internal sealed class RecordingSink : ITargetOutputSink
{
    private readonly ConcurrentQueue<TargetMessage> _all = new();
    private readonly Channel<TargetMessage> _live = Channel.CreateUnbounded<TargetMessage>();

    public IReadOnlyList<TargetMessage> All => [.. _all];

    public IEnumerable<Output> Outputs => _all.OfType<Output>();

    public void OnOutput(Output output) => Record(output);

    public void OnNeedInput(NeedInput request) => Record(request);

    /// <summary>Text of one stream of one eval, in arrival order.</summary>
    public string TextOf(long evalId, OutputStream stream = OutputStream.Out) =>
        string.Concat(Outputs.Where(o => o.EvalId == evalId && o.Stream == stream).Select(o => o.Text));

    /// <summary>Waits for the first message (from now on) matching <paramref name="match"/>.</summary>
    public async Task<T> WaitForAsync<T>(Func<T, bool> match, CancellationToken ct) where T : TargetMessage
    {
        while (await _live.Reader.WaitToReadAsync(ct))
        {
            while (_live.Reader.TryRead(out var message))
            {
                if (message is T typed && match(typed)) return typed;
            }
        }
        throw new InvalidOperationException("Sink closed.");
    }

    private void Record(TargetMessage message)
    {
        _all.Enqueue(message);
        _live.Writer.TryWrite(message);
    }
}
