using System.Diagnostics;

namespace NRepl.Protocol.Bencode;

/// <summary>
/// The kinds of the open containers, one bit each (1 = dict, 0 = list). The first 64 levels live
/// inline so that the reader state stays a copyable value without allocating for real messages.
/// </summary>
internal struct ContainerStack
{
    private const int InlineBits = 64;

    // Levels 1..64, level n at bit n-1.
    private ulong _inline;

    // Levels 65 and deeper. A copy of the struct would share this array, so every owner that
    // mutates takes its own copy first (see Detach).
    private ulong[]? _overflow;

    public int Depth { readonly get; private set; }

    /// <summary>True when the innermost open container is a dict.</summary>
    public readonly bool IsDict
    {
        get
        {
            Debug.Assert(Depth > 0);
            int bit = Depth - 1;
            if (bit < InlineBits)
            {
                return (_inline & (1UL << bit)) != 0;
            }

            bit -= InlineBits;
            return (_overflow![bit >> 6] & (1UL << (bit & 63))) != 0;
        }
    }

    public void Push(bool isDict)
    {
        int bit = Depth;
        if (bit < InlineBits)
        {
            _inline = isDict ? _inline | (1UL << bit) : _inline & ~(1UL << bit);
        }
        else
        {
            bit -= InlineBits;
            int word = bit >> 6;
            if (_overflow is null || word >= _overflow.Length)
            {
                Array.Resize(ref _overflow, Math.Max(word + 1, (_overflow?.Length ?? 0) * 2));
            }

            ulong mask = 1UL << (bit & 63);
            _overflow[word] = isDict ? _overflow[word] | mask : _overflow[word] & ~mask;
        }

        Depth++;
    }

    public void Pop()
    {
        Debug.Assert(Depth > 0);
        Depth--;
    }

    /// <summary>A copy that shares nothing mutable with this one.</summary>
    public readonly ContainerStack Detach()
    {
        ContainerStack copy = this;
        if (_overflow is not null)
        {
            copy._overflow = (ulong[])_overflow.Clone();
        }

        return copy;
    }
}
