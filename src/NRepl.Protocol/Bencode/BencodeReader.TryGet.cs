using System.Text;

namespace NRepl.Protocol.Bencode;

/// <summary>Accessors for the value of the current token.</summary>
public ref partial struct BencodeReader
{
    /// <summary>
    /// The raw payload of the current byte string when it lies in one segment (see
    /// <see cref="HasValueSequence"/>); empty for every other token. Integers are read with
    /// <see cref="GetInt64"/> because their digits may have arrived in earlier inputs.
    /// </summary>
    public readonly ReadOnlySpan<byte> ValueSpan => _valueSpan;

    /// <summary>The value of the current integer token.</summary>
    /// <exception cref="InvalidOperationException">The current token is not an integer.</exception>
    public readonly long GetInt64()
    {
        if (_tokenType != BencodeTokenType.Integer)
        {
            ThrowHelper.ThrowInvalidOperation_WrongTokenType(BencodeTokenType.Integer, _tokenType);
        }

        return _integerValue;
    }

    /// <summary>
    /// The current byte string decoded as UTF-8, as nREPL does. Invalid UTF-8 becomes U+FFFD
    /// instead of throwing: a peer's bad bytes in one value must not break the connection.
    /// </summary>
    /// <exception cref="InvalidOperationException">The current token is not a byte string.</exception>
    public readonly string GetString()
    {
        if (_tokenType != BencodeTokenType.String)
        {
            ThrowHelper.ThrowInvalidOperation_WrongTokenType(BencodeTokenType.String, _tokenType);
        }

        return _hasValueSequence ? Encoding.UTF8.GetString(_valueSequence) : Encoding.UTF8.GetString(_valueSpan);
    }
}
