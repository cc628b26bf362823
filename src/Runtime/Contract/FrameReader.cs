using System.Buffers.Binary;

namespace NRepl.Runtime.Contract;

/// <summary>
/// Reads whole frames from a stream. Not thread-safe: one reader loop owns it.
/// </summary>
internal sealed class FrameReader
{
    private readonly Stream _stream;
    private readonly int _maxPayload;
    private readonly byte[] _header = new byte[FrameCodec.HeaderSize];

    public FrameReader(Stream stream, int maxPayload = FrameCodec.DefaultMaxPayload)
    {
        _stream = stream;
        _maxPayload = maxPayload;
    }

    /// <summary>
    /// The next frame, or null when the stream ended cleanly between frames.
    /// A stream ending inside a frame throws <see cref="EndOfStreamException"/>; a length that is
    /// negative or above the limit throws <see cref="InvalidDataException"/> (the stream is then unusable).
    /// </summary>
    public async ValueTask<RawFrame?> ReadFrameAsync(CancellationToken ct = default)
    {
        var got = await _stream.ReadAtLeastAsync(_header, _header.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        if (StartFrame(got) is not { } frame) return null;
        await _stream.ReadExactlyAsync(frame.Payload, ct).ConfigureAwait(false);
        return frame;
    }

    /// <summary>
    /// Blocking twin of <see cref="ReadFrameAsync"/> for a dedicated reader thread: the target reads its
    /// control messages on a thread of its own so that user code starving the thread pool cannot stop
    /// interrupts and stdin from arriving.
    /// </summary>
    public RawFrame? ReadFrame()
    {
        var got = _stream.ReadAtLeast(_header, _header.Length, throwOnEndOfStream: false);
        if (StartFrame(got) is not { } frame) return null;
        _stream.ReadExactly(frame.Payload);
        return frame;
    }

    /// <summary>Checks the header just read (<paramref name="got"/> bytes of it) and makes the frame its payload is read into; null at a clean end.</summary>
    private RawFrame? StartFrame(int got)
    {
        if (got == 0) return null;
        if (got < _header.Length) throw new EndOfStreamException("Stream ended inside a frame header.");
        var length = BinaryPrimitives.ReadInt32LittleEndian(_header);
        if (length < 0 || length > _maxPayload)
            throw new InvalidDataException($"Frame payload length {length} is outside 0..{_maxPayload}.");
        return new RawFrame((MessageKind)_header[4], length == 0 ? [] : new byte[length]);
    }

    /// <summary>The next decoded message, or null at a clean end of stream. Unknown kinds throw <see cref="InvalidDataException"/>.</summary>
    public async ValueTask<TargetMessage?> ReadAsync(CancellationToken ct = default)
    {
        var frame = await ReadFrameAsync(ct).ConfigureAwait(false);
        return frame is { } f ? MessageSerializer.Deserialize(f.Kind, f.Payload) : null;
    }
}
