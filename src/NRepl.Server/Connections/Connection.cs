using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NRepl.Protocol.Bencode;
using NRepl.Protocol.Messages;
using NRepl.Server.Dispatch;
using NRepl.Server.Logging;

namespace NRepl.Server.Connections;

/// <summary>
/// One client connection: a reader loop that parses requests and dispatches each without waiting for
/// earlier ones, and a writer loop that is the only thing writing to the socket. Replies are encoded whole,
/// one at a time, so concurrent handlers never interleave bencode frames (babashka.nrepl's late fix).
/// </summary>
/// <remarks>
/// Malformed input or an exceeded limit ends this connection (after one error reply without id or session),
/// never the server: the stream cannot be resynchronised once framing is lost.
/// </remarks>
internal sealed class Connection : IReplyChannel
{
    // Encoded replies are gathered into one socket write up to this size.
    private const int BatchBytes = 64 * 1024;

    // A batch buffer grown beyond this by one huge reply is dropped instead of being kept for the connection's life.
    private const int BatchKeepBytes = 1024 * 1024;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _input;
    private readonly OpDispatcher _dispatcher;
    private readonly BencodeReaderOptions _readerOptions;
    private readonly ILogger _logger;
    private readonly TimeSpan _endOfInputGrace;

    // Many writers (handlers, eval output), one reader (the writer loop). Bounded: a client that stops reading
    // eventually blocks the producers instead of growing server memory.
    private readonly Channel<IReadOnlyDictionary<string, object?>> _outbound;

    // Requests still being answered; on end of input the connection stays open until they are done.
    private readonly ConcurrentDictionary<long, Task> _inFlight = new();

    // Cancelled by RequestClose (shutdown) or when the connection is over; handlers see it as their token.
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _requestCount;

