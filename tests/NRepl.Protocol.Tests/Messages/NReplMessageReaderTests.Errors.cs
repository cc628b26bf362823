using System.Buffers;
using NRepl.Protocol.Bencode;
using NRepl.Protocol.Messages;
using NRepl.Protocol.Tests.Support;

namespace NRepl.Protocol.Tests.Messages;

/// <summary>Bad or hostile input is rejected at once, with a reason and a position.</summary>
public partial class NReplMessageReaderTests
{
    [TestCase("i1e", (byte)'i')]
    [TestCase("le", (byte)'l')]
    [TestCase("3:abc", (byte)'3')]
    [TestCase("10000000000:", (byte)'1')]
    [TestCase("e", (byte)'e')]
    [TestCase("\n", (byte)'\n')]
    [TestCase("GET / HTTP/1.1\r\n", (byte)'G')]
    public void TryParseMessage_TopLevelNotADict_ThrowsNotADictAtFirstByte(string input, byte first)
    {
        BencodeException ex = Assert.Throws<BencodeException>(() => PipeLoop.ParseAll(Bytes.Utf8(input), []))!;
        Assert.That(ex.Error, Is.EqualTo(BencodeError.NotADict));
        Assert.That(ex.BytePosition, Is.EqualTo(0));
        Assert.That(ex.Message, Does.StartWith($"nREPL message must be a dict. Wrong first byte: 0x{first:X2}"));
        Assert.That(ex.Message, Does.EndWith(" BytePosition: 0."));
    }

    [Test]
    public void TryParseMessage_JunkAfterMessage_ReturnsMessageThenThrowsAtJunk()
    {
        var loop = new PipeLoop();
        byte[] data = Bytes.Utf8("d2:id1:1e\r\n");
        BencodeException ex = Assert.Throws<BencodeException>(() => loop.Receive(data))!;
        Assert.That(ex.Error, Is.EqualTo(BencodeError.NotADict));
        Assert.That(ex.BytePosition, Is.EqualTo(9), "positions count from the start of the connection");
        Assert.That(ex.Message, Does.Contain("0x0D"));
    }

    [Test]
    public void TryParseMessage_JunkInsideMessage_ThrowsUnexpectedByte()
    {
        BencodeException ex = Assert.Throws<BencodeException>(() => PipeLoop.ParseAll(Bytes.Utf8("d2:id1:1 2:op4:evale"), [5]))!;
        Assert.That((ex.Error, ex.BytePosition, ex.Depth), Is.EqualTo((BencodeError.UnexpectedByte, 8L, 1)));
    }

    [Test]
    public void TryParseMessage_TenGigabyteString_ThrowsBeforeAnyPayloadArrives()
    {
        var loop = new PipeLoop();
        Assert.That(loop.Receive(Bytes.Utf8("d2:op4:eval4:code1000")), Is.Empty);
        BencodeException ex = Assert.Throws<BencodeException>(() => loop.Receive(Bytes.Utf8("0000000:")))!;
        Assert.That(ex.Error, Is.AnyOf(BencodeError.StringTooLong, BencodeError.MessageTooLarge));
        Assert.That(ex.BytePosition, Is.EqualTo(28));
    }

    [Test]
    public void TryParseMessage_AnnouncedStringOverMessageLimit_ThrowsMessageTooLarge()
    {
        var reader = new NReplMessageReader(new BencodeReaderOptions { MaxMessageSize = 100, MaxStringLength = 1000 });
        BencodeException ex = Assert.Throws<BencodeException>(() => PipeLoop.ParseAll(Bytes.Utf8("d3:out200:"), [], reader))!;
        Assert.That(ex.Error, Is.EqualTo(BencodeError.MessageTooLarge));
    }

    [Test]
    public void TryParseMessage_ManySmallValuesOverMessageLimit_ThrowsMessageTooLarge()
    {
        var reader = new NReplMessageReader(new BencodeReaderOptions { MaxMessageSize = 100 });
        var loop = new PipeLoop(reader);
        loop.Receive(Bytes.Utf8("d1:al"));
        BencodeException ex = Assert.Throws<BencodeException>(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                loop.Receive(Bytes.Utf8("i1e"));
            }
        })!;
        Assert.That((ex.Error, ex.BytePosition), Is.EqualTo((BencodeError.MessageTooLarge, 100L)));
    }

    [Test]
    public void TryParseMessage_MessageLimit_AppliesToEachMessageSeparately()
    {
        var reader = new NReplMessageReader(new BencodeReaderOptions { MaxMessageSize = 10 });
        byte[] data = Bytes.Utf8(string.Concat(Enumerable.Repeat("d1:a3:abce", 5)));
        Assert.That(PipeLoop.ParseAll(data, [7, 23], reader), Has.Count.EqualTo(5));
    }

    [Test]
    public void TryParseMessage_TooDeep_ThrowsDepthExceeded()
    {
        var reader = new NReplMessageReader(new BencodeReaderOptions { MaxDepth = 3 });
        BencodeException ex = Assert.Throws<BencodeException>(() => PipeLoop.ParseAll(Bytes.Utf8("d1:alllee"), [], reader))!;
        Assert.That((ex.Error, ex.BytePosition, ex.Depth), Is.EqualTo((BencodeError.DepthExceeded, 6L, 3)));
    }

    [Test]
    public void TryParseMessage_IntegerOverflow_Throws()
    {
        BencodeException ex = Assert.Throws<BencodeException>(() => PipeLoop.ParseAll(Bytes.Utf8("d1:ni9223372036854775808ee"), []))!;
        Assert.That(ex.Error, Is.EqualTo(BencodeError.IntegerOverflow));
    }

    [Test]
    public void TryParseMessage_IntegerKey_ThrowsKeyNotString()
    {
        BencodeException ex = Assert.Throws<BencodeException>(() => PipeLoop.ParseAll(Bytes.Utf8("di1e1:ae"), []))!;
        Assert.That(ex.Error, Is.EqualTo(BencodeError.KeyNotString));
    }

    [Test]
    public void TryParseMessage_AfterError_ThrowsInvalidOperation()
    {
        var reader = new NReplMessageReader();
        Assert.Throws<BencodeException>(() => PipeLoop.ParseAll(Bytes.Utf8("x"), [], reader));
        var input = new ReadOnlySequence<byte>(Bytes.Utf8("de"));
        SequencePosition consumed = input.Start;
        SequencePosition examined = input.Start;
        Assert.Throws<InvalidOperationException>(() => reader.TryParseMessage(input, ref consumed, ref examined, out _));
    }

    [Test]
    public void HasPartialMessage_StreamEndsInsideMessage_IsTrueEvenWhenNothingIsBuffered()
    {
        var loop = new PipeLoop();
        loop.Receive(Bytes.Utf8("d2:op"));
        Assert.That(loop.BufferedBytes, Is.EqualTo(0), "the reader consumed what it parsed");
        Assert.That(loop.Reader.HasPartialMessage, Is.True);
    }
}
