namespace NRepl.Protocol.Bencode;

/// <summary>The per-token scanners behind <see cref="Read"/>: token starts, integers, length prefixes, payloads.</summary>
public ref partial struct BencodeReader
{
    /// <summary>Handles the first byte of a token. Returns true when that byte is a whole token.</summary>
    private bool ReadTokenStart(byte next)
    {
        switch (next)
        {
            case (byte)'d':
            case (byte)'l':
                if (_expectingKey)
                {
                    Throw(BencodeError.KeyNotString, next);
                }

                if (_stack.Depth >= _options.MaxDepth)
                {
                    Throw(BencodeError.DepthExceeded, next, limit: _options.MaxDepth);
                }

                _index++;
                bool isDict = next == (byte)'d';
                _stack.Push(isDict);
                _expectingKey = isDict;
                _tokenType = isDict ? BencodeTokenType.StartDict : BencodeTokenType.StartList;
                return true;

            case (byte)'e':
                if (_stack.Depth == 0)
                {
                    Throw(BencodeError.UnexpectedByte, next);
                }

                bool closesDict = _stack.IsDict;
                if (closesDict && !_expectingKey)
                {
                    Throw(BencodeError.DictKeyWithoutValue, next);
                }

                _index++;
                _stack.Pop();
                _tokenType = closesDict ? BencodeTokenType.EndDict : BencodeTokenType.EndList;

                // The container just closed was a value, so an enclosing dict wants a key next.
                _expectingKey = _stack.Depth > 0 && _stack.IsDict;
                return true;

            case (byte)'i':
                if (_expectingKey)
                {
                    Throw(BencodeError.KeyNotString, next);
                }

                _index++;
                _partial = PartialToken.IntegerSign;
                _negative = false;
                _accumulator = 0;
                return false;

            case >= (byte)'0' and <= (byte)'9':
                _index++;
                _partial = PartialToken.StringLength;
                _accumulator = (ulong)(next - '0');
                _digitCount = 1;
                return false;

            default:
                Throw(BencodeError.UnexpectedByte, next);
                return false;
        }
    }

    private void AppendIntegerDigit(byte next)
    {
        if (next is < (byte)'0' or > (byte)'9')
        {
            Throw(BencodeError.InvalidInteger, next);
        }

        uint digit = (uint)(next - '0');
        ulong limit = _negative ? 1UL << 63 : long.MaxValue;
        if (_accumulator > (limit - digit) / 10)
        {
            Throw(BencodeError.IntegerOverflow, next);
        }

        _index++;
        _accumulator = (_accumulator * 10) + digit;
    }

    private void ReadLengthByte(byte next)
    {
        if (next == (byte)':')
        {
            // Checked before any payload arrives, so a huge prefix never causes a wait or an allocation.
            if (_accumulator > (ulong)_options.MaxStringLength)
            {
                Throw(BencodeError.StringTooLong, next, value: unchecked((long)_accumulator), limit: _options.MaxStringLength);
            }

            long usedWithColon = AbsolutePosition + 1 - _valueStart;
            if ((long)_accumulator > _options.MaxMessageSize - usedWithColon)
            {
                Throw(BencodeError.MessageTooLarge, next, limit: _options.MaxMessageSize);
            }

            _index++;
            _partial = PartialToken.StringPayload;
            return;
        }

        // 19 digits always fit in a ulong; more can only be leading zeros or an absurd length.
        if (next is < (byte)'0' or > (byte)'9' || _digitCount == 19)
        {
            Throw(BencodeError.InvalidLength, next);
        }

        _index++;
        _digitCount++;
        _accumulator = (_accumulator * 10) + (uint)(next - '0');
    }

    private bool TryReadStringPayload()
    {
        long length = (long)_accumulator;
        if (length <= _buffer.Length - _index)
        {
            _valueSpan = _buffer.Slice(_index, (int)length);
            _index += (int)length;
        }
        else if (!TryTakeMultiSegmentPayload(length))
        {
            if (_isFinalBlock)
            {
                Throw(BencodeError.UnexpectedEndOfInput);
            }

            return false;
        }

        _tokenType = BencodeTokenType.String;
        CompleteScalar();
        return true;
    }

    private void CompleteScalar()
    {
        _partial = PartialToken.None;
        if (_stack.Depth > 0 && _stack.IsDict)
        {
            _expectingKey = !_expectingKey;
        }
    }
}
