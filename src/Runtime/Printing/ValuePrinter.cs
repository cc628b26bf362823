using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using NRepl.Runtime.Contract;

namespace NRepl.Runtime.Printing;

/// <summary>A printed value and whether it was cut by the print quota.</summary>
internal readonly record struct PrintedValue(string Text, bool Truncated);

/// <summary>
/// Renders a value the way C# would write it: literals for primitives and strings, <c>ToString()</c>
/// for records and types that define one, <c>List&lt;int&gt;(3) { 1, 2, 3 }</c> for collections, and
/// <c>Type { Member = value }</c> for other objects. Honors <see cref="PrintSettings"/> (items per
/// collection, depth, total characters). A failing <c>ToString</c> or getter is shown inline; cycles print
/// as <c>...</c>.
/// </summary>
internal sealed class ValuePrinter
{
    private const string Ellipsis = "...";

    private readonly StringBuilder _text = new();
    private readonly HashSet<object> _active = new(ReferenceEqualityComparer.Instance);
    private readonly int _maxItems;
    private readonly int _maxDepth;
    private readonly int _quota;

    private ValuePrinter(PrintSettings settings)
    {
        _maxItems = Math.Max(0, settings.MaxItems);
        _maxDepth = Math.Max(0, settings.MaxDepth);
        _quota = Math.Max(0, settings.Quota);
    }

    /// <summary>Prints <paramref name="value"/>. Exceptions of user code are shown inline, except interrupts, which propagate.</summary>
    public static PrintedValue Print(object? value, PrintSettings settings)
    {
        var printer = new ValuePrinter(settings);
        try
        {
            printer.Value(value, 0);
            return new PrintedValue(printer._text.ToString(), false);
        }
        catch (QuotaReachedException)
        {
            return new PrintedValue(printer._text.ToString(), true);
        }
    }

    private void Value(object? value, int depth)
    {
        switch (value)
        {
            case null:
                Emit("null");
                return;
            case string s:
                Emit(Literals.Quote(s));
                return;
            case char c:
                Emit(Literals.Quote(c));
                return;
            case bool b:
                Emit(b ? "true" : "false");
                return;
            case Enum e:
                Emit(Literals.Enum(e));
                return;
            case int or long or short or sbyte or byte or ushort or uint or ulong or nint or nuint or double or float or decimal:
                Emit(((IFormattable)value).ToString(null, CultureInfo.InvariantCulture));
                return;
            case Type t:
                Emit("typeof(");
                Emit(TypeNames.Of(t));
                Emit(")");
                return;
            case Delegate d:
                Emit(TypeNames.Of(d.GetType()));
                return;
            case Exception ex:
                Emit(TypeNames.Of(ex.GetType()));
                Emit(": ");
                Emit(ex.Message);
                return;
        }

        var type = value.GetType();
        if (!type.IsValueType && _active.Contains(value))
        {
            // A cycle: this object is already being printed further out.
            Emit(Ellipsis);
            return;
        }
        if (value is ITuple tuple && (TypeNames.IsValueTuple(type) || type.Namespace == "System" && type.Name.StartsWith("Tuple`", StringComparison.Ordinal)))
        {
            Composite(value, depth, "(", ")", () => Tuple(tuple, depth));
            return;
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(KeyValuePair<,>))
        {
            Composite(value, depth, "[", "]", () => KeyValue(value, type, depth));
            return;
        }
        if (TypeNames.IsAnonymous(type))
        {
            Composite(value, depth, "{ ", " }", () => Members(value, type, depth, emptyBraces: false));
            return;
        }
        if (value is Task task)
        {
            TaskValue(task, type, depth);
            return;
        }
        if (OverridesToString(type))
        {
            Emit(SafeToString(value));
            return;
        }
        if (value is IDictionary dictionary)
        {
            Header(type, CountOf(value));
            Composite(value, depth, " { ", " }", () => Dictionary(dictionary, depth), emptyText: " { }");
            return;
        }
        if (value is Array array)
        {
            ArrayHeader(array);
            Composite(value, depth, " { ", " }", () => Items(array, depth), emptyText: " { }");
            return;
        }
        if (value is IEnumerable enumerable)
        {
            Header(type, CountOf(value));
            Composite(value, depth, " { ", " }", () => Items(enumerable, depth), emptyText: " { }");
            return;
        }
        Emit(TypeNames.Of(type));
        Composite(value, depth, " { ", " }", () => Members(value, type, depth, emptyBraces: true), emptyText: " { }");
    }

    /// <summary>
    /// Prints a composite's body between <paramref name="open"/> and <paramref name="close"/>, or
    /// <c>open ... close</c> when it is deeper than the depth limit.
    /// </summary>
    private void Composite(object value, int depth, string open, string close, Func<bool> body, string? emptyText = null)
    {
        if (_maxDepth > 0 && depth >= _maxDepth)
        {
            Emit(open);
            Emit(Ellipsis);
            Emit(close);
            return;
        }
        // Only reference types can be part of a cycle; value types are copies.
        var tracked = !value.GetType().IsValueType && _active.Add(value);
        try
        {
            var mark = _text.Length;
            Emit(open);
            var any = body();
            if (!any && emptyText is not null)
            {
                _text.Length = mark;
                Emit(emptyText);
            }
            else
            {
                Emit(close);
            }
        }
        finally
        {
            if (tracked) _active.Remove(value);
        }
    }

