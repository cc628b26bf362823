using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NRepl.Server.World.Parsing;

namespace NRepl.Server.World.Rendering;

/// <summary>The first statements of an eval method: the session's last values and exception, declared only when the code names them.</summary>
internal static class EvalPrelude
{
    public static string For(ParsedSubmission submission, string sessionId)
    {
        var names = submission.Tree.GetRoot().DescendantTokens()
            .Where(t => t.IsKind(SyntaxKind.IdentifierToken))
            .Select(t => t.ValueText)
            .ToHashSet(StringComparer.Ordinal);
        var sb = new System.Text.StringBuilder();
        var session = SymbolDisplay.FormatLiteral(sessionId, quote: true);
        for (var i = 1; i <= 3; i++)
        {
            if (names.Contains("_" + i)) sb.Append($"dynamic? _{i} = global::NRepl.Runtime.Repl.Value({session}, {i});\n");
        }
        if (names.Contains("_e")) sb.Append($"global::System.Exception? _e = global::NRepl.Runtime.Repl.LastException({session});\n");
        return sb.ToString();
    }
}
