using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using NRepl.Protocol.Messages;

namespace NRepl.IntegrationTests.Support;

/// <summary>
/// A minimal nREPL client over TCP using our codec: sends requests, and collects every message the server
/// sends so tests can wait for the replies to one id (up to <c>done</c>) or for the connection to close.
/// </summary>
internal sealed class NReplTestClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly Task _reading;

    // Guards _messages, _closed and _changed.
    private readonly object _gate = new();
    private readonly List<NReplMessage> _messages = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _closed;
    private long _lastId;

    private NReplTestClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _reading = ReadLoopAsync();
    }

    public static async Task<NReplTestClient> ConnectAsync(int port)
    {
        var tcp = new TcpClient { NoDelay = true };
        using var deadline = new CancellationTokenSource(Deadline.Reply);
        await tcp.ConnectAsync(IPAddress.Loopback, port, deadline.Token);
        return new NReplTestClient(tcp);
    }

    public IReadOnlyList<NReplMessage> Messages
    {
        get
        {
            lock (_gate)
            {
                return _messages.ToArray();
            }
        }
    }

    public string NextId() => "t" + Interlocked.Increment(ref _lastId).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public async Task SendAsync(IReadOnlyDictionary<string, object?> message)
    {
        await _stream.WriteAsync(NReplMessageWriter.ToBytes(message));
    }

    public async Task SendRawAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    /// <summary>Sends a request with a fresh id (unless it has one) and returns its replies up to and including <c>done</c>.</summary>
    public async Task<IReadOnlyList<NReplMessage>> RequestAsync(params (string Key, object? Value)[] fields)
    {
        var message = fields.ToDictionary(f => f.Key, f => f.Value);
        if (!message.TryGetValue("id", out var id) || id is null)
        {
            id = NextId();
            message["id"] = id;
        }

        await SendAsync(message);
        return await UntilDoneAsync((string)id);
    }

    public async Task<IReadOnlyList<NReplMessage>> UntilDoneAsync(string id)
    {
        await WaitUntilAsync(messages => messages.Any(m => m.Id == id && m.IsDone()), $"done for id {id}");
        return Messages.Where(m => m.Id == id).ToArray();
    }

    /// <summary>Waits until some received message satisfies <paramref name="match"/>.</summary>
    public Task WaitForAsync(Func<NReplMessage, bool> match, string what) =>
        WaitUntilAsync(messages => messages.Any(match), what);

    /// <summary>Waits until the server closes the connection.</summary>
    public Task WaitForCloseAsync() => WaitUntilAsync(_ => _closed, "the server to close the connection");

    public async ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        try
        {
            await _reading;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
            // Closed under the reader.
        }
    }

    private async Task WaitUntilAsync(Func<IReadOnlyList<NReplMessage>, bool> condition, string what)
    {
        using var deadline = new CancellationTokenSource(Deadline.Reply);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (condition(_messages))
                {
                    return;
                }

                if (_closed && !condition(_messages) && what != "the server to close the connection")
                {
                    Assert.Fail($"Connection closed while waiting for {what}. Received:{Environment.NewLine}{string.Join(Environment.NewLine, _messages)}");
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out waiting for {what}. Received:{Environment.NewLine}{string.Join(Environment.NewLine, Messages)}");
            }
        }
    }

    private async Task ReadLoopAsync()
    {
        var input = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        var reader = new NReplMessageReader();
        try
        {
            while (true)
            {
                var result = await input.ReadAsync();
                var buffer = result.Buffer;
                var consumed = buffer.Start;
                var examined = buffer.End;
                while (true)
                {
                    consumed = buffer.Start;
                    examined = buffer.End;
                    if (!reader.TryParseMessage(buffer, ref consumed, ref examined, out var message))
                    {
                        break;
                    }

                    Add(message!);
                    buffer = buffer.Slice(consumed);
                }

                input.AdvanceTo(consumed, examined);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
            // Reset by the server, or disposed by the test.
        }
        finally
        {
            await input.CompleteAsync();
            lock (_gate)
            {
                _closed = true;
            }

            Signal();
        }
    }

    private void Add(NReplMessage message)
    {
        lock (_gate)
        {
            _messages.Add(message);
        }

        Signal();
    }

    private void Signal()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.SetResult();
    }
}

/// <summary>Reading replies in assertions.</summary>
internal static class ReplyExtensions
{
    public static string[] Statuses(this NReplMessage message) =>
        message.GetList("status")?.OfType<string>().ToArray() ?? [];

    public static bool IsDone(this NReplMessage message) => message.Statuses().Contains("done");
}
