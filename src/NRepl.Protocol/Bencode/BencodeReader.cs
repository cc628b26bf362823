using System.Buffers;
using System.Diagnostics.CodeAnalysis;

namespace NRepl.Protocol.Bencode;

/// <summary>
/// A forward-only, allocation-free bencode tokenizer over bytes that may arrive in pieces.
/// </summary>
/// <remarks>
/// <para>
/// Since this type is a ref struct it cannot be kept across <c>await</c>. Instead it supports
/// reentrancy: when input runs out it returns false from <see cref="Read"/> (never throws for
/// that), and <see cref="CurrentState"/> captures where it stopped. A new reader built from that
/// state and the input starting at <see cref="BytesConsumed"/> continues exactly there.
/// </para>
/// <para>
/// Integers and length prefixes are consumed as they arrive, even half-read, so no byte is looked
/// at twice. A byte string is handed out whole: until its payload is complete the reader stops in
/// front of the payload, and re-checking it later costs O(1), not a rescan.
/// </para>
/// <para>
/// The reader accepts a stream of top-level values back to back, as nREPL sends them. Input is read
/// tolerantly (unsorted and duplicate dict keys, leading zeros, <c>-0</c>); limits from
/// <see cref="BencodeReaderOptions"/> are enforced before anything large is accepted.
/// </para>
/// </remarks>
public ref partial struct BencodeReader
{
    private readonly BencodeReaderOptions _options;  // normalised: no zeros
    private readonly bool _isFinalBlock;
    private readonly long _startPosition;            // absolute offset of this input's first byte
    private readonly bool _requireDictAtTopLevel;

    // The bytes being scanned: the whole span, or the current segment of a sequence.
    private ReadOnlySpan<byte> _buffer;
    private int _index;
    private long _bufferOffset;                      // bytes of this input before _buffer[0]
    private readonly long _totalLength;

    // Only for a ReadOnlySequence input (see BencodeReader.MultiSegment.cs).
    private readonly ReadOnlySequence<byte> _sequence;
    private readonly bool _isFromSequence;
    private readonly bool _isMultiSegment;
    private SequencePosition _bufferStart;           // position of _buffer[0] in _sequence
    private SequencePosition _nextSegment;           // where the segment after _buffer starts

    // Resumable state, copied in from and out to BencodeReaderState.
    private ContainerStack _stack;
    private bool _expectingKey;
    private PartialToken _partial;
    private bool _negative;
    private ulong _accumulator;
    private int _digitCount;
    private long _valueStart;

    // The current token.
    private BencodeTokenType _tokenType;
    private ReadOnlySpan<byte> _valueSpan;
    private long _integerValue;
    private ReadOnlySequence<byte> _valueSequence;
    private bool _hasValueSequence;

    /// <summary>Reads a complete input (the final block) from the start, with the given limits.</summary>
    public BencodeReader(ReadOnlySpan<byte> bencodeData, BencodeReaderOptions options = default)
        : this(bencodeData, isFinalBlock: true, new BencodeReaderState(options))
    {
    }

    /// <summary>Continues reading from <paramref name="state"/> with the next piece of input.</summary>
    /// <param name="bencodeData">Input starting at the first byte the previous reader did not consume.</param>
    /// <param name="isFinalBlock">True when no more input will follow; running out inside a value then throws.</param>
    /// <param name="state">Where the previous reader stopped, or <c>default</c> for a fresh stream.</param>
    public BencodeReader(ReadOnlySpan<byte> bencodeData, bool isFinalBlock, BencodeReaderState state)
        : this(state, isFinalBlock)
    {
        _buffer = bencodeData;
        _totalLength = bencodeData.Length;
    }

    private BencodeReader(scoped in BencodeReaderState state, bool isFinalBlock)
    {
        _options = state._options.WithDefaults();
        _isFinalBlock = isFinalBlock;
        _startPosition = state._bytePosition;
        _requireDictAtTopLevel = state._requireDictAtTopLevel;
        _stack = state._stack.Detach();
        _expectingKey = state._expectingKey;
        _partial = state._partial;
        _negative = state._negative;
        _accumulator = state._accumulator;
        _digitCount = state._digitCount;
        _valueStart = state._valueStart;
    }

    /// <summary>The kind of the token the last successful <see cref="Read"/> produced.</summary>
    public readonly BencodeTokenType TokenType => _tokenType;

    /// <summary>True when no more input follows this one.</summary>
    public readonly bool IsFinalBlock => _isFinalBlock;

    /// <summary>How many lists and dicts are open after the current token.</summary>
    public readonly int CurrentDepth => _stack.Depth;

    /// <summary>
    /// Bytes of this input that have been read and need not be passed again. Bytes of a byte
    /// string whose payload is incomplete are not counted.
    /// </summary>
    public readonly long BytesConsumed => _bufferOffset + _index;

    private readonly long AbsolutePosition => _startPosition + _bufferOffset + _index;

    /// <summary>A snapshot to continue from with the next input, e.g. after an <c>await</c>.</summary>
    public readonly BencodeReaderState CurrentState => new()
    {
        _options = _options,
        _bytePosition = AbsolutePosition,
        _valueStart = _valueStart,
        _stack = _stack.Detach(),
        _expectingKey = _expectingKey,
        _partial = _partial,
        _negative = _negative,
        _accumulator = _accumulator,
        _digitCount = _digitCount,
        _requireDictAtTopLevel = _requireDictAtTopLevel,
    };

    /// <summary>Reads the next token.</summary>
    /// <returns>True when a token was read; false when the input has no further complete token.</returns>
    /// <exception cref="BencodeException">The input is malformed, exceeds a limit, or (in the final block) ends inside a value.</exception>
    public bool Read()
    {
        _tokenType = BencodeTokenType.None;
        _valueSpan = default;
        _valueSequence = default;
        _hasValueSequence = false;

        while (true)
        {
            if (_partial == PartialToken.StringPayload)
            {
                return TryReadStringPayload();
            }

            if (_index >= _buffer.Length && !TryMoveToNextSegment())
            {
                if (_isFinalBlock && (_stack.Depth != 0 || _partial != PartialToken.None))
                {
                    Throw(BencodeError.UnexpectedEndOfInput);
                }

                return false;
            }

            byte next = _buffer[_index];
            if (_partial == PartialToken.None && _stack.Depth == 0)
            {
                _valueStart = AbsolutePosition;
                if (_requireDictAtTopLevel && next != (byte)'d')
                {
                    Throw(BencodeError.NotADict, next);
                }
            }

            if (AbsolutePosition - _valueStart >= _options.MaxMessageSize)
            {
                Throw(BencodeError.MessageTooLarge, next, limit: _options.MaxMessageSize);
            }

            // Each branch consumes 'next' or throws with the position still pointing at it.
            switch (_partial)
            {
                case PartialToken.None:
                    if (ReadTokenStart(next))
                    {
                        return true;
                    }

                    break;
                case PartialToken.IntegerSign when next == (byte)'-':
                    _index++;
                    _negative = true;
                    _partial = PartialToken.IntegerFirstDigit;
                    break;
                case PartialToken.IntegerSign:
                case PartialToken.IntegerFirstDigit:
                    AppendIntegerDigit(next);
                    _partial = PartialToken.IntegerDigits;
                    break;
                case PartialToken.IntegerDigits when next == (byte)'e':
                    _index++;
                    _integerValue = _negative ? unchecked((long)(0UL - _accumulator)) : (long)_accumulator;
                    _tokenType = BencodeTokenType.Integer;
                    CompleteScalar();
                    return true;
                case PartialToken.IntegerDigits:
                    AppendIntegerDigit(next);
                    break;
                default:
                    ReadLengthByte(next);
                    break;
            }
        }
    }

    [DoesNotReturn]
    private readonly void Throw(BencodeError error, byte offendingByte = 0, long value = 0, long limit = 0) =>
        ThrowHelper.ThrowBencodeException(error, AbsolutePosition, _stack.Depth, offendingByte, value, limit);
}
