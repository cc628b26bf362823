using System.Buffers;
using NRepl.Protocol.Bencode;
using NRepl.Protocol.Messages;
using NRepl.Protocol.Tests.Support;

namespace NRepl.Protocol.Tests.Messages;

/// <summary>
/// Messages fed the way a PipeReader loop feeds them: whole, one byte at a time, cut at every
/// position and every pair of positions; all must decode the same.
/// </summary>
public partial class NReplMessageReaderTests
{
    private static IEnumerable<TestCaseData> MessageCases()
    {
        static TestCaseData Case(string name, string input, string expected) =>
            new TestCaseData(Bytes.Utf8(input), expected).SetArgDisplayNames(name);

        yield return Case("eval", "d2:id1:12:op4:evale", "{\"id\" \"1\", \"op\" \"eval\", }");
        yield return Case("empty", "de", "{}");
        yield return Case("unicode", "d3:out6:héllo5:emoji4:😀e", "{\"emoji\" \"\\uD83D\\uDE00\", \"out\" \"h\\u00E9llo\", }");
        yield return Case("negative int", "d1:ni-42ee", "{\"n\" -42, }");
        yield return Case("status list", "d2:id1:16:statusl4:done5:erroree", "{\"id\" \"1\", \"status\" [\"done\" \"error\" ], }");
        yield return Case("nested", "d1:ad1:bld1:ci1eeee1:d0:e", "{\"a\" {\"b\" [{\"c\" 1, } ], }, \"d\" \"\", }");
        yield return Case("unsorted", "d2:op4:eval2:id1:1e", "{\"id\" \"1\", \"op\" \"eval\", }");
        yield return Case("duplicate", "d2:op4:eval2:op5:clonee", "{\"op\" \"clone\", }");
        yield return Case("bencode inside string", "d4:code5:d1:ae2:op4:evale", "{\"code\" \"d1:ae\", \"op\" \"eval\", }");
    }

    [TestCaseSource(nameof(MessageCases))]
    public void TryParseMessage_AnyChunking_DecodesSameAsWhole(byte[] data, string expected)
    {
        foreach ((string name, int[] splits) in PipeLoop.Chunkings(data.Length))
        {
            List<NReplMessage> messages = PipeLoop.ParseAll(data, splits);
            Assert.That(messages, Has.Count.EqualTo(1), name);
            Assert.That(Canonical.Render(messages[0].Fields), Is.EqualTo(expected), name);
        }
    }

    [Test]
    public void TryParseMessage_SeveralMessagesInOneBuffer_ReturnsEachInOrder()
    {
        byte[] data = Bytes.Utf8("d2:id1:1ed2:id1:2ed2:id1:3e");
        foreach ((string name, int[] splits) in PipeLoop.Chunkings(data.Length))
        {
            List<NReplMessage> messages = PipeLoop.ParseAll(data, splits);
            Assert.That(messages.Select(m => m.Id), Is.EqualTo(new[] { "1", "2", "3" }), name);
        }
    }

    [Test]
    public void TryParseMessage_MessageFollowedByPartialOne_ReturnsFirstAndKeepsTheRest()
    {
        var loop = new PipeLoop();
        List<NReplMessage> first = loop.Receive(Bytes.Utf8("d2:id1:1ed2:id1:24:code7:(+ 1"));
        Assert.That(first.Select(m => m.Id), Is.EqualTo(new[] { "1" }));
        Assert.That(loop.Reader.HasPartialMessage, Is.True);
        Assert.That(loop.BufferedBytes, Is.EqualTo(4), "only the incomplete payload stays buffered");

        List<NReplMessage> second = loop.Receive(Bytes.Utf8(" 2)e"));
        Assert.That(second, Has.Count.EqualTo(1));
        Assert.That(second[0].Id, Is.EqualTo("2"));
        Assert.That(second[0].GetString("code"), Is.EqualTo("(+ 1 2)"));
        Assert.That(loop.Reader.HasPartialMessage, Is.False);
        Assert.That(loop.BufferedBytes, Is.EqualTo(0));
    }

    [Test]
    public void TryParseMessage_NeedsMoreData_SetsExaminedToEndAndConsumedToFirstUnusedByte()
    {
        var reader = new NReplMessageReader();
        var input = new ReadOnlySequence<byte>(Bytes.Utf8("d4:code5:ab"));
        SequencePosition consumed = default;
        SequencePosition examined = default;
        Assert.That(reader.TryParseMessage(input, ref consumed, ref examined, out NReplMessage? message), Is.False);
        Assert.That(message, Is.Null);
        Assert.That(examined, Is.EqualTo(input.End));
        Assert.That(input.Slice(consumed).ToArray(), Is.EqualTo(Bytes.Utf8("ab")));
        Assert.That(reader.BytesConsumed, Is.EqualTo(9));
    }

    [Test]
    public void TryParseMessage_EmptyInput_ReturnsFalse()
    {
        var reader = new NReplMessageReader();
        SequencePosition consumed = default;
        SequencePosition examined = default;
        Assert.That(reader.TryParseMessage(ReadOnlySequence<byte>.Empty, ref consumed, ref examined, out _), Is.False);
        Assert.That(reader.HasPartialMessage, Is.False);
    }

    [Test]
    public void TryParseMessage_LargeStringInSmallChunks_KeepsOnlyThePayloadBuffered()
    {
        string code = new('x', 100_000);
        byte[] data = NReplMessageWriter.ToBytes(new Dictionary<string, object?> { ["op"] = "eval", ["code"] = code });
        var loop = new PipeLoop();
        var messages = new List<NReplMessage>();
        for (int offset = 0; offset < data.Length; offset += 4096)
        {
            messages.AddRange(loop.Receive(data[offset..Math.Min(data.Length, offset + 4096)]));
            Assert.That(loop.BufferedBytes, Is.LessThanOrEqualTo(code.Length), "nothing but the payload is held back");
        }

        Assert.That(messages, Has.Count.EqualTo(1));
        Assert.That(messages[0].GetString("code"), Is.EqualTo(code));
    }

    [Test]
    public void TryParseMessage_InvalidUtf8_DecodesWithReplacementCharacter()
    {
        byte[] data = [.. "d3:out3:a"u8, 0xFF, 0xC3, .. "2:id1:1e"u8];
        List<NReplMessage> messages = PipeLoop.ParseAll(data, []);
        Assert.That(messages[0].GetString("out"), Is.EqualTo("a\uFFFD\uFFFD"));
        Assert.That(messages[0].Id, Is.EqualTo("1"));
    }
}
