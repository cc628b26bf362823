using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using NRepl.Protocol.Bencode;

namespace NRepl.Protocol;

/// <summary>
/// Every throw site of the library, so that hot paths stay small (messages are built only here,
/// never inlined) and wording stays consistent.
/// </summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowBencodeException(BencodeError error, long bytePosition, int depth, byte offendingByte = 0, long value = 0, long limit = 0) =>
        throw CreateBencodeException(error, bytePosition, depth, offendingByte, value, limit);

    [DoesNotReturn]
    public static void ThrowArgumentOutOfRange_NegativeLimit(string propertyName, long value) =>
        throw new ArgumentOutOfRangeException("value", value, $"{propertyName} must be 0 (the default) or positive.");

    [DoesNotReturn]
    public static void ThrowArgument_UnsupportedValue(Type type) =>
        throw new ArgumentException($"A value of type {type} cannot be written as bencode. Use string, an integer type, bool, byte[], a list or a dict with string keys.", "message");

    [DoesNotReturn]
    public static void ThrowArgument_NonStringKey(Type type) =>
        throw new ArgumentException($"Dict keys must be strings; got {type}.", "message");

    [DoesNotReturn]
    public static void ThrowArgument_TooDeep(int maxDepth) =>
        throw new ArgumentException($"The message nests deeper than {maxDepth} levels; is it cyclic?", "message");

    [DoesNotReturn]
    public static void ThrowInvalidOperation_WrongTokenType(BencodeTokenType expected, BencodeTokenType actual) =>
        throw new InvalidOperationException($"Cannot read a {expected} value when the current token is {actual}.");

    [DoesNotReturn]
    public static void ThrowInvalidOperation_KeyMustBeString() =>
        throw new InvalidOperationException("A dict key must be written as a byte string.");

    [DoesNotReturn]
    public static void ThrowInvalidOperation_MismatchedEnd(BencodeTokenType attempted, int depth, bool innermostIsDict) =>
        throw new InvalidOperationException(depth == 0
            ? $"Cannot write {attempted}: no list or dict is open."
            : $"Cannot write {attempted}: the innermost open container is a {(innermostIsDict ? "dict" : "list")}.");

    [DoesNotReturn]
    public static void ThrowInvalidOperation_DictValueMissing() =>
        throw new InvalidOperationException("Cannot close a dict right after a key; write its value first.");

    [DoesNotReturn]
    public static void ThrowInvalidOperation_MessageReaderFaulted() =>
        throw new InvalidOperationException("This reader already rejected its input; the connection must be closed.");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static BencodeException CreateBencodeException(BencodeError error, long bytePosition, int depth, byte offendingByte, long value, long limit)
    {
        string message = error switch
        {
            BencodeError.UnexpectedByte => $"Unexpected byte {Printable(offendingByte)}; expected a digit, 'i', 'l', 'd' or 'e'.",
            BencodeError.NotADict => $"nREPL message must be a dict. Wrong first byte: 0x{offendingByte:X2}{PrintableSuffix(offendingByte)}.",
            BencodeError.StringTooLong => $"Byte string of {value} bytes is over the limit of {limit} bytes.",
            BencodeError.MessageTooLarge => $"Message is over the limit of {limit} bytes.",
            BencodeError.DepthExceeded => $"Lists and dicts nest deeper than the limit of {limit}.",
            BencodeError.IntegerOverflow => "Integer does not fit in 64 bits.",
            BencodeError.InvalidInteger => $"Invalid integer: unexpected byte {Printable(offendingByte)}.",
            BencodeError.InvalidLength => offendingByte is >= (byte)'0' and <= (byte)'9'
                ? "Byte string length has more than 19 digits."
                : $"Invalid byte string length: unexpected byte {Printable(offendingByte)}; expected a digit or ':'.",
            BencodeError.UnexpectedEndOfInput => "Input ended inside a value.",
            BencodeError.KeyNotString => $"Dict keys must be byte strings; got {Printable(offendingByte)}.",
            BencodeError.DictKeyWithoutValue => "Dict ended after a key that has no value.",
            _ => error.ToString(),
        };

        return new BencodeException(
            message + " BytePosition: " + bytePosition.ToString(CultureInfo.InvariantCulture) + ".",
            error,
            bytePosition,
            depth);
    }

    /// <summary>Printable ASCII as a quoted character, anything else as hex, so logs never carry control bytes.</summary>
    internal static string Printable(byte value) =>
        value is >= 0x20 and < 0x7F ? $"'{(char)value}'" : $"0x{value:X2}";

    private static string PrintableSuffix(byte value) =>
        value is >= 0x20 and < 0x7F ? $" ('{(char)value}')" : "";
}
