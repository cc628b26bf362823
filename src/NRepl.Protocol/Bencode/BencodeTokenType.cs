namespace NRepl.Protocol.Bencode;

/// <summary>The kind of token <see cref="BencodeReader.Read"/> last produced.</summary>
/// <remarks>
/// Containers are reported as a start and an end token so that a caller can build values of any
/// depth without recursion, and so that a reader can stop between any two tokens when input runs out.
/// </remarks>
public enum BencodeTokenType : byte
{
    /// <summary>No token has been read yet, or the last <see cref="BencodeReader.Read"/> returned false.</summary>
    None,

    /// <summary>A byte string (<c>3:abc</c>); its bytes are in <see cref="BencodeReader.ValueSpan"/> or <see cref="BencodeReader.ValueSequence"/>.</summary>
    String,

    /// <summary>An integer (<c>i-42e</c>); read it with <see cref="BencodeReader.GetInt64"/>.</summary>
    Integer,

    /// <summary>The <c>l</c> that opens a list.</summary>
    StartList,

    /// <summary>The <c>e</c> that closes a list.</summary>
    EndList,

    /// <summary>The <c>d</c> that opens a dict.</summary>
    StartDict,

    /// <summary>The <c>e</c> that closes a dict.</summary>
    EndDict,
}
