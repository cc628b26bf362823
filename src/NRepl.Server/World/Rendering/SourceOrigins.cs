using Microsoft.CodeAnalysis.Text;

namespace NRepl.Server.World.Rendering;

internal static class SourceOrigins
{
    /// <summary>The origin of the character at <paramref name="position"/> of <paramref name="text"/>, which starts at <paramref name="origin"/>.</summary>
    public static SourceOrigin At(this SourceOrigin origin, SourceText text, int position)
    {
        var p = text.Lines.GetLinePosition(position);
        return p.Line == 0
            ? origin with { Column = origin.Column + p.Character }
            : origin with { Line = origin.Line + p.Line, Column = p.Character + 1 };
    }
}
