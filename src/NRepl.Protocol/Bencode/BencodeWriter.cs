using System.Buffers;
using System.Globalization;
using System.Text;

namespace NRepl.Protocol.Bencode;

/// <summary>
/// Writes bencode tokens straight into an <see cref="IBufferWriter{T}"/>, exactly in the order it
/// is told: it neither sorts dict keys nor buffers. Sorting and whole-message atomicity belong to
/// <see cref="Messages.NReplMessageWriter"/>, which knows a whole message.
/// </summary>
/// <remarks>
/// Structure is checked (keys must be byte strings, ends must match their starts) because a
/// mistake there would produce bytes no peer can parse; such mistakes throw
/// <see cref="InvalidOperationException"/> before anything is written for that call.
/// </remarks>
public sealed class BencodeWriter
{
    // Room for "-9223372036854775808" plus "i"/"e" or ":".
    private const int MaxIntegerTokenLength = 22;

    private readonly IBufferWriter<byte> _output;
    private ContainerStack _stack;
    private bool _expectingKey;   // the innermost container is a dict and the next token is its key

    /// <summary>Creates a writer that appends to <paramref name="output"/>.</summary>
    public BencodeWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    /// <summary>How many lists and dicts are open.</summary>
    public int CurrentDepth => _stack.Depth;

    /// <summary>Writes raw bytes as a byte string, for payloads that are not text or are already UTF-8.</summary>
    public void WriteString(ReadOnlySpan<byte> utf8Value)
    {
        WriteLengthPrefix(utf8Value.Length);
        _output.Write(utf8Value);
        AfterValue();
    }

    /// <summary>
    /// Writes text as a UTF-8 byte string; the length prefix counts bytes, not chars. A lone
    /// surrogate is written as U+FFFD so that the output is always valid UTF-8.
    /// </summary>
    public void WriteString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        WriteLengthPrefix(Encoding.UTF8.GetByteCount(value));
        Encoding.UTF8.GetBytes(value.AsSpan(), _output);
        AfterValue();
    }

    /// <summary>Writes <c>i&lt;value&gt;e</c>.</summary>
    public void WriteInteger(long value)
    {
        if (_expectingKey)
        {
            ThrowHelper.ThrowInvalidOperation_KeyMustBeString();
        }

        Span<byte> span = _output.GetSpan(MaxIntegerTokenLength);
        span[0] = (byte)'i';
        value.TryFormat(span[1..], out int digits, default, CultureInfo.InvariantCulture);
        span[digits + 1] = (byte)'e';
        _output.Advance(digits + 2);
        AfterValue();
    }

    /// <summary>Writes the <c>l</c> that opens a list.</summary>
    public void WriteStartList() => WriteStart(isDict: false);

    /// <summary>Writes the <c>d</c> that opens a dict.</summary>
    public void WriteStartDict() => WriteStart(isDict: true);

    /// <summary>Writes the <c>e</c> that closes the innermost list.</summary>
    /// <exception cref="InvalidOperationException">The innermost open container is not a list.</exception>
    public void WriteEndList() => WriteEnd(isDict: false);

    /// <summary>Writes the <c>e</c> that closes the innermost dict.</summary>
    /// <exception cref="InvalidOperationException">The innermost open container is not a dict, or its last key has no value.</exception>
    public void WriteEndDict() => WriteEnd(isDict: true);

    private void WriteStart(bool isDict)
    {
        if (_expectingKey)
        {
            ThrowHelper.ThrowInvalidOperation_KeyMustBeString();
        }

        WriteByte(isDict ? (byte)'d' : (byte)'l');
        _stack.Push(isDict);
        _expectingKey = isDict;
    }

    private void WriteEnd(bool isDict)
    {
        if (_stack.Depth == 0 || _stack.IsDict != isDict)
        {
            ThrowHelper.ThrowInvalidOperation_MismatchedEnd(
                isDict ? BencodeTokenType.EndDict : BencodeTokenType.EndList,
                _stack.Depth,
                _stack.Depth > 0 && _stack.IsDict);
        }

        if (isDict && !_expectingKey)
        {
            ThrowHelper.ThrowInvalidOperation_DictValueMissing();
        }

        WriteByte((byte)'e');
        _stack.Pop();

        // The container just closed was a value, so an enclosing dict wants a key next.
        _expectingKey = _stack.Depth > 0 && _stack.IsDict;
    }

    private void WriteLengthPrefix(int length)
    {
        Span<byte> span = _output.GetSpan(MaxIntegerTokenLength);
        length.TryFormat(span, out int digits, default, CultureInfo.InvariantCulture);
        span[digits] = (byte)':';
        _output.Advance(digits + 1);
    }

    private void WriteByte(byte value)
    {
        _output.GetSpan(1)[0] = value;
        _output.Advance(1);
    }

    private void AfterValue()
    {
        if (_stack.Depth > 0 && _stack.IsDict)
        {
            _expectingKey = !_expectingKey;
        }
    }
}