    private bool Tuple(ITuple tuple, int depth)
    {
        for (var i = 0; i < tuple.Length; i++)
        {
            if (i > 0) Emit(", ");
            Value(tuple[i], depth + 1);
        }
        return tuple.Length > 0;
    }

    private bool KeyValue(object pair, Type type, int depth)
    {
        Value(Get(type.GetProperty("Key")!, pair, out var keyError) ?? keyError, depth + 1);
        Emit(", ");
        Value(Get(type.GetProperty("Value")!, pair, out var valueError) ?? valueError, depth + 1);
        return true;
    }

    private bool Dictionary(IDictionary dictionary, int depth) => Items(dictionary.GetEnumerator(), depth, entries: true);

    private bool Items(IEnumerable items, int depth) => Items(items.GetEnumerator(), depth, entries: false);

    /// <summary>The items, comma-separated and capped at the item limit; a dictionary's entries print as <c>{ key, value }</c>.</summary>
    private bool Items(IEnumerator enumerator, int depth, bool entries)
    {
        var count = 0;
        try
        {
            while (true)
            {
                if (!TryMoveNext(enumerator, count)) break;
                if (_maxItems > 0 && count >= _maxItems)
                {
                    Emit(", ");
                    Emit(Ellipsis);
                    break;
                }
                if (count > 0) Emit(", ");
                if (entries)
                {
                    var entry = ((IDictionaryEnumerator)enumerator).Entry;
                    Emit("{ ");
                    Value(entry.Key, depth + 1);
                    Emit(", ");
                    Value(entry.Value, depth + 1);
                    Emit(" }");
                }
                else
                {
                    Value(enumerator.Current, depth + 1);
                }
                count++;
            }
        }
        finally
        {
            (enumerator as IDisposable)?.Dispose();
        }
        return count > 0;
    }

    /// <summary>MoveNext of user enumerables may throw; the failure is shown where the next item would be.</summary>
    private bool TryMoveNext(IEnumerator enumerator, int printedSoFar)
    {
        try
        {
            return enumerator.MoveNext();
        }
        catch (Exception e) when (IsUserFailure(e))
        {
            if (printedSoFar > 0) Emit(", ");
            Emit(Threw(e));
            return false;
        }
    }

