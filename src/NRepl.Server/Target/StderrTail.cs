using System.Text;

namespace NRepl.Server.Target;

/// <summary>
/// The last lines a target wrote to stdout/stderr, bounded in lines and characters, kept to explain its
/// death. Lines that name a fatal condition are kept even when the tail has moved past them (a stack
/// overflow prints its headline first and then a long trace).
/// </summary>
internal sealed class StderrTail
{
    private const int MaxLines = 200;
    private const int MaxChars = 32 * 1024;
    private const int MaxLineChars = 2000;

    private readonly object _gate = new();
    private readonly Queue<string> _lines = new();
    private const int HeadlineBlockLines = 6;

    /// <summary>Each fatal headline with the few lines after it (FailFast puts its message on the next line).</summary>
    private readonly List<List<string>> _headlines = [];
    private List<string>? _openBlock;
    private int _chars;

    public void Add(string line)
    {
        if (line.Length > MaxLineChars) line = line[..MaxLineChars] + "...";
        lock (_gate)
        {
            if (IsHeadline(line) && _headlines.Count < 10)
            {
                _openBlock = [line];
                _headlines.Add(_openBlock);
            }
            else if (_openBlock is not null)
            {
                _openBlock.Add(line);
                if (_openBlock.Count >= HeadlineBlockLines) _openBlock = null;
            }
            _lines.Enqueue(line);
            _chars += line.Length;
            while (_lines.Count > MaxLines || _chars > MaxChars) _chars -= _lines.Dequeue().Length;
        }
    }

    /// <summary>Headline blocks first, then the tail (so a headline is found even when the tail lost it).</summary>
    public List<string> Lines()
    {
        lock (_gate)
        {
            var lines = _headlines.SelectMany(b => b).ToList();
            lines.AddRange(_lines);
            return lines;
        }
    }

    public override string ToString()
    {
        lock (_gate)
        {
            var text = new StringBuilder();
            foreach (var block in _headlines)
            {
                if (_lines.Contains(block[0])) continue;
                foreach (var line in block) text.Append(line).Append('\n');
                text.Append("...\n");
            }
            foreach (var line in _lines) text.Append(line).Append('\n');
            return text.ToString();
        }
    }

    private static bool IsHeadline(string line) =>
        line.StartsWith("Stack overflow.", StringComparison.Ordinal)
        || line.StartsWith("Process terminated.", StringComparison.Ordinal)
        || line.StartsWith("Unhandled exception.", StringComparison.Ordinal);
}
