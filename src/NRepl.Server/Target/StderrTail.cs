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
    private readonly List<string> _headlines = [];
    private int _chars;

    public void Add(string line)
    {
        if (line.Length > MaxLineChars) line = line[..MaxLineChars] + "...";
        lock (_gate)
        {
            if (IsHeadline(line) && _headlines.Count < 10) _headlines.Add(line);
            _lines.Enqueue(line);
            _chars += line.Length;
            while (_lines.Count > MaxLines || _chars > MaxChars) _chars -= _lines.Dequeue().Length;
        }
    }

    /// <summary>Headlines first (deduplicated), then the tail.</summary>
    public List<string> Lines()
    {
        lock (_gate)
        {
            var lines = new List<string>(_headlines);
            lines.AddRange(_lines);
            return lines;
        }
    }

    public override string ToString()
    {
        lock (_gate)
        {
            var text = new StringBuilder();
            foreach (var headline in _headlines)
            {
                if (!_lines.Contains(headline)) text.Append(headline).Append('\n');
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
