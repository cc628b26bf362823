using System.Globalization;
using Microsoft.CodeAnalysis;
using NRepl.Server.World.Rendering;

namespace NRepl.Server.World;

/// <summary>Formats compiler diagnostics the way editors parse them: <c>file:line:col: error CSxxxx: message</c>.</summary>
internal static class DiagnosticText
{
    /// <summary>A diagnostic of rendered world code; <c>#line</c> directives already carry the user's positions.</summary>
    public static string Format(Diagnostic diagnostic)
    {
        var span = diagnostic.Location.GetMappedLineSpan();
        var position = span.StartLinePosition;
        var path = span.HasMappedPath ? span.Path : "(generated)";
        return $"{path}:{position.Line + 1}:{position.Character + 1}: {Severity(diagnostic)} {diagnostic.Id}: {diagnostic.GetMessage(CultureInfo.InvariantCulture)}";
    }

    /// <summary>A diagnostic of the user's raw input, whose tree has no <c>#line</c>: offset by where the input starts.</summary>
    public static string Format(Diagnostic diagnostic, SourceOrigin origin)
    {
        var position = diagnostic.Location.GetLineSpan().StartLinePosition;
        var line = origin.Line + position.Line;
        var column = (position.Line == 0 ? origin.Column : 1) + position.Character;
        return $"{origin.File}:{line}:{column}: {Severity(diagnostic)} {diagnostic.Id}: {diagnostic.GetMessage(CultureInfo.InvariantCulture)}";
    }

    private static string Severity(Diagnostic diagnostic) => diagnostic.Severity == DiagnosticSeverity.Error ? "error" : "warning";
}
