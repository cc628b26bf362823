namespace NRepl.Protocol.Bencode;

/// <summary>
/// Everything a <see cref="BencodeReader"/> needs to continue where it stopped: open containers,
/// a half-read integer or length prefix, and the byte position. It exists because the reader is a
/// ref struct and cannot live across <c>await</c>; this value can.
/// </summary>
/// <remarks>
/// Take it from <see cref="BencodeReader.CurrentState"/> and pass it to the next reader together
/// with the input that starts at <see cref="BencodeReader.BytesConsumed"/>. The reader may stop
/// in front of a byte string whose payload has not fully arrived; those payload bytes must be
/// passed again, they are never copied. <c>default</c> is a fresh state with default options.
/// </remarks>
public struct BencodeReaderState
{
    internal BencodeReaderOptions _options;
    internal long _bytePosition;      // absolute offset of the first byte not yet consumed
    internal long _valueStart;        // absolute offset where the current top-level value began
    internal ContainerStack _stack;
    internal bool _expectingKey;      // the innermost container is a dict and its next string is a key
    internal PartialToken _partial;
    internal bool _negative;          // the partial integer had a '-'
    internal ulong _accumulator;      // magnitude of a partial integer, or the length of a string
    internal int _digitCount;         // digits seen in a length prefix
    internal bool _requireDictAtTopLevel;

    /// <summary>Starts a fresh stream of values with the given limits.</summary>
    public BencodeReaderState(BencodeReaderOptions options = default)
    {
        _options = options;
    }

    /// <summary>Starts a stream of nREPL messages, in which every top-level value must be a dict.</summary>
    internal BencodeReaderState(BencodeReaderOptions options, bool requireDictAtTopLevel)
    {
        _options = options;
        _requireDictAtTopLevel = requireDictAtTopLevel;
    }

    /// <summary>The limits this state was created with, as given (0 = default).</summary>
    public readonly BencodeReaderOptions Options => _options;

    /// <summary>How many lists and dicts are open.</summary>
    internal readonly int CurrentDepth => _stack.Depth;

    /// <summary>True when the reader stopped between two top-level values.</summary>
    internal readonly bool IsBetweenValues => _stack.Depth == 0 && _partial == PartialToken.None;
}
