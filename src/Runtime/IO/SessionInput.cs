using System.Text;
using NRepl.Runtime.Contract;
using NRepl.Runtime.Evaluation;

namespace NRepl.Runtime.IO;

/// <summary>
/// Standard input of one session: text sent by the editor, queued until code reads it. A read on an
/// empty queue asks the server for input (<see cref="NeedInput"/>) and blocks until text or end of input
/// arrives, or until the reading eval is interrupted.
/// </summary>
internal sealed class SessionInput(string sessionId)
{
    private readonly object _gate = new();
    private readonly StringBuilder _text = new();
    private int _start;
    private bool _eof;
    private bool _closed;

    public string SessionId { get; } = sessionId;

    /// <summary>Adds text; <paramref name="eof"/> ends the input after it (the next read that finds nothing returns end).</summary>
    public void Add(string text, bool eof)
    {
        lock (_gate)
        {
            _text.Append(text);
            if (eof) _eof = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>The session was forgotten: drop the text; every read now returns end of input.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _text.Clear();
            _start = 0;
            _closed = true;
            Monitor.PulseAll(_gate);
        }
    }

    public int Peek()
    {
        lock (_gate) return _start < _text.Length ? _text[_start] : -1;
    }

    public int Read(EvalContext eval, Action<TargetMessage> post)
    {
        Span<char> one = stackalloc char[1];
        return Read(one, eval, post) == 0 ? -1 : one[0];
    }

    /// <summary>Copies available text (at least one char unless at end of input); 0 means end of input.</summary>
    public int Read(Span<char> buffer, EvalContext eval, Action<TargetMessage> post)
    {
        if (buffer.IsEmpty) return 0;
        lock (_gate)
        {
            if (!WaitForTextLocked(eval, post, untilNewline: false)) return 0;
            var n = Math.Min(buffer.Length, _text.Length - _start);
            _text.CopyTo(_start, buffer, n);
            ConsumeLocked(n);
            return n;
        }
    }

    /// <summary>A line without its terminator; the unterminated rest at end of input; null at end of input.</summary>
    public string? ReadLine(EvalContext eval, Action<TargetMessage> post)
    {
        lock (_gate)
        {
            if (!WaitForTextLocked(eval, post, untilNewline: true)) return null;
            var newline = IndexOfNewlineLocked();
            string line;
            if (newline < 0)
            {
                line = _text.ToString(_start, _text.Length - _start);
                ConsumeLocked(_text.Length - _start);
            }
            else
            {
                var end = newline > _start && _text[newline - 1] == '\r' ? newline - 1 : newline;
                line = _text.ToString(_start, end - _start);
                ConsumeLocked(newline + 1 - _start);
            }
            return line;
        }
    }

    /// <summary>
    /// Blocks until there is text to return (a whole line if <paramref name="untilNewline"/>) or input ended.
    /// Returns false at end of input, consuming the end marker so a later eval can read again.
    /// </summary>
    private bool WaitForTextLocked(EvalContext eval, Action<TargetMessage> post, bool untilNewline)
    {
        while (true)
        {
            var available = _text.Length - _start;
            if (available > 0 && (!untilNewline || IndexOfNewlineLocked() >= 0)) return true;
            if (_closed) return available > 0;
            if (_eof)
            {
                if (available > 0) return true;
                _eof = false;
                return false;
            }

            // The eval's thread may have been interrupted before it got here; the flag is authoritative.
            CompilerHooks.LoopPoll();
            // The prompt the code just wrote must reach the editor before the request for input.
            eval.FlushOutput();
            post(new NeedInput(eval.EvalId, eval.SessionId));
            // Thread.Interrupt (sent to the eval thread on interrupt) breaks this wait.
            Monitor.Wait(_gate);
            CompilerHooks.LoopPoll();
        }
    }

    private int IndexOfNewlineLocked()
    {
        for (var i = _start; i < _text.Length; i++)
        {
            if (_text[i] == '\n') return i;
        }
        return -1;
    }

    private void ConsumeLocked(int count)
    {
        _start += count;
        if (_start == _text.Length)
        {
            _text.Clear();
            _start = 0;
        }
        else if (_start > 4096 && _start > _text.Length / 2)
        {
            _text.Remove(0, _start);
            _start = 0;
        }
    }
}
