using System.Text;
using Microsoft.CodeAnalysis;

namespace NRepl.Server.World.Migration;

/// <summary>
/// Names a type the way the target's reflection prints it (<c>System.Type.ToString()</c>):
/// <c>System.Int64</c>, <c>System.Collections.Generic.List`1[System.String]</c>, <c>user.Outer+Inner</c>.
/// The target finds fields by name and this text, because a retyped field is a second field of the
/// same name in metadata.
/// </summary>
internal static class ClrTypeNames
{
    public static string Of(ITypeSymbol type)
    {
        var sb = new StringBuilder();
        Append(sb, type);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, ITypeSymbol type)
    {
        switch (type)
        {
            case IArrayTypeSymbol array:
                Append(sb, array.ElementType);
                sb.Append('[').Append(',', array.Rank - 1).Append(']');
                return;
            case IPointerTypeSymbol pointer:
                Append(sb, pointer.PointedAtType);
                sb.Append('*');
                return;
            case INamedTypeSymbol named:
                AppendDefinition(sb, named);
                var arguments = AllTypeArguments(named);
                if (arguments.Count > 0)
                {
                    sb.Append('[');
                    for (var i = 0; i < arguments.Count; i++)
                    {
                        if (i > 0) sb.Append(',');
                        Append(sb, arguments[i]);
                    }
                    sb.Append(']');
                }
                return;
            default:
                sb.Append(type.MetadataName);
                return;
        }
    }

    private static void AppendDefinition(StringBuilder sb, INamedTypeSymbol type)
    {
        if (type.ContainingType is { } outer)
        {
            AppendDefinition(sb, outer);
            sb.Append('+');
        }
        else if (type.ContainingNamespace is { IsGlobalNamespace: false } ns)
        {
            sb.Append(ns.ToDisplayString()).Append('.');
        }
        sb.Append(type.MetadataName);
    }

    // Reflection lists the type arguments of the containing types first (Outer`1+Inner`1[A,B]).
    private static List<ITypeSymbol> AllTypeArguments(INamedTypeSymbol type)
    {
        var arguments = type.ContainingType is { } outer ? AllTypeArguments(outer) : new List<ITypeSymbol>();
        arguments.AddRange(type.TypeArguments);
        return arguments;
    }
}
