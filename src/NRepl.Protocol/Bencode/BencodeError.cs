namespace NRepl.Protocol.Bencode;

/// <summary>
/// Why a <see cref="BencodeReader"/> rejected its input, so that callers can tell a hostile or
/// oversized peer (limits) from a broken one (syntax) without parsing exception messages.
/// </summary>
public enum BencodeError
{
    /// <summary>A byte that cannot start a value (nor close a container) where a value was expected.</summary>
    UnexpectedByte,

    /// <summary>The top-level value of an nREPL message is not a dict.</summary>
    NotADict,

    /// <summary>A byte string's length prefix is over <see cref="BencodeReaderOptions.MaxStringLength"/>.</summary>
    StringTooLong,

    /// <summary>One top-level value is, or announces that it will be, over <see cref="BencodeReaderOptions.MaxMessageSize"/>.</summary>
    MessageTooLarge,

    /// <summary>Lists and dicts are nested deeper than <see cref="BencodeReaderOptions.MaxDepth"/>.</summary>
    DepthExceeded,

    /// <summary>An integer does not fit in a signed 64-bit value.</summary>
    IntegerOverflow,

    /// <summary>An integer is empty, has a misplaced sign or contains a byte that is not a digit.</summary>
    InvalidInteger,

    /// <summary>A byte string length prefix has a byte that is not a digit, or more than 19 digits.</summary>
    InvalidLength,

    /// <summary>The final block ended inside a value.</summary>
    UnexpectedEndOfInput,

    /// <summary>A dict key is an integer, list or dict instead of a byte string.</summary>
    KeyNotString,

    /// <summary>A dict ended after a key that has no value.</summary>
    DictKeyWithoutValue,
}
