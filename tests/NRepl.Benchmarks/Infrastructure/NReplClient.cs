using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NRepl.Protocol.Messages;

namespace NRepl.Benchmarks.Infrastructure;

/// <summary>
/// A minimal synchronous nREPL client over loopback TCP with TCP_NODELAY, built on NRepl.Protocol.
/// One thread drives one connection: it sends a request and reads replies on the calling thread,
/// so a measured round trip contains no thread hop of the client's own. Every wait has a deadline.
/// </summary>
internal sealed class NReplClient : IDisposable
{
    private readonly Socket _socket;
    private readonly NReplMessageReader _parser = new();
    private readonly ArrayBufferWriter<byte> _send = new(512);
    private readonly string _idPrefix;
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private long _nextId;

    private NReplClient(Socket socket, string idPrefix)
    {
        _socket = socket;
        _idPrefix = idPrefix;
    }

    /// <summary>The session used by <see cref="Eval"/> when none is given; set by <see cref="CloneSession"/>.</summary>
    public string? Session { get; private set; }

    public static NReplClient Connect(int port, TimeSpan timeout, string idPrefix = "b")
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token).AsTask().GetAwaiter().GetResult();
            socket.NoDelay = true;
            return new NReplClient(socket, idPrefix);
        }
        catch (OperationCanceledException)
        {
            socket.Dispose();
            throw new TimeoutException($"Could not connect to 127.0.0.1:{port} within {timeout.TotalSeconds:0} s.");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public string NewId() => _idPrefix + (++_nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Encodes and writes one message; returns the timestamp taken just before the first byte was written.</summary>
    public long Send(IReadOnlyDictionary<string, object?> message)
    {
        _send.ResetWrittenCount();
        NReplMessageWriter.WriteMessage(message, _send);
        ReadOnlySpan<byte> bytes = _send.WrittenSpan;
        long sentAt = Stopwatch.GetTimestamp();
        while (bytes.Length > 0)
        {
            bytes = bytes[_socket.Send(bytes)..];
        }

        return sentAt;
    }

    /// <summary>The next message from the server; throws <see cref="TimeoutException"/> at <paramref name="deadline"/> (a Stopwatch timestamp).</summary>
    public NReplMessage Receive(long deadline)
    {
        while (true)
        {
            if (_end > _start)
            {
                var input = new ReadOnlySequence<byte>(_buffer, _start, _end - _start);
                SequencePosition consumed = input.Start;
                SequencePosition examined = input.End;
                bool complete = _parser.TryParseMessage(input, ref consumed, ref examined, out NReplMessage? message);
                _start += (int)input.Slice(input.Start, consumed).Length;
                if (complete)
                {
                    return message!;
                }
            }

            Fill(deadline);
        }
    }

    private void Fill(long deadline)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        long remaining = deadline - Stopwatch.GetTimestamp();
        if (remaining <= 0 || !_socket.Poll(TimeSpan.FromTicks(Math.Max(1, remaining * TimeSpan.TicksPerSecond / Stopwatch.Frequency)), SelectMode.SelectRead))
        {
            throw new TimeoutException("No reply from the server before the deadline.");
        }

        int read = _socket.Receive(_buffer, _end, _buffer.Length - _end, SocketFlags.None);
        if (read == 0)
        {
            throw new IOException("The server closed the connection.");
        }

        _end += read;
    }

    /// <summary>Sends a request and reads until a reply with its id carries status "done".</summary>
    /// <param name="onOther">Receives every message of another id (for example an earlier eval's <c>out</c>) with its arrival timestamp.</param>
    public Exchange Request(Dictionary<string, object?> request, TimeSpan timeout, Action<NReplMessage, long>? onOther = null)
    {
        string id = NewId();
        request["id"] = id;
        long deadline = Deadline(timeout);
        long sentAt = Send(request);
        var exchange = new Exchange { Id = id, SentAt = sentAt };
        while (true)
        {
            NReplMessage message = Receive(deadline);
            long now = Stopwatch.GetTimestamp();
            if (message.Id != id)
            {
                onOther?.Invoke(message, now);
                continue;
            }

            exchange.Replies.Add(message);
            if (message.GetString("value") is { } value)
            {
                exchange.Value = value;
                exchange.ValueAt = now;
            }

            if (message.GetString("err") is { } err)
            {
                exchange.Err += err;
            }

            if (message.GetString("ex") is { } ex)
            {
                exchange.Ex = ex;
            }

            if (message.GetList("status") is { } status)
            {
                foreach (object s in status)
                {
                    if (s is string text)
                    {
                        exchange.Status.Add(text);
                    }
                }

                if (exchange.Status.Contains("done"))
                {
                    exchange.DoneAt = now;
                    return exchange;
                }
            }
        }
    }

    public Exchange Eval(string code, TimeSpan timeout, Action<NReplMessage, long>? onOther = null, bool noSession = false)
    {
        var request = new Dictionary<string, object?> { ["op"] = "eval", ["code"] = code };
        if (!noSession)
        {
            request["session"] = Session;
        }

        return Request(request, timeout, onOther);
    }

    /// <summary>Evaluates <paramref name="code"/> and insists on success (and on <paramref name="expected"/> when given).</summary>
    public Exchange EvalOk(string code, TimeSpan timeout, string? expected = null, Action<NReplMessage, long>? onOther = null)
    {
        Exchange exchange = Eval(code, timeout, onOther);
        exchange.EnsureValue(code, expected);
        return exchange;
    }

    public Exchange Describe(TimeSpan timeout) =>
        Request(new Dictionary<string, object?> { ["op"] = "describe", ["session"] = Session }, timeout);

    public string CloneSession(TimeSpan timeout)
    {
        Exchange exchange = Request(new Dictionary<string, object?> { ["op"] = "clone" }, timeout);
        string session = exchange.Replies.Select(r => r.GetString("new-session")).LastOrDefault(s => s is not null)
            ?? throw new InvalidOperationException("clone answered without new-session: " + string.Join(" ", exchange.Replies));
        Session = session;
        return session;
    }

    public static long Deadline(TimeSpan timeout) => Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);

    public void Dispose() => _socket.Dispose();

    internal sealed class Exchange
    {
        public required string Id { get; init; }

        public long SentAt { get; init; }

        public long ValueAt { get; set; }

        public long DoneAt { get; set; }

        public string? Value { get; set; }

        public string? Err { get; set; }

        public string? Ex { get; set; }

        public List<string> Status { get; } = new(2);

        public List<NReplMessage> Replies { get; } = new(2);

        public bool Failed => Ex is not null || Status.Contains("eval-error") || Status.Contains("error");

        public double RoundTripMs => Samples.TicksToMs(DoneAt - SentAt);

        public void EnsureValue(string code, string? expected)
        {
            if (Failed || Value is null || (expected is not null && Value != expected))
            {
                throw new InvalidOperationException(
                    $"Eval of `{code}` did not give {(expected is null ? "a value" : "\"" + expected + "\"")}: " + string.Join(" ", Replies));
            }
        }
    }
}
