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
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly Task _reading;

    // Guards _messages, _closed and _changed.
    private readonly object _gate = new();
    private readonly List<NReplMessage> _messages = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _closed;
    private long _lastId;

    private NReplTestClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reading = ReadLoopAsync();
    }

    public static async Task<NReplTestClient> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = new CancellationTokenSource(Deadline.Reply);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), deadline.Token);
        return new NReplTestClient(socket);
    }

    /// <summary>Connects through the server's Unix domain socket (NRepl:UnixSocket).</summary>
    public static async Task<NReplTestClient> ConnectUnixAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var deadline = new CancellationTokenSource(Deadline.Reply);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), deadline.Token);
        return new NReplTestClient(socket);
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
        await WaitForMatchAsync(m => m.Id == id && m.IsDone(), $"done for id {id}", failOnClose: true);
        return Messages.Where(m => m.Id == id).ToArray();
    }

    /// <summary>
    /// Waits for <c>done</c> for <paramref name="id"/>: true once it came, false if the server closed the
    /// connection without sending it (for requests that may race the server's shutdown).
    /// </summary>
    public Task<bool> DoneOrClosedAsync(string id) =>
        WaitForMatchAsync(m => m.Id == id && m.IsDone(), $"done for id {id}", failOnClose: false);

    /// <summary>Waits until some received message satisfies <paramref name="match"/>.</summary>
    public Task WaitForAsync(Func<NReplMessage, bool> match, string what) =>
        WaitForMatchAsync(match, what, failOnClose: true);

    /// <summary>Waits until the server closes the connection.</summary>
    public Task WaitForCloseAsync() => WaitUntilAsync(_ => _closed, "the server to close the connection");

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        try
        {
            await _reading;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
            // Closed under the reader.
        }
    }

    // Looks at each message once (a match stays a match), so waiting on a connection that receives a great
    // deal of output costs linear time, not quadratic.
    private async Task<bool> WaitForMatchAsync(Func<NReplMessage, bool> match, string what, bool failOnClose)
    {
        using var deadline = new CancellationTokenSource(Deadline.Reply);
        var scanned = 0;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                for (; scanned < _messages.Count; scanned++)
                {
                    if (match(_messages[scanned]))
                    {
                        return true;
                    }
                }

                if (_closed)
                {
                    if (failOnClose)
                    {
                        Assert.Fail($"Connection closed while waiting for {what}. Received:{Environment.NewLine}{string.Join(Environment.NewLine, _messages)}");
                    }

                    return false;
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
