using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace NRepl.Server.World.Rendering;

/// <summary>
/// Builds generated C# from pieces of the user's text and hidden glue, with <c>#line</c>
/// directives so that diagnostics, sequence points and stack traces point at the user's file,
/// line and column, never at the generated code. Hidden pieces (modifiers we impose, injected
/// interrupt checks, wrappers) run under <c>#line hidden</c>.
/// </summary>
/// <remarks>
/// A directive has to stand on a line of its own, so every switch starts a new line; columns of
/// the first mapped line are restored by padding with spaces. Cut points are always token
/// boundaries, so no token or comment is ever split.
/// </remarks>
internal sealed class MappedSourceBuilder
{
    private readonly StringBuilder _output = new();
    private readonly SourceText _text;
    private readonly SourceOrigin _origin;
    private readonly string _escapedFile;
    private readonly List<Injection> _injections = new();
    private bool _sorted = true;

    public MappedSourceBuilder(SourceText text, SourceOrigin origin)
    {
        _text = text;
        _origin = origin;
        _escapedFile = origin.File.Replace("\"", "'", StringComparison.Ordinal);
    }

    /// <summary>Replace <paramref name="length"/> characters at <paramref name="position"/> of the user's text with hidden <paramref name="text"/>.</summary>
    public void Inject(int position, string text, int length = 0) =>
        Inject(position, new[] { InjectedPart.Hidden(text) }, length);

    /// <summary>Insert generated code at <paramref name="position"/> that repeats pieces of the user's text (mapped to where they were written).</summary>
    public void Inject(int position, IReadOnlyList<InjectedPart> parts, int length = 0)
    {
        if (_injections.Count > 0 && _injections[^1].Position > position) _sorted = false;
        _injections.Add(new Injection(position, length, parts, _injections.Count));
    }

    public void Hidden(string text)
    {
        _output.Append("\n#line hidden\n").Append(text);
    }

    /// <summary>Emit the user's text in [start, end), applying the registered injections inside it.</summary>
    public void Original(int start, int end)
    {
        if (!_sorted)
        {
            _injections.Sort((a, b) => a.Position != b.Position ? a.Position.CompareTo(b.Position) : a.Order.CompareTo(b.Order));
            _sorted = true;
        }

        var cursor = start;
        foreach (var injection in _injections)
        {
            if (injection.Position < start || injection.Position > end) continue;
            if (injection.Position < cursor) continue; // inside text an earlier replacement consumed
            Mapped(cursor, injection.Position);
            foreach (var part in injection.Parts)
            {
                if (part.Text is not null) Hidden(part.Text);
                else Mapped(part.Span.Start, part.Span.End);
            }
            cursor = injection.Position + injection.Length;
        }
        Mapped(cursor, end);
    }

    public override string ToString() => _output.ToString();

    private void Mapped(int start, int end)
    {
        if (end <= start) return;
        var position = _text.Lines.GetLinePosition(start);
        var line = _origin.Line + position.Line;
        var column = position.Line == 0 ? _origin.Column - 1 + position.Character : position.Character;
        _output.Append("\n#line ").Append(line).Append(" \"").Append(_escapedFile).Append("\"\n");
        _output.Append(' ', Math.Max(0, column));
        _output.Append(_text.ToString(TextSpan.FromBounds(start, end)));
    }

    private readonly record struct Injection(int Position, int Length, IReadOnlyList<InjectedPart> Parts, int Order);
}

/// <summary>A piece of injected code: hidden generated text, or a span of the user's text repeated with its mapping.</summary>
internal readonly record struct InjectedPart(string? Text, TextSpan Span)
{
    public static InjectedPart Hidden(string text) => new(text, default);

    public static InjectedPart Mapped(TextSpan span) => new(null, span);
}
