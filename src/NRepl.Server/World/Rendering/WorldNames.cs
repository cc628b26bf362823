using System.Text;

namespace NRepl.Server.World.Rendering;

/// <summary>Names the world compiler generates; user code sees only the namespace.</summary>
internal static class WorldNames
{
    /// <summary>The static class of each namespace that holds its functions, state and eval methods.</summary>
    public const string Holder = "__Defs";

    public static string EvalMethod(long serial) => "__Eval_" + serial;

    public const string FilePrefixForStaticInit = "__init_";

    private const string ReplacedMarker = ".__Live";

    /// <summary>
    /// The namespace a type replaced by replace-type is compiled in: inside its own (<c>user.__Live7_Knight</c>),
    /// so it still sees that namespace's names; <paramref name="serial"/> makes each replacement's new.
    /// </summary>
    public static string ReplacedTypeNamespace(string ns, long serial, string typeName) => $"{ns}{ReplacedMarker}{serial}_{typeName}";

    /// <summary>The user's namespace of a type: a replaced type's hidden namespace counts as the one it sits in.</summary>
    public static string UserNamespaceOf(string ns) => ns.IndexOf(ReplacedMarker, StringComparison.Ordinal) is > 0 and var at ? ns[..at] : ns;

    /// <summary>Maps an nREPL namespace name ("user", "my-app.core") to a valid C# namespace.</summary>
    public static string ToCSharpNamespace(string? ns)
    {
        if (string.IsNullOrWhiteSpace(ns)) return "user";
        var parts = ns.Split('.', StringSplitOptions.RemoveEmptyEntries).Select(ToIdentifier);
        var result = string.Join('.', parts);
        return result.Length == 0 ? "user" : result;
    }

    private static string ToIdentifier(string part)
    {
        var sb = new StringBuilder(part.Length);
        foreach (var c in part) sb.Append(char.IsLetterOrDigit(c) || c == '_' ? c : '_');
        if (sb.Length == 0 || char.IsDigit(sb[0])) sb.Insert(0, '_');
        return sb.ToString();
    }
}
