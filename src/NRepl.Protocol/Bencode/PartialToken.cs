namespace NRepl.Protocol.Bencode;

/// <summary>
/// Where the reader stopped inside a token when input ran out. Everything but a byte string's
/// payload is consumed as it arrives, so no byte is ever scanned twice.
/// </summary>
internal enum PartialToken : byte
{
    /// <summary>Between tokens.</summary>
    None,

    /// <summary>After <c>i</c>: a sign or the first digit comes next.</summary>
    IntegerSign,

    /// <summary>After <c>i-</c>: the first digit comes next.</summary>
    IntegerFirstDigit,

    /// <summary>Inside the digits of an integer, before <c>e</c>.</summary>
    IntegerDigits,

    /// <summary>Inside the decimal length prefix of a byte string, before <c>:</c>.</summary>
    StringLength,

    /// <summary>After <c>:</c>; the payload is only taken once all of it is in the input.</summary>
    StringPayload,
}
