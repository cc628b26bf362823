using System.Text;
using NRepl.Runtime.Contract;

namespace NRepl.Runtime.IO;

/// <summary>
/// Console text of one stream of one eval (or of code outside any eval), cut into
/// <see cref="Output"/> messages: at each newline, every <see cref="MaxChunk"/> chars, and after a short
/// deadline for a partial line (a prompt without newline must still reach the editor).
/// Thread-safe; text of one buffer is sent in the order it was written; a surrogate pair is never split.
/// </summary>
internal sealed class OutputBuffer
{
    /// <summary>Largest text of one Output message.</summary>
    public const int MaxChunk = 1024;

    /// <summary>How long a partial line may wait for more text before it is sent anyway.</summary>
    public static readonly TimeSpan FlushDeadline = TimeSpan.FromMilliseconds(25);

    /// <summary>Buffers holding a partial line, so everything can be flushed when the process exits.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<OutputBuffer, byte> s_pending = new();

    private readonly long _evalId;
    private readonly string _sessionId;
    private readonly OutputStream _stream;
    private readonly Action<TargetMessage> _post;
    private readonly object _gate = new();
    private readonly StringBuilder _pending = new();
    private Timer? _deadline;
    private bool _deadlineArmed;

    public OutputBuffer(long evalId, string sessionId, OutputStream stream, Action<TargetMessage> post)
    {
        _evalId = evalId;
        _sessionId = sessionId;
        _stream = stream;
        _post = post;
    }

    public void Write(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty) return;
        lock (_gate)
        {
            // Invariant between calls: _pending holds no newline and fewer than MaxChunk chars.
            var newline = text.LastIndexOf('\n');
            if (newline >= 0)
            {
                EmitLocked(text[..(newline + 1)], final: true);
                text = text[(newline + 1)..];
            }
            while (_pending.Length + text.Length >= MaxChunk)
            {
                var take = MaxChunk - _pending.Length;
                // Keep a high surrogate with its low half: cut one char earlier.
                if (char.IsHighSurrogate(text[take - 1])) take--;
                EmitLocked(text[..take], final: false);
                text = text[take..];
            }
            _pending.Append(text);
            if (_pending.Length > 0 && !_deadlineArmed) ArmDeadlineLocked();
        }
    }

    /// <summary>Sends all pending text now (except a trailing high surrogate still waiting for its pair).</summary>
    public void Flush()
    {
        lock (_gate)
        {
            FlushLocked();
        }
    }

    private void FlushLocked()
    {
        var length = _pending.Length;
        if (length > 0 && char.IsHighSurrogate(_pending[length - 1])) length--;
        if (length > 0)
        {
            var text = _pending.ToString(0, length);
            _pending.Remove(0, length);
            PostChunks(text);
        }
        if (_deadlineArmed)
        {
            _deadlineArmed = false;
            _deadline?.Change(Timeout.Infinite, Timeout.Infinite);
            s_pending.TryRemove(this, out _);
        }
    }

    /// <summary>Sends _pending + <paramref name="text"/> (in chunks of at most MaxChunk); with <paramref name="final"/> false the text is exactly one chunk.</summary>
    private void EmitLocked(ReadOnlySpan<char> text, bool final)
    {
        string whole;
        if (_pending.Length == 0)
        {
            whole = new string(text);
        }
        else
        {
            _pending.Append(text);
            whole = _pending.ToString();
            _pending.Clear();
        }
        if (final) PostChunks(whole);
        else _post(new Output(_evalId, _sessionId, _stream, whole));
    }

    private void PostChunks(string text)
    {
        var start = 0;
        while (start < text.Length)
        {
            var take = Math.Min(MaxChunk, text.Length - start);
            if (take < text.Length - start && take > 1 && char.IsHighSurrogate(text[start + take - 1])) take--;
            _post(new Output(_evalId, _sessionId, _stream, start == 0 && take == text.Length ? text : text.Substring(start, take)));
            start += take;
        }
    }

    private void ArmDeadlineLocked()
    {
        if (_deadline is null)
        {
            // The timer must not capture the writer's execution context (it would keep an eval's
            // AsyncLocals alive and is never needed: the buffer knows its ids).
            using (ExecutionContext.SuppressFlow())
            {
                _deadline = new Timer(static s => ((OutputBuffer)s!).OnDeadline(), this, Timeout.Infinite, Timeout.Infinite);
            }
        }
        _deadline.Change(FlushDeadline, Timeout.InfiniteTimeSpan);
        _deadlineArmed = true;
        s_pending.TryAdd(this, 0);
    }

    /// <summary>Sends the partial lines of every buffer (the process is exiting).</summary>
    public static void FlushAll()
    {
        foreach (var buffer in s_pending.Keys) buffer.Flush();
    }

    private void OnDeadline()
    {
        lock (_gate)
        {
            if (!_deadlineArmed) return;
            _deadlineArmed = false;
            s_pending.TryRemove(this, out _);
            var length = _pending.Length;
            if (length > 0 && char.IsHighSurrogate(_pending[length - 1])) length--;
            if (length == 0) return;
            var text = _pending.ToString(0, length);
            _pending.Remove(0, length);
            PostChunks(text);
        }
    }
}
