using System.Buffers;
using BenchmarkDotNet.Attributes;
using NRepl.Protocol.Messages;

namespace NRepl.Benchmarks.Codec;

/// <summary>
/// Decode (NReplMessageReader) and encode (NReplMessageWriter into an ArrayBufferWriter) of one
/// message per operation: a typical eval reply and an <c>out</c> message with a 1 MiB payload.
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    public const int OutPayloadBytes = 1024 * 1024;

    /// <summary>The size of a socket read the decoder sees in the chunked case.</summary>
    public const int ChunkBytes = 4096;

    private Dictionary<string, object?> _evalReply = null!;
    private Dictionary<string, object?> _outMessage = null!;
    private ReadOnlySequence<byte> _evalReplyBytes;
    private ReadOnlySequence<byte> _outBytes;
    private ReadOnlySequence<byte> _outChunks;
    private NReplMessageReader _reader = null!;
    private ArrayBufferWriter<byte> _output = null!;

    [GlobalSetup]
    public void Setup()
    {
        _evalReply = EvalReply();
        _outMessage = OutMessage();
        byte[] evalReply = NReplMessageWriter.ToBytes(_evalReply);
        byte[] outMessage = NReplMessageWriter.ToBytes(_outMessage);
        _evalReplyBytes = new ReadOnlySequence<byte>(evalReply);
        _outBytes = new ReadOnlySequence<byte>(outMessage);
        _outChunks = Chunked(outMessage, ChunkBytes);
        _reader = new NReplMessageReader();
        _output = new ArrayBufferWriter<byte>(outMessage.Length + 1024);
    }

    /// <summary>{id, session, ns, value}: the reply every eval gets.</summary>
    public static Dictionary<string, object?> EvalReply() => new()
    {
        ["id"] = "42",
        ["session"] = "d62c7b1b-7be2-4384-b0ce-539425512fa9",
        ["ns"] = "user",
        ["value"] = "Point { X = 1, Y = 2 }",
    };

    /// <summary>{id, session, out}: 1 MiB of printable ASCII output in lines of 80.</summary>
    public static Dictionary<string, object?> OutMessage()
    {
        var text = new char[OutPayloadBytes];
        for (int i = 0; i < text.Length; i++)
        {
            text[i] = i % 81 == 80 ? '\n' : (char)('a' + (i % 26));
        }

        return new Dictionary<string, object?>
        {
            ["id"] = "42",
            ["session"] = "d62c7b1b-7be2-4384-b0ce-539425512fa9",
            ["out"] = new string(text),
        };
    }

    public static int EncodedSize(Dictionary<string, object?> message) => NReplMessageWriter.ToBytes(message).Length;

    [Benchmark(Description = "decode eval reply")]
    public NReplMessage DecodeEvalReply() => Decode(_evalReplyBytes);

    [Benchmark(Description = "decode 1 MiB out")]
    public NReplMessage DecodeOut() => Decode(_outBytes);

    [Benchmark(Description = "decode 1 MiB out, 4 KiB segments")]
    public NReplMessage DecodeOutChunked() => Decode(_outChunks);

    [Benchmark(Description = "encode eval reply")]
    public int EncodeEvalReply() => Encode(_evalReply);

    [Benchmark(Description = "encode 1 MiB out")]
    public int EncodeOut() => Encode(_outMessage);

    private NReplMessage Decode(in ReadOnlySequence<byte> input)
    {
        SequencePosition consumed = input.Start;
        SequencePosition examined = input.End;
        if (!_reader.TryParseMessage(input, ref consumed, ref examined, out NReplMessage? message))
        {
            throw new InvalidOperationException("The message did not decode.");
        }

        return message!;
    }

    private int Encode(Dictionary<string, object?> message)
    {
        _output.ResetWrittenCount();
        NReplMessageWriter.WriteMessage(message, _output);
        return _output.WrittenCount;
    }

    /// <summary>The bytes as a multi-segment sequence, as a PipeReader over a socket would hand them over.</summary>
    private static ReadOnlySequence<byte> Chunked(byte[] bytes, int chunk)
    {
        Segment first = new(bytes.AsMemory(0, Math.Min(chunk, bytes.Length)), 0);
        Segment last = first;
        for (int offset = chunk; offset < bytes.Length; offset += chunk)
        {
            last = last.Append(bytes.AsMemory(offset, Math.Min(chunk, bytes.Length - offset)));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
