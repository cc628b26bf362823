using System.Runtime.CompilerServices;
using System.Text;

namespace NRepl.Runtime.Printing;

/// <summary>
/// C# spellings of types, as a user would write them: <c>int</c>, <c>List&lt;Point&gt;</c>,
/// <c>int?</c>, <c>(int, string)</c>, <c>int[][,]</c>, <c>Outer.Inner</c>. Namespaces are left out.
/// </summary>
internal static class TypeNames
{
    private static readonly ConditionalWeakTable<Type, string> s_cache = new();

    /// <summary>The C# name of <paramref name="type"/>.</summary>
    public static string Of(Type type) => s_cache.GetValue(type, static t =>
    {
        var text = new StringBuilder();
        Append(text, t);
        return text.ToString();
    });

    /// <summary>Appends the C# name of <paramref name="type"/>.</summary>
    internal static void Append(StringBuilder text, Type type)
    {
        if (type.IsByRef)
        {
            text.Append("ref ");
            Append(text, type.GetElementType()!);
            return;
        }
        if (type.IsPointer)
        {
            Append(text, type.GetElementType()!);
            text.Append('*');
            return;
        }
        if (type.IsArray)
        {
            // C# lists rank specifiers from the outermost array inwards: int[][,] is an array of int[,].
            var element = type;
            var ranks = new List<int>();
            while (element.IsArray)
            {
                ranks.Add(element.GetArrayRank());
                element = element.GetElementType()!;
            }
            Append(text, element);
            foreach (var rank in ranks) AppendRank(text, rank);
            return;
        }
        if (type.IsGenericParameter)
        {
            text.Append(type.Name);
            return;
        }
        if (Keyword(type) is { } keyword)
        {
            text.Append(keyword);
            return;
        }
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            Append(text, underlying);
            text.Append('?');
            return;
        }
        if (IsValueTuple(type) && type.IsConstructedGenericType)
        {
            text.Append('(');
            var first = true;
            foreach (var item in TupleElementTypes(type))
            {
                if (!first) text.Append(", ");
                first = false;
                Append(text, item);
            }
            text.Append(')');
            return;
        }
        if (IsAnonymous(type))
        {
            text.Append("<anonymous type>");
            return;
        }

        // Outer<T>.Inner<U> is one type with all arguments [T, U]; each level consumes its own share.
        var arguments = type.IsGenericType ? type.GetGenericArguments() : Type.EmptyTypes;
        AppendNested(text, type, arguments, arguments.Length);
    }

    /// <summary>Appends <c>[]</c> or <c>[,]</c> and so on.</summary>
    internal static void AppendRank(StringBuilder text, int rank) => text.Append('[').Append(',', rank - 1).Append(']');

    private static void AppendNested(StringBuilder text, Type type, Type[] arguments, int count)
    {
        var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        var ownStart = 0;
        if (definition.IsNested && definition.DeclaringType is { } outer)
        {
            ownStart = outer.IsGenericType ? outer.GetGenericArguments().Length : 0;
            AppendNested(text, outer, arguments, ownStart);
            text.Append('.');
        }
        var name = definition.Name;
        var tick = name.IndexOf('`');
        text.Append(tick >= 0 ? name.AsSpan(0, tick) : name);
        if (count > ownStart)
        {
            text.Append('<');
            for (var i = ownStart; i < count; i++)
            {
                if (i > ownStart) text.Append(", ");
                Append(text, arguments[i]);
            }
            text.Append('>');
        }
    }

    internal static bool IsValueTuple(Type type) =>
        type.IsGenericType && type.Namespace == "System" && type.Name.StartsWith("ValueTuple`", StringComparison.Ordinal);

    internal static bool IsAnonymous(Type type) =>
        type.Name.Contains("AnonymousType", StringComparison.Ordinal) && type.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false);

    private static IEnumerable<Type> TupleElementTypes(Type tuple)
    {
        var arguments = tuple.GetGenericArguments();
        for (var i = 0; i < arguments.Length; i++)
        {
            // The 8th argument of a long tuple is the rest of it, another ValueTuple.
            if (i == 7 && IsValueTuple(arguments[i]))
            {
                foreach (var rest in TupleElementTypes(arguments[i])) yield return rest;
            }
            else
            {
                yield return arguments[i];
            }
        }
    }

    private static string? Keyword(Type type)
    {
        if (type == typeof(int)) return "int";
        if (type == typeof(string)) return "string";
        if (type == typeof(bool)) return "bool";
        if (type == typeof(object)) return "object";
        if (type == typeof(long)) return "long";
        if (type == typeof(double)) return "double";
        if (type == typeof(char)) return "char";
        if (type == typeof(byte)) return "byte";
        if (type == typeof(sbyte)) return "sbyte";
        if (type == typeof(short)) return "short";
        if (type == typeof(ushort)) return "ushort";
        if (type == typeof(uint)) return "uint";
        if (type == typeof(ulong)) return "ulong";
        if (type == typeof(float)) return "float";
        if (type == typeof(decimal)) return "decimal";
        if (type == typeof(nint)) return "nint";
        if (type == typeof(nuint)) return "nuint";
        if (type == typeof(void)) return "void";
        return null;
    }
}
