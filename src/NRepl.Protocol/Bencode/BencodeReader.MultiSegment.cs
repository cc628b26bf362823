using System.Buffers;

namespace NRepl.Protocol.Bencode;

/// <summary>The <see cref="ReadOnlySequence{T}"/> path: walking segments and payloads that span them.</summary>
public ref partial struct BencodeReader
{
    /// <summary>Reads a complete input (the final block) from the start, with the given limits.</summary>
    public BencodeReader(ReadOnlySequence<byte> bencodeData, BencodeReaderOptions options = default)
        : this(bencodeData, isFinalBlock: true, new BencodeReaderState(options))
    {
    }

    /// <summary>Continues reading from <paramref name="state"/> with the next piece of input.</summary>
    /// <param name="bencodeData">Input starting at the first byte the previous reader did not consume.</param>
    /// <param name="isFinalBlock">True when no more input will follow; running out inside a value then throws.</param>
    /// <param name="state">Where the previous reader stopped, or <c>default</c> for a fresh stream.</param>
    public BencodeReader(ReadOnlySequence<byte> bencodeData, bool isFinalBlock, BencodeReaderState state)
        : this(state, isFinalBlock)
    {
        _sequence = bencodeData;
        _isFromSequence = true;
        _totalLength = bencodeData.Length;
        _bufferStart = bencodeData.Start;
        _nextSegment = bencodeData.Start;
        if (bencodeData.IsSingleSegment)
        {
            _buffer = bencodeData.FirstSpan;
        }
        else
        {
            _isMultiSegment = true;
            TryMoveToNextSegment();
        }
    }

    /// <summary>
    /// Where the next unconsumed byte is, for <c>PipeReader.AdvanceTo</c>. Only meaningful when the
    /// reader was built over a <see cref="ReadOnlySequence{T}"/>; <c>default</c> otherwise.
    /// </summary>
    public readonly SequencePosition Position =>
        _isFromSequence ? _sequence.GetPosition(_index, _bufferStart) : default;

    /// <summary>True when the current byte string spans segments and is in <see cref="ValueSequence"/>, not <see cref="ValueSpan"/>.</summary>
    public readonly bool HasValueSequence => _hasValueSequence;

    /// <summary>The raw payload of the current byte string when it spans segments; empty otherwise.</summary>
    public readonly ReadOnlySequence<byte> ValueSequence => _valueSequence;

    private bool TryMoveToNextSegment()
    {
        if (!_isMultiSegment)
        {
            return false;
        }

        while (true)
        {
            SequencePosition segmentStart = _nextSegment;
            SequencePosition afterSegment = segmentStart;

            // TryGet resets its position argument at the end of the sequence; keep ours intact.
            if (!_sequence.TryGet(ref afterSegment, out ReadOnlyMemory<byte> memory))
            {
                return false;
            }

            _bufferOffset += _buffer.Length;
            _buffer = memory.Span;
            _index = 0;
            _bufferStart = segmentStart;
            _nextSegment = afterSegment;
            if (!_buffer.IsEmpty)
            {
                return true;
            }
        }
    }

    /// <summary>Takes a payload that does not fit in the current segment, if all of it has arrived.</summary>
    private bool TryTakeMultiSegmentPayload(long length)
    {
        long consumed = BytesConsumed;
        if (!_isMultiSegment || length > _totalLength - consumed)
        {
            return false;
        }

        ReadOnlySequence<byte> payload = _sequence.Slice(_sequence.GetPosition(_index, _bufferStart), length);
        if (payload.IsSingleSegment)
        {
            _valueSpan = payload.FirstSpan;
        }
        else
        {
            _valueSequence = payload;
            _hasValueSequence = true;
        }

        // Continue scanning right after the payload, in whatever segment that is.
        _bufferOffset = consumed + length;
        _buffer = default;
        _index = 0;
        _bufferStart = payload.End;
        _nextSegment = payload.End;
        TryMoveToNextSegment();
        return true;
    }
}
