namespace NRepl.Protocol.Bencode;

/// <summary>
/// Bad bencode input: malformed bytes or a limit exceeded. The connection that produced it cannot
/// be resynchronised (bencode has no frame boundaries), so the only safe reaction is to close it.
/// </summary>
/// <remarks>
/// The position and depth are properties so that logs and tests do not parse the message; the
/// message still ends with <c> BytePosition: N.</c> for people reading a log.
/// </remarks>
public sealed class BencodeException : Exception
{
    internal BencodeException(string message, BencodeError error, long bytePosition, int depth)
        : base(message)
    {
        Error = error;
        BytePosition = bytePosition;
        Depth = depth;
    }

    /// <summary>Offset of the byte at which the problem was found, counted from the first byte the reader state ever saw.</summary>
    public long BytePosition { get; }

    /// <summary>How many lists and dicts were open at that byte.</summary>
    public int Depth { get; }

    /// <summary>What kind of problem it was.</summary>
    public BencodeError Error { get; }
}
