using System.Buffers;
using System.Collections;
using NRepl.Protocol.Bencode;

namespace NRepl.Protocol.Messages;

/// <summary>
/// Encodes whole nREPL messages the way the reference server does: dict keys sorted by their
/// UTF-8 bytes at every level, null values left out.
/// </summary>
/// <remarks>
/// A message is encoded completely before any byte reaches the output, so a value of an
/// unsupported type throws <see cref="ArgumentException"/> and leaves the output untouched; a
/// peer never sees half a message.
/// </remarks>
public static class NReplMessageWriter
{
    /// <summary>The reader's default depth limit; deeper output would be rejected by our own reader.</summary>
    private const int MaxDepth = BencodeReaderOptions.DefaultMaxDepth;

    // Scratch buffers larger than this are dropped after use instead of being kept per thread.
    private const int MaxRetainedScratch = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    /// <summary>Encodes <paramref name="message"/> and appends all of it to <paramref name="output"/>.</summary>
    /// <remarks>
    /// Values may be <see cref="string"/>, integer types (within <see cref="long"/>), <see cref="bool"/>
    /// (written as "true"/"false", as CIDER expects), <see cref="byte"/> arrays (raw bytes), lists
    /// (<see cref="IEnumerable{T}"/>) and dicts with string keys. A null inside a list is written
    /// as an empty list, nREPL's nil.
    /// </remarks>
    /// <exception cref="ArgumentException">A value has an unsupported type, or the message nests deeper than 64 levels.</exception>
    public static void WriteMessage(IReadOnlyDictionary<string, object?> message, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(output);
        ArrayBufferWriter<byte> scratch = RentScratch();
        try
        {
            Encode(message, scratch);
            output.Write(scratch.WrittenSpan);
        }
        finally
        {
            ReturnScratch(scratch);
        }
    }

    /// <summary>Encodes <paramref name="message"/> into a new array; for tests and tools rather than hot paths.</summary>
    /// <exception cref="ArgumentException">A value has an unsupported type, or the message nests deeper than 64 levels.</exception>
    public static byte[] ToBytes(IReadOnlyDictionary<string, object?> message)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArrayBufferWriter<byte> scratch = RentScratch();
        try
        {
            Encode(message, scratch);
            return scratch.WrittenSpan.ToArray();
        }
        finally
        {
            ReturnScratch(scratch);
        }
    }

    private static void Encode(IReadOnlyDictionary<string, object?> message, ArrayBufferWriter<byte> scratch)
    {
        var writer = new BencodeWriter(scratch);
        WriteDict(writer, message, depth: 1);
    }

    private static void WriteValue(BencodeWriter writer, object? value, int depth)
    {
        switch (value)
        {
            case null:
                // nREPL writes nil as an empty list.
                writer.WriteStartList();
                writer.WriteEndList();
                break;
            case string s:
                writer.WriteString(s);
                break;
            case long l:
                writer.WriteInteger(l);
                break;
            case int i:
                writer.WriteInteger(i);
                break;
            case bool b:
                writer.WriteString(b ? "true"u8 : "false"u8);
                break;
            case short or sbyte or byte or ushort or uint:
                writer.WriteInteger(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case ulong u when u <= long.MaxValue:
                writer.WriteInteger((long)u);
                break;
            case byte[] bytes:
                writer.WriteString(bytes);
                break;
            case ReadOnlyMemory<byte> memory:
                writer.WriteString(memory.Span);
                break;
            case NReplMessage nested:
                WriteDict(writer, nested.Fields!, depth + 1);
                break;
            case IReadOnlyDictionary<string, object?> dict:
                WriteDict(writer, dict, depth + 1);
                break;
            case IDictionary<string, object?> dict:
                WriteDict(writer, dict, depth + 1);
                break;
            case IDictionary dict:
                WriteDict(writer, ToPairs(dict), depth + 1);
                break;
            case IEnumerable list:
                WriteList(writer, list, depth + 1);
                break;
            default:
                ThrowHelper.ThrowArgument_UnsupportedValue(value.GetType());
                break;
        }
    }

    private static void WriteDict(BencodeWriter writer, IEnumerable<KeyValuePair<string, object?>> dict, int depth)
    {
        if (depth > MaxDepth)
        {
            ThrowHelper.ThrowArgument_TooDeep(MaxDepth);
        }

        KeyValuePair<string, object?>[] entries = dict.Where(e => e.Value is not null).ToArray();
        Array.Sort(entries, static (a, b) => Utf8OrdinalComparer.Instance.Compare(a.Key, b.Key));
        writer.WriteStartDict();
        foreach (KeyValuePair<string, object?> entry in entries)
        {
            writer.WriteString(entry.Key);
            WriteValue(writer, entry.Value, depth);
        }

        writer.WriteEndDict();
    }

    private static void WriteList(BencodeWriter writer, IEnumerable list, int depth)
    {
        if (depth > MaxDepth)
        {
            ThrowHelper.ThrowArgument_TooDeep(MaxDepth);
        }

        writer.WriteStartList();
        foreach (object? item in list)
        {
            WriteValue(writer, item, depth);
        }

        writer.WriteEndList();
    }

    private static IEnumerable<KeyValuePair<string, object?>> ToPairs(IDictionary dict)
    {
        foreach (DictionaryEntry entry in dict)
        {
            if (entry.Key is not string key)
            {
                ThrowHelper.ThrowArgument_NonStringKey(entry.Key.GetType());
                yield break;
            }

            yield return new KeyValuePair<string, object?>(key, entry.Value);
        }
    }

    private static ArrayBufferWriter<byte> RentScratch()
    {
        // Taken out of the slot so that a nested call (a value's enumerator writing a message) gets its own.
        ArrayBufferWriter<byte> scratch = t_scratch ?? new ArrayBufferWriter<byte>(256);
        t_scratch = null;
        return scratch;
    }

    private static void ReturnScratch(ArrayBufferWriter<byte> scratch)
    {
        if (scratch.Capacity <= MaxRetainedScratch)
        {
            scratch.ResetWrittenCount();
            t_scratch = scratch;
        }
    }
}
