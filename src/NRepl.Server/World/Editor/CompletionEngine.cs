using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NRepl.Server.World.Model;
using NRepl.Server.World.Rendering;

namespace NRepl.Server.World.Editor;

/// <summary>A completion candidate as nREPL clients show it: the text, its kind in C# terms, and where it is declared.</summary>
internal sealed record CompletionCandidate(string Candidate, string Type, string? Ns);

/// <summary>
/// Completion over the live world (issue 4): the prefix is bound by Roslyn's semantic model at a point
/// inside the namespace's holder class, where an eval's code would run, so candidates are exactly what
/// an eval could name there: the session namespace's variables, functions and types, the namespaces and
/// types its usings bring in, C# keywords, and after a dot the members of what precedes it (static
/// members of a type, instance members and extension methods of a value, types and namespaces of a
/// namespace). Clients that send only the text after the last dot (Neat) get the members of the
/// receivers the session's recent input used, too.
/// </summary>
internal static class CompletionEngine
{
    internal const string Marker = "__nrepl_complete";
    private const int MaxCandidates = 500;

    private static readonly string[] Keywords =
    [
        "abstract", "as", "async", "await", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const",
        "continue", "decimal", "default", "delegate", "do", "double", "dynamic", "else", "enum", "event", "explicit", "extern",
        "false", "finally", "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "init", "int", "interface",
        "internal", "is", "lock", "long", "nameof", "namespace", "new", "null", "object", "operator", "out", "override", "params",
        "private", "protected", "public", "readonly", "record", "ref", "required", "return", "sbyte", "sealed", "short",
        "sizeof", "stackalloc", "static", "string", "struct", "switch", "this", "throw", "true", "try", "typeof", "uint",
        "ulong", "unchecked", "unsafe", "ushort", "using", "var", "virtual", "void", "volatile", "when", "where", "while", "with",
        "yield",
    ];

    /// <param name="world">The world's current compilation (immutable: read without the world lock).</param>
    /// <param name="ns">The session's namespace, as C#.</param>
    /// <param name="usings">That namespace's usings.</param>
    /// <param name="prefix">What the client sends: <c>Console.Wr</c>, <c>players[0].Na</c>, or just <c>Wr</c>.</param>
    /// <param name="recentInput">The session's latest submissions, newest first.</param>
    public static IReadOnlyList<CompletionCandidate> Complete(CSharpCompilation world, string ns, IReadOnlyList<UsingDefinition> usings,
        string prefix, IReadOnlyList<string> recentInput)
    {
        var dot = LastMemberDot(prefix);
        var results = new List<CompletionCandidate>();
        if (dot >= 0)
        {
            results.AddRange(Members(world, ns, usings, prefix[..dot], prefix[(dot + 1)..]));
        }
        else
        {
            results.AddRange(InScope(world, ns, usings, prefix));
            results.AddRange(Keywords.Where(k => Matches(k, prefix)).Select(k => new CompletionCandidate(k, "keyword", null)));
            foreach (var receiver in RecentReceivers(recentInput))
            {
                results.AddRange(Members(world, ns, usings, receiver, prefix));
            }
        }
        return results
            .DistinctBy(c => (c.Candidate, c.Type))
            .OrderBy(c => c.Candidate.StartsWith(prefix[(dot + 1)..], StringComparison.Ordinal) ? 0 : 1)
            .ThenBy(c => c.Candidate, StringComparer.Ordinal)
            .Take(MaxCandidates)
            .ToList();
    }

    private static IEnumerable<CompletionCandidate> InScope(CSharpCompilation world, string ns, IReadOnlyList<UsingDefinition> usings, string prefix)
    {
        var (model, position) = Probe(world, ns, usings, Marker);
        return model.LookupSymbols(position)
            .Where(s => Matches(s.Name, prefix) && Visible(s))
            .Select(Candidate)
            .OfType<CompletionCandidate>();
    }

    private static IEnumerable<CompletionCandidate> Members(CSharpCompilation world, string ns, IReadOnlyList<UsingDefinition> usings, string receiver, string prefix)
    {
        if (string.IsNullOrWhiteSpace(receiver)) return [];
        var (model, position) = Probe(world, ns, usings, $"{receiver}.{Marker}");
        var access = model.SyntaxTree.GetRoot().DescendantNodes().OfType<MemberAccessExpressionSyntax>().LastOrDefault(m => m.Name.Identifier.ValueText == Marker);
        if (access is null) return [];
        var target = model.GetSymbolInfo(access.Expression);
        var symbol = target.Symbol ?? target.CandidateSymbols.FirstOrDefault();
        IEnumerable<ISymbol> members;
        switch (symbol)
        {
            case INamespaceSymbol space:
                members = model.LookupNamespacesAndTypes(position, space);
                break;
            case INamedTypeSymbol type when access.Expression is not ThisExpressionSyntax && (target.Symbol is not null || IsTypeName(access.Expression)):
                // Color.Red is a type name, unless a variable of that name hides it: the binder decided above.
                members = model.LookupStaticMembers(position, type);
                break;
            default:
                var valueType = model.GetTypeInfo(access.Expression).Type;
                if (valueType is null or IErrorTypeSymbol) return [];
                members = model.LookupSymbols(position, valueType, includeReducedExtensionMethods: true).Where(m => !m.IsStatic || m is IMethodSymbol { ReducedFrom: not null });
                break;
        }
        return members
            .Where(s => Matches(s.Name, prefix) && Visible(s) && s is not IMethodSymbol { MethodKind: not (MethodKind.Ordinary or MethodKind.ReducedExtension) })
            .Select(Candidate)
            .OfType<CompletionCandidate>();
    }