    public Connection(long connectionId, Socket socket, OpDispatcher dispatcher, BencodeReaderOptions readerOptions, int outboundCapacity, TimeSpan endOfInputGrace, ILogger logger)
    {
        _endOfInputGrace = endOfInputGrace;
        ConnectionId = connectionId;
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _input = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        _dispatcher = dispatcher;
        _readerOptions = readerOptions;
        _logger = logger;
        _outbound = Channel.CreateBounded<IReadOnlyDictionary<string, object?>>(new BoundedChannelOptions(outboundCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        RemoteEndPoint = socket.RemoteEndPoint?.ToString() ?? "?";
    }

    public long ConnectionId { get; }

    public string RemoteEndPoint { get; }

    /// <summary>Completes when the connection has ended and its socket is closed.</summary>
    public Task Completion => _completion.Task;

    public ValueTask SendAsync(IReadOnlyDictionary<string, object?> message) =>
        _outbound.Writer.TryWrite(message) ? default : SendWhenRoomAsync(message);

    public void Post(IReadOnlyDictionary<string, object?> message)
    {
        if (!_outbound.Writer.TryWrite(message))
        {
            SendWhenRoomAsync(message).AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>Graceful close (shutdown): stop reading, send what is queued, then close the socket.</summary>
    public void RequestClose()
    {
        _closing.Cancel();
        _input.CancelPendingRead();
    }

    /// <summary>Ungraceful close: drop the socket now; pending reads and writes fail.</summary>
    public void Abort()
    {
        _closing.Cancel();
        _outbound.Writer.TryComplete();
        _socket.Dispose();
    }

    /// <summary>Runs the connection to its end. Never throws.</summary>
    public async Task RunAsync()
    {
        using var scope = _logger.BeginScope(new Dictionary<string, object> { ["ConnectionId"] = ConnectionId });
        ServerLog.ConnectionAccepted(_logger, ConnectionId, RemoteEndPoint);
        var writing = WriteLoopAsync();
        try
        {
            var endOfInput = await ReadLoopAsync().ConfigureAwait(false);
            if (endOfInput)
            {
                await WaitForRequestsInFlightAsync().ConfigureAwait(false);
            }
        }
        catch (BencodeException ex)
        {
            ServerLog.ConnectionRejected(_logger, ConnectionId, ex.Message);
            await SendAsync(new Dictionary<string, object?>
            {
                ["status"] = new[] { Status.Error, Status.Done },
                ["err"] = ex.Message,
            }).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsDisconnect(ex))
        {
            ServerLog.ConnectionReset(_logger, ConnectionId, ex);
        }
        catch (Exception ex)
        {
            ServerLog.ConnectionFailed(_logger, ConnectionId, ex);
        }
        finally
        {
            await _input.CompleteAsync().ConfigureAwait(false);
            _outbound.Writer.TryComplete();
            await writing.ConfigureAwait(false);
            CloseSocket();
            _closing.Cancel();
            ServerLog.ConnectionClosed(_logger, ConnectionId);
            _completion.TrySetResult();
        }
    }

    /// <summary>Reads and dispatches requests. True at the client's end of input, false when closed by the server.</summary>
    private async Task<bool> ReadLoopAsync()
    {
        var reader = new NReplMessageReader(_readerOptions);
        while (true)
        {
            var result = await _input.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            SequencePosition consumed;
            SequencePosition examined;
            while (true)
            {
                // The reader keeps a half-read message itself and consumes its bytes as it goes.
                var remaining = buffer;
                consumed = remaining.Start;
                examined = remaining.End;
                if (!reader.TryParseMessage(remaining, ref consumed, ref examined, out var message) || message is null)
                {
                    break;
                }

                Dispatch(message);
                buffer = buffer.Slice(consumed);
            }

            _input.AdvanceTo(consumed, examined);
            if (result.IsCanceled)
            {
                return false;
            }

            if (result.IsCompleted)
            {
                if (reader.HasPartialMessage)
                {
                    ServerLog.ConnectionTruncated(_logger, ConnectionId, reader.BytesConsumed);
                }

                return true;
            }
        }
    }

    private void Dispatch(NReplMessage message)
    {
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            ServerLog.RequestReceived(_logger, ConnectionId, message.ToString());
        }

        // Not awaited: an eval must not hold up the interrupt or stdin that follows it. The handler runs
        // synchronously up to its first await, so requests reach their session queues in arrival order.
        var key = Interlocked.Increment(ref _requestCount);
        var task = _dispatcher.DispatchAsync(message, this, _closing.Token);
        if (!task.IsCompleted)
        {
            _inFlight[key] = task;
            _ = ForgetWhenDoneAsync(key, task);
        }
    }

    private async Task ForgetWhenDoneAsync(long key, Task request)
    {
        await request.ConfigureAwait(false); // DispatchAsync never throws
        _inFlight.TryRemove(key, out _);
    }

    // The client closed its side after sending: answer what it asked before closing ours (unless shut down first).
    private async Task WaitForRequestsInFlightAsync()
    {
        var pending = _inFlight.Values.ToArray();
        if (pending.Length == 0)
        {
            return;
        }

        try
        {
            await Task.WhenAll(pending).WaitAsync(_endOfInputGrace, _closing.Token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A closed socket looks like a half-closed one until a write fails, and an eval may never write:
            // bounded, so a client that quit cannot keep its endless eval (and this connection) alive.
            ServerLog.EndOfInputGraceExpired(_logger, ConnectionId, _inFlight.Count, _endOfInputGrace.TotalSeconds);
        }
        catch (OperationCanceledException)
        {
            // Shutdown: the server answers interrupted evals before closing connections.
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new ArrayBufferWriter<byte>(BatchBytes);
        var replies = _outbound.Reader;
        try
        {
            while (await replies.WaitToReadAsync().ConfigureAwait(false))
            {
                while (batch.WrittenCount < BatchBytes && replies.TryRead(out var message))
                {
                    try
                    {
                        // Encodes the whole message before appending it: a bad value leaves the batch untouched.
                        NReplMessageWriter.WriteMessage(message, batch);
                    }
                    catch (ArgumentException ex)
                    {
                        ServerLog.ReplyEncodingFailed(_logger, ConnectionId, ex);
                    }
                }

                if (batch.WrittenCount > 0)
                {
                    await _stream.WriteAsync(batch.WrittenMemory).ConfigureAwait(false);
                    batch = batch.Capacity > BatchKeepBytes ? new ArrayBufferWriter<byte>(BatchBytes) : batch;
                    batch.ResetWrittenCount();
                }
            }
        }
        catch (Exception ex) when (IsDisconnect(ex))
        {
            // The client is gone: stop reading (and waiting for requests in flight), and let blocked producers drop their replies.
            ServerLog.ConnectionReset(_logger, ConnectionId, ex);
            _outbound.Writer.TryComplete();
            _closing.Cancel();
            _input.CancelPendingRead();
        }
        catch (Exception ex)
        {
            ServerLog.ConnectionFailed(_logger, ConnectionId, ex);
            _outbound.Writer.TryComplete();
            _closing.Cancel();
            _input.CancelPendingRead();
        }
    }

    private async ValueTask SendWhenRoomAsync(IReadOnlyDictionary<string, object?> message)
    {
        try
        {
            await _outbound.Writer.WriteAsync(message, _closing.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ChannelClosedException or OperationCanceledException)
        {
            ServerLog.ReplyDropped(_logger, ConnectionId);
        }
    }

    private void CloseSocket()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (IsDisconnect(ex))
        {
            // Already reset or aborted.
        }

        _socket.Dispose();
    }

    private static bool IsDisconnect(Exception ex) => ex is IOException or SocketException or ObjectDisposedException;
}