    private bool Members(object value, Type type, int depth, bool emptyBraces)
    {
        var any = false;
        foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Instance))
        {
            if (any) Emit(", ");
            any = true;
            Emit(field.Name);
            Emit(" = ");
            object? fieldValue;
            try
            {
                fieldValue = field.GetValue(value);
            }
            catch (Exception e) when (IsUserFailure(e))
            {
                Emit(Threw(e));
                continue;
            }
            Value(fieldValue, depth + 1);
        }
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.CanRead || property.GetIndexParameters().Length > 0 || property.GetMethod is not { IsPublic: true }) continue;
            if (any) Emit(", ");
            any = true;
            Emit(property.Name);
            Emit(" = ");
            var propertyValue = Get(property, value, out var error);
            if (error is not null) Emit(error);
            else Value(propertyValue, depth + 1);
        }
        return any || !emptyBraces;
    }

    /// <summary>A Task is shown by its state; its Result is read only when it is already there (reading it would block).</summary>
    private void TaskValue(Task task, Type type, int depth)
    {
        Emit(TypeNames.Of(type));
        Emit(" { Status = ");
        Emit(task.Status.ToString());
        if (task.Status == TaskStatus.RanToCompletion && type.GetProperty("Result") is { } result && result.PropertyType.Name != "VoidTaskResult")
        {
            Emit(", Result = ");
            var value = Get(result, task, out var error);
            if (error is not null) Emit(error);
            else Value(value, depth + 1);
        }
        else if (task.Exception is { } failure)
        {
            Emit(", Exception = ");
            Value(failure.InnerExceptions.Count == 1 ? failure.InnerExceptions[0] : failure, depth + 1);
        }
        Emit(" }");
    }

    private static object? Get(PropertyInfo property, object target, out string? error)
    {
        error = null;
        try
        {
            return property.GetValue(target);
        }
        catch (Exception e) when (IsUserFailure(e))
        {
            error = Threw(e);
            return null;
        }
    }

    private void Header(Type type, int? count)
    {
        Emit(TypeNames.Of(type));
        if (count is { } n)
        {
            Emit("(");
            Emit(n.ToString(CultureInfo.InvariantCulture));
            Emit(")");
        }
    }

    /// <summary><c>int[3]</c>, <c>int[2, 3]</c>, <c>int[2][]</c>: lengths in the outermost rank specifier.</summary>
    private void ArrayHeader(Array array)
    {
        var element = array.GetType().GetElementType()!;
        var innerRanks = new List<int>();
        while (element.IsArray)
        {
            innerRanks.Add(element.GetArrayRank());
            element = element.GetElementType()!;
        }
        var text = new StringBuilder();
        TypeNames.Append(text, element);
        text.Append('[');
        for (var d = 0; d < array.Rank; d++)
        {
            if (d > 0) text.Append(", ");
            text.Append(array.GetLength(d));
        }
        text.Append(']');
        foreach (var rank in innerRanks) TypeNames.AppendRank(text, rank);
        Emit(text.ToString());
    }

    private static int? CountOf(object value)
    {
        if (value is ICollection collection) return collection.Count;
        foreach (var candidate in value.GetType().GetInterfaces())
        {
            if (!candidate.IsGenericType) continue;
            var definition = candidate.GetGenericTypeDefinition();
            if (definition == typeof(ICollection<>) || definition == typeof(IReadOnlyCollection<>))
            {
                try
                {
                    return (int?)candidate.GetProperty("Count")!.GetValue(value);
                }
                catch (Exception e) when (IsUserFailure(e))
                {
                    return null;
                }
            }
        }
        return null;
    }

    private static bool OverridesToString(Type type)
    {
        var toString = type.GetMethod(nameof(ToString), BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes);
        var declaring = toString?.DeclaringType;
        return declaring is not null && declaring != typeof(object) && declaring != typeof(ValueType) && declaring != typeof(Enum);
    }

    private static string SafeToString(object value)
    {
        try
        {
            return value.ToString() ?? "null";
        }
        catch (Exception e) when (IsUserFailure(e))
        {
            return Threw(e);
        }
    }

    private static string Threw(Exception e)
    {
        if (e is TargetInvocationException { InnerException: { } inner }) e = inner;
        return $"<threw {TypeNames.Of(e.GetType())}: {e.Message}>";
    }

    /// <summary>Interrupts and the quota stop printing; anything else user code throws is shown inline.</summary>
    private static bool IsUserFailure(Exception e)
    {
        if (e is TargetInvocationException { InnerException: { } inner }) e = inner;
        return e is not (EvalInterruptedException or ThreadInterruptedException or QuotaReachedException);
    }

    private void Emit(string text)
    {
        if (_quota > 0 && _text.Length + text.Length > _quota)
        {
            var room = _quota - _text.Length;
            if (room > 0 && char.IsHighSurrogate(text[room - 1])) room--;
            if (room > 0) _text.Append(text, 0, room);
            throw new QuotaReachedException();
        }
        _text.Append(text);
    }

    /// <summary>Unwinds the printer when the quota is used up (the value may be infinite).</summary>
    private sealed class QuotaReachedException : Exception;
}

/// <summary>C# literal syntax for strings, chars and enum values.</summary>
internal static class Literals
{
    public static string Quote(string value)
    {
        var text = new StringBuilder(value.Length + 2);
        text.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '"') text.Append("\\\"");
            else if (char.IsSurrogate(c) && i + 1 < value.Length && char.IsSurrogatePair(c, value[i + 1]))
            {
                text.Append(c).Append(value[i + 1]);
                i++;
            }
            else AppendEscaped(text, c);
        }
        return text.Append('"').ToString();
    }

    public static string Quote(char value)
    {
        var text = new StringBuilder(4).Append('\'');
        if (value == '\'') text.Append("\\'");
        else AppendEscaped(text, value);
        return text.Append('\'').ToString();
    }

    /// <summary><c>Color.Red</c>; flags <c>Color.Red | Color.Blue</c>; a value without a name <c>(Color)5</c>.</summary>
    public static string Enum(Enum value)
    {
        var type = TypeNames.Of(value.GetType());
        var names = value.ToString();
        if (names.Length > 0 && (char.IsDigit(names[0]) || names[0] == '-'))
        {
            return names[0] == '-' ? $"({type})({names})" : $"({type}){names}";
        }
        return string.Join(" | ", names.Split(", ").Select(n => type + "." + n));
    }

    private static void AppendEscaped(StringBuilder text, char c)
    {
        switch (c)
        {
            case '\\': text.Append("\\\\"); break;
            case '\0': text.Append("\\0"); break;
            case '\a': text.Append("\\a"); break;
            case '\b': text.Append("\\b"); break;
            case '\f': text.Append("\\f"); break;
            case '\n': text.Append("\\n"); break;
            case '\r': text.Append("\\r"); break;
            case '\t': text.Append("\\t"); break;
            case '\v': text.Append("\\v"); break;
            default:
                if (char.IsControl(c) || char.IsSurrogate(c) || c == '\u2028' || c == '\u2029' || c == '\u0085')
                {
                    text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                }
                else
                {
                    text.Append(c);
                }
                break;
        }
    }
}