    private static bool IsTypeName(ExpressionSyntax expression) => expression is NameSyntax or PredefinedTypeSyntax;

    /// <summary>
    /// A probe tree: <paramref name="code"/> as a statement of a method of the namespace's holder, as an
    /// eval's code sits. Returns its model and the position of the marker (where the completion is).
    /// </summary>
    internal static (SemanticModel Model, int Position) Probe(CSharpCompilation world, string ns, IReadOnlyList<UsingDefinition> usings, string code)
    {
        var text = new StringBuilder();
        text.Append("namespace ").Append(ns).Append("\n{\n");
        foreach (var u in usings) text.Append(u.Text).Append('\n');
        text.Append("using static global::").Append(ns).Append('.').Append(WorldNames.Holder).Append(";\n");
        text.Append("internal static partial class ").Append(WorldNames.Holder).Append("\n{\ninternal static void __Complete()\n{\n");
        var at = text.Length + code.LastIndexOf(Marker, StringComparison.Ordinal);
        text.Append(code).Append(";\n}\n}\n}\n");
        var tree = CSharpSyntaxTree.ParseText(text.ToString(), TreeRenderer.ParseOptions);
        var compilation = world.AddSyntaxTrees(tree);
        return (compilation.GetSemanticModel(tree), at);
    }

    internal static CompletionCandidate? Candidate(ISymbol symbol)
    {
        var inHolder = symbol.ContainingType?.Name == WorldNames.Holder;
        var type = symbol switch
        {
            INamespaceSymbol => "namespace",
            INamedTypeSymbol { TypeKind: TypeKind.Struct } => "struct",
            INamedTypeSymbol { TypeKind: TypeKind.Interface } => "interface",
            INamedTypeSymbol { TypeKind: TypeKind.Enum } => "enum",
            INamedTypeSymbol { TypeKind: TypeKind.Delegate } => "delegate",
            INamedTypeSymbol => "class",
            IMethodSymbol => "method",
            IPropertySymbol => "property",
            // A top-level variable is a static field of the holder; the user declared it as a variable.
            IFieldSymbol when inHolder => "local",
            IFieldSymbol { ContainingType.TypeKind: TypeKind.Enum } => "enum-member",
            IFieldSymbol => "field",
            IEventSymbol => "event",
            ILocalSymbol or IParameterSymbol or IRangeVariableSymbol => "local",
            _ => null,
        };
        if (type is null) return null;
        var ns = symbol switch
        {
            INamespaceSymbol space => space.ContainingNamespace is { IsGlobalNamespace: false } parent ? parent.ToDisplayString() : null,
            _ when inHolder => symbol.ContainingNamespace.ToDisplayString(),
            INamedTypeSymbol named when named.ContainingType is null => named.ContainingNamespace is { IsGlobalNamespace: false } parent ? WorldNames.UserNamespaceOf(parent.ToDisplayString()) : null,
            _ => symbol.ContainingType?.ToDisplayString(),
        };
        return new CompletionCandidate(symbol.Name, type, ns);
    }

    /// <summary>What the world compiler adds (eval methods, helpers, hidden namespaces of replaced types) is not the user's to complete.</summary>
    internal static bool Visible(ISymbol symbol) =>
        symbol.CanBeReferencedByName && !symbol.Name.StartsWith("__", StringComparison.Ordinal) && !symbol.IsImplicitlyDeclared
        && symbol is not INamedTypeSymbol { Name: "LiveObject" or "LiveRecord", ContainingNamespace.Name: "Runtime" };

    private static bool Matches(string name, string prefix) => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>The dot before the member being completed (not one inside parentheses, brackets or a string); -1 if none.</summary>
    private static int LastMemberDot(string prefix)
    {
        var depth = 0;
        var inString = false;
        var dot = -1;
        for (var i = 0; i < prefix.Length; i++)
        {
            var c = prefix[i];
            if (c == '"' && (i == 0 || prefix[i - 1] != '\\')) inString = !inString;
            if (inString) continue;
            if (c is '(' or '[' or '{') depth++;
            else if (c is ')' or ']' or '}') depth--;
            else if (c == '.' && depth == 0) dot = i;
        }
        return dot;
    }

    /// <summary>Receivers of member accesses in the session's recent input (<c>Console</c> of <c>Console.WriteLine(...)</c>), newest first.</summary>
    private static IEnumerable<string> RecentReceivers(IReadOnlyList<string> recentInput) =>
        recentInput
            .SelectMany(code => CSharpSyntaxTree.ParseText(code, TreeRenderer.ParseOptions.WithKind(SourceCodeKind.Script)).GetRoot()
                .DescendantNodes().OfType<MemberAccessExpressionSyntax>()
                .Where(m => m.Expression is IdentifierNameSyntax or MemberAccessExpressionSyntax or PredefinedTypeSyntax)
                .Select(m => m.Expression.ToString()))
            .Distinct(StringComparer.Ordinal)
            .Take(20);
}
