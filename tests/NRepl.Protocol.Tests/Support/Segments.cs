using System.Buffers;

namespace NRepl.Protocol.Tests.Support;

/// <summary>Builds multi-segment sequences so tests can place segment boundaries anywhere.</summary>
internal static class Segments
{
    /// <summary>A sequence whose segments break at the given offsets (sorted, duplicates give empty segments).</summary>
    public static ReadOnlySequence<byte> Create(byte[] data, params int[] splits)
    {
        var pieces = new List<byte[]>();
        int start = 0;
        foreach (int split in splits.Order())
        {
            pieces.Add(data[start..split]);
            start = split;
        }

        pieces.Add(data[start..]);
        return FromPieces(pieces);
    }

    /// <summary>One byte per segment.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] data) =>
        data.Length == 0 ? ReadOnlySequence<byte>.Empty : FromPieces(data.Select(b => new[] { b }).ToList());

    public static ReadOnlySequence<byte> FromPieces(IReadOnlyList<byte[]> pieces)
    {
        if (pieces.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(pieces[0], 0);
        Segment last = first;
        for (int i = 1; i < pieces.Count; i++)
        {
            last = last.Append(pieces[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Copies each segment of a sequence into its own array, keeping the boundaries.</summary>
    public static List<byte[]> ToPieces(ReadOnlySequence<byte> sequence)
    {
        var pieces = new List<byte[]>();
        foreach (ReadOnlyMemory<byte> memory in sequence)
        {
            pieces.Add(memory.ToArray());
        }

        return pieces;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data, long runningIndex)
        {
            Memory = data;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] data)
        {
            var next = new Segment(data, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
