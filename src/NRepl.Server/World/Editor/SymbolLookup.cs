using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NRepl.Server.World.Model;

namespace NRepl.Server.World.Editor;

/// <summary>
/// What the editor shows for a name (issue 4: <c>lookup</c>, <c>info</c>, <c>eldoc</c>): the symbol an eval in
/// the namespace would bind it to, its C# signatures (every overload of a method), the summary of its
/// documentation comment (XML docs of framework members, <c>///</c> comments of world definitions), and
/// where a world definition was written (the user's file and position, kept through <c>#line</c>).
/// </summary>
internal sealed record SymbolDetails(
    string Name,
    string? Ns,
    string Type,
    IReadOnlyList<string> Signatures,
    IReadOnlyList<IReadOnlyList<string>> Parameters,
    string? Doc,
    string? File,
    int? Line,
    int? Column);

internal static partial class SymbolLookup
{
    private static readonly SymbolDisplayFormat Signature = SymbolDisplayFormat.MinimallyQualifiedFormat
        .WithMemberOptions(SymbolDisplayMemberOptions.IncludeParameters | SymbolDisplayMemberOptions.IncludeType | SymbolDisplayMemberOptions.IncludeContainingType
            | SymbolDisplayMemberOptions.IncludeRef)
        .WithParameterOptions(SymbolDisplayParameterOptions.IncludeType | SymbolDisplayParameterOptions.IncludeName | SymbolDisplayParameterOptions.IncludeDefaultValue
            | SymbolDisplayParameterOptions.IncludeParamsRefOut)
        .WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.UseSpecialTypes | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private static readonly SymbolDisplayFormat ParameterFormat = SymbolDisplayFormat.MinimallyQualifiedFormat
        .WithParameterOptions(SymbolDisplayParameterOptions.IncludeType | SymbolDisplayParameterOptions.IncludeName | SymbolDisplayParameterOptions.IncludeParamsRefOut)
        .WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.UseSpecialTypes | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>The details of <paramref name="name"/> (<c>Console.WriteLine</c>, <c>players</c>, <c>Squad.Heal</c>) in namespace <paramref name="ns"/>; null when it names nothing.</summary>
    public static SymbolDetails? Find(CSharpCompilation world, string ns, IReadOnlyList<UsingDefinition> usings, string name)
    {
        if (string.IsNullOrWhiteSpace(name) || SyntaxFactory.ParseExpression(name) is not (NameSyntax or MemberAccessExpressionSyntax or PredefinedTypeSyntax) || name.Contains(';'))
        {
            return null;
        }
        var (model, position) = CompletionEngine.Probe(world, ns, usings, $"{name}.{CompletionEngine.Marker}");
        var access = model.SyntaxTree.GetRoot().DescendantNodes().OfType<MemberAccessExpressionSyntax>().LastOrDefault(m => m.Name.Identifier.ValueText == CompletionEngine.Marker);
        if (access is null) return null;
        var bound = model.GetSymbolInfo(access.Expression);
        var symbols = (bound.Symbol is { } one ? [one] : bound.CandidateSymbols.ToList()).Where(CompletionEngine.Visible).ToList();
        if (symbols.Count == 0) return null;
        var primary = symbols[0];
        var overloads = primary is IMethodSymbol ? symbols.OfType<IMethodSymbol>().ToList() : [];
        var candidate = CompletionEngine.Candidate(primary);
        var location = primary.Locations.FirstOrDefault(l => l.IsInSource)?.GetMappedLineSpan();
        string? file = null;
        if (location is { HasMappedPath: true, Path: { } path } && Path.IsPathRooted(path)) file = new Uri(path).AbsoluteUri;
        return new SymbolDetails(
            primary.Name,
            candidate?.Ns,
            candidate?.Type ?? primary.Kind.ToString().ToLowerInvariant(),
            overloads.Count > 0 ? [.. overloads.Select(SignatureOf)] : [SignatureOf(primary)],
            [.. overloads.Select(m => (IReadOnlyList<string>)[.. m.Parameters.Select(p => p.ToDisplayString(ParameterFormat))])],
            Summary(primary.GetDocumentationCommentXml(expandIncludes: true)),
            file,
            location is { } span && primary.Locations.Any(l => l.IsInSource) ? span.StartLinePosition.Line + 1 : null,
            location is { } at && primary.Locations.Any(l => l.IsInSource) ? at.StartLinePosition.Character + 1 : null);
    }

    /// <summary>A C# signature; the user's functions and variables without the holder class they are compiled into.</summary>
    private static string SignatureOf(ISymbol symbol) =>
        symbol.ToDisplayString(symbol.ContainingType?.Name == Rendering.WorldNames.Holder
            ? Signature.WithMemberOptions(Signature.MemberOptions & ~SymbolDisplayMemberOptions.IncludeContainingType)
            : Signature);

    /// <summary>The summary of a documentation comment as plain text (<c>see cref</c> becomes the name it points at).</summary>
    private static string? Summary(string? xml)
    {
        if (string.IsNullOrWhiteSpace(xml)) return null;
        XElement root;
        try
        {
            root = XElement.Parse(xml.TrimStart().StartsWith('<') ? $"<doc>{xml}</doc>" : xml);
        }
        catch (System.Xml.XmlException)
        {
            return null;
        }
        var summary = root.Descendants("summary").FirstOrDefault();
        if (summary is null) return null;
        var text = new StringBuilder();
        foreach (var node in summary.DescendantNodes())
        {
            switch (node)
            {
                case XText t when t.Parent is not null:
                    text.Append(t.Value);
                    break;
                case XElement { Name.LocalName: "see" or "seealso" } see when see.Attribute("cref") is { } cref:
                    text.Append(cref.Value[(cref.Value.IndexOf(':') + 1)..].Split('(')[0].Split('.').Last());
                    break;
                case XElement { Name.LocalName: "see" } see when see.Attribute("langword") is { } word:
                    text.Append(word.Value);
                    break;
                case XElement { Name.LocalName: "paramref" or "typeparamref" } reference when reference.Attribute("name") is { } param:
                    text.Append(param.Value);
                    break;
            }
        }
        return Whitespace().Replace(text.ToString(), " ").Trim();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
