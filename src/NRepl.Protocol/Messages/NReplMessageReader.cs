using System.Buffers;
using NRepl.Protocol.Bencode;

namespace NRepl.Protocol.Messages;

/// <summary>
/// Cuts a connection's byte stream into nREPL messages (bencode dicts sent back to back with no
/// framing), in the shape a <c>PipeReader</c> loop wants. One instance per connection: it keeps
/// the half-read message between calls, so each byte is parsed once however the input is split.
/// </summary>
/// <remarks>
/// <para>
/// Pass the buffer starting at the previous call's <c>consumed</c>. Bytes of an unfinished message
/// are consumed as they are parsed (except a byte string whose payload is still incomplete), so
/// after a clean-looking end of stream check <see cref="HasPartialMessage"/>.
/// </para>
/// <para>
/// After a <see cref="BencodeException"/> the stream cannot be resynchronised: close the
/// connection. Further calls throw <see cref="InvalidOperationException"/>.
/// </para>
/// </remarks>
public sealed class NReplMessageReader
{
    private readonly MessageBuilder _builder = new();
    private BencodeReaderState _state;
    private bool _faulted;

    /// <summary>Creates a reader for one connection with the given limits (default: depth 64, string 16 MiB, message 16 MiB).</summary>
    public NReplMessageReader(BencodeReaderOptions options = default) =>
        _state = new BencodeReaderState(options, requireDictAtTopLevel: true);

    /// <summary>True when part of a message has been read but not the whole of it.</summary>
    public bool HasPartialMessage => !_builder.IsEmpty || !_state.IsBetweenValues;

    /// <summary>Bytes of the stream consumed so far by completed and partial messages.</summary>
    public long BytesConsumed => _state._bytePosition;

    /// <summary>Parses the next message, if all of it is in <paramref name="input"/>.</summary>
    /// <param name="input">The unconsumed bytes received so far.</param>
    /// <param name="consumed">Set to the first byte not yet used; pass it to <c>AdvanceTo</c>.</param>
    /// <param name="examined">Set to the end of <paramref name="input"/> when more bytes are needed, else to <paramref name="consumed"/>.</param>
    /// <param name="message">The message, when the method returns true.</param>
    /// <returns>True with one whole message; false when more bytes are needed.</returns>
    /// <exception cref="BencodeException">Malformed input, a top-level value that is not a dict, or a limit exceeded.</exception>
    /// <exception cref="InvalidOperationException">An earlier call already threw <see cref="BencodeException"/>.</exception>
    public bool TryParseMessage(in ReadOnlySequence<byte> input, ref SequencePosition consumed, ref SequencePosition examined, out NReplMessage? message)
    {
        if (_faulted)
        {
            ThrowHelper.ThrowInvalidOperation_MessageReaderFaulted();
        }

        // Cleared on every normal return; an exception leaves the reader unusable, as it should.
        _faulted = true;
        var reader = new BencodeReader(input, isFinalBlock: false, _state);
        while (reader.Read())
        {
            Dictionary<string, object>? fields = _builder.Accept(ref reader);
            if (fields is not null)
            {
                consumed = reader.Position;
                examined = consumed;
                _state = reader.CurrentState;
                message = new NReplMessage(fields);
                _faulted = false;
                return true;
            }
        }

        consumed = reader.Position;
        examined = input.End;
        _state = reader.CurrentState;
        message = null;
        _faulted = false;
        return false;
    }
}
