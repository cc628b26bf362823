using System.Buffers;
using NRepl.Protocol.Messages;

namespace NRepl.Protocol.Tests.Support;

/// <summary>
/// Drives an <see cref="NReplMessageReader"/> the way a PipeReader loop does: received chunks are
/// appended as new segments after the unconsumed bytes, TryParseMessage is called until it asks
/// for more, and the buffer is advanced to <c>consumed</c>.
/// </summary>
internal sealed class PipeLoop
{
    private readonly NReplMessageReader _reader;
    private List<byte[]> _unconsumed = [];

    public PipeLoop(NReplMessageReader? reader = null) => _reader = reader ?? new NReplMessageReader();

    public NReplMessageReader Reader => _reader;

    /// <summary>Bytes handed in but not yet consumed by the reader.</summary>
    public long BufferedBytes => _unconsumed.Sum(p => (long)p.Length);

    /// <summary>Feeds one received chunk and returns every message completed by it.</summary>
    public List<NReplMessage> Receive(byte[] chunk)
    {
        var messages = new List<NReplMessage>();
        if (chunk.Length > 0)
        {
            _unconsumed.Add(chunk);
        }

        ReadOnlySequence<byte> buffer = Segments.FromPieces(_unconsumed);
        while (true)
        {
            SequencePosition consumed = buffer.Start;
            SequencePosition examined = buffer.Start;
            bool parsed = _reader.TryParseMessage(buffer, ref consumed, ref examined, out NReplMessage? message);
            buffer = buffer.Slice(consumed);
            if (!parsed)
            {
                Assert.That(message, Is.Null);
                break;
            }

            Assert.That(message, Is.Not.Null);
            Assert.That(examined, Is.EqualTo(consumed), "examined after a whole message");
            messages.Add(message!);
        }

        _unconsumed = Segments.ToPieces(buffer);
        return messages;
    }

    /// <summary>Feeds <paramref name="data"/> cut at <paramref name="splits"/> and returns all messages.</summary>
    public static List<NReplMessage> ParseAll(byte[] data, IEnumerable<int> splits, NReplMessageReader? reader = null)
    {
        var loop = new PipeLoop(reader);
        var messages = new List<NReplMessage>();
        int start = 0;
        foreach (int split in splits.Order())
        {
            messages.AddRange(loop.Receive(data[start..split]));
            start = split;
        }

        messages.AddRange(loop.Receive(data[start..]));
        return messages;
    }

    /// <summary>Every way the tests cut input: whole, one byte at a time, every split, every pair of splits.</summary>
    public static IEnumerable<(string Name, int[] Splits)> Chunkings(int length, bool includePairs = true)
    {
        yield return ("whole", []);
        yield return ("1-byte chunks", Enumerable.Range(1, Math.Max(0, length - 1)).ToArray());
        for (int i = 1; i < length; i++)
        {
            yield return ($"split at {i}", [i]);
        }

        if (includePairs)
        {
            for (int i = 1; i < length; i++)
            {
                for (int j = i + 1; j < length; j++)
                {
                    yield return ($"split at {i},{j}", [i, j]);
                }
            }
        }
    }
}
