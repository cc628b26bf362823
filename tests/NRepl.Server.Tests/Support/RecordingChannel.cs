using NRepl.Server.Connections;

namespace NRepl.Server.Tests.Support;

/// <summary>An in-memory connection that records every reply and lets tests wait for replies to arrive.</summary>
internal sealed class RecordingChannel : IReplyChannel
{
    private static long s_lastId;

    // Guards _messages and _changed.
    private readonly object _gate = new();
    private readonly List<IReadOnlyDictionary<string, object?>> _messages = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long ConnectionId { get; } = Interlocked.Increment(ref s_lastId);

    public IReadOnlyList<IReadOnlyDictionary<string, object?>> Messages
    {
        get
        {
            lock (_gate)
            {
                return _messages.ToArray();
            }
        }
    }

    public ValueTask SendAsync(IReadOnlyDictionary<string, object?> message)
    {
        Post(message);
        return default;
    }

    public void Post(IReadOnlyDictionary<string, object?> message)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _messages.Add(message);
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.SetResult();
    }

    /// <summary>Replies with <paramref name="id"/>.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, object?>> For(string id) =>
        Messages.Where(m => m.TryGetValue("id", out var v) && (string?)v == id).ToArray();

    /// <summary>Waits until a reply with <paramref name="id"/> carries <c>done</c>; returns every reply with that id so far.</summary>
    public async Task<IReadOnlyList<IReadOnlyDictionary<string, object?>>> UntilDoneAsync(string id)
    {
        await WaitUntilAsync(messages => messages.Any(m => m.TryGetValue("id", out var v) && (string?)v == id && m.IsDone())).ConfigureAwait(false);
        return For(id);
    }

    public async Task WaitUntilAsync(Func<IReadOnlyList<IReadOnlyDictionary<string, object?>>, bool> condition)
    {
        using var deadline = Deadline.Start();
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (condition(_messages))
                {
                    return;
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail("Timed out waiting for replies. Received:" + Environment.NewLine + string.Join(Environment.NewLine, Messages.Select(Render)));
            }
        }
    }

    public static string Render(IReadOnlyDictionary<string, object?> message) =>
        "{" + string.Join(", ", message.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {RenderValue(kv.Value)}")) + "}";

    private static string RenderValue(object? value) => value switch
    {
        string s => "\"" + s + "\"",
        IReadOnlyDictionary<string, object?> d => Render(d),
        System.Collections.IEnumerable e => "[" + string.Join(" ", e.Cast<object?>().Select(RenderValue)) + "]",
        null => "nil",
        _ => value.ToString() ?? "",
    };
}
