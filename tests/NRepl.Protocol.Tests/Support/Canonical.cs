using System.Collections;
using System.Globalization;
using System.Text;

namespace NRepl.Protocol.Tests.Support;

/// <summary>
/// Renders a decoded or expected value tree as one unambiguous string (sorted keys, escaped text),
/// so tests compare trees with a readable failure message.
/// </summary>
internal static class Canonical
{
    public static string Render(object? value)
    {
        var builder = new StringBuilder();
        Append(builder, value);
        return builder.ToString();
    }

    private static void Append(StringBuilder builder, object? value)
    {
        switch (value)
        {
            case null:
                builder.Append("nil");
                break;
            case string s:
                builder.Append('"');
                foreach (char c in s)
                {
                    if (c is >= ' ' and < (char)0x7F and not '"' and not '\\')
                    {
                        builder.Append(c);
                    }
                    else
                    {
                        builder.Append($"\\u{(int)c:X4}");
                    }
                }

                builder.Append('"');
                break;
            case long l:
                builder.Append(l.ToString(CultureInfo.InvariantCulture));
                break;
            case IReadOnlyDictionary<string, object> dict:
                AppendDict(builder, dict.Select(kv => new KeyValuePair<string, object?>(kv.Key, kv.Value)));
                break;
            case IDictionary<string, object?> dict:
                AppendDict(builder, dict);
                break;
            case IEnumerable list:
                builder.Append('[');
                foreach (object? item in list)
                {
                    Append(builder, item);
                    builder.Append(' ');
                }

                builder.Append(']');
                break;
            default:
                builder.Append($"<{value.GetType().Name}:{value}>");
                break;
        }
    }

    private static void AppendDict(StringBuilder builder, IEnumerable<KeyValuePair<string, object?>> entries)
    {
        builder.Append('{');
        foreach (KeyValuePair<string, object?> entry in entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            Append(builder, entry.Key);
            builder.Append(' ');
            Append(builder, entry.Value);
            builder.Append(", ");
        }

        builder.Append('}');
    }
}
