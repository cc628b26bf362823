using NRepl.Protocol.Bencode;
using NRepl.Protocol.Tests.Support;

namespace NRepl.Protocol.Tests.Bencode;

/// <summary>Malformed input: the same error, at the same byte, however the input was cut.</summary>
public partial class BencodeReaderTests
{
    private static IEnumerable<TestCaseData> MalformedCases()
    {
        static TestCaseData Case(string input, BencodeError error, long position, int depth = 0) =>
            new TestCaseData(Bytes.Utf8(input), error, position, depth).SetArgDisplayNames(input, error.ToString());

        yield return Case("x", BencodeError.UnexpectedByte, 0);
        yield return Case("e", BencodeError.UnexpectedByte, 0);
        yield return Case("lee", BencodeError.UnexpectedByte, 2);
        yield return Case("lx", BencodeError.UnexpectedByte, 1, depth: 1);
        yield return Case("l\n", BencodeError.UnexpectedByte, 1, depth: 1);
        yield return Case("-1:", BencodeError.UnexpectedByte, 0);
        yield return Case("ie", BencodeError.InvalidInteger, 1);
        yield return Case("i-e", BencodeError.InvalidInteger, 2);
        yield return Case("i--1e", BencodeError.InvalidInteger, 2);
        yield return Case("i+1e", BencodeError.InvalidInteger, 1);
        yield return Case("i1-e", BencodeError.InvalidInteger, 2);
        yield return Case("i1.5e", BencodeError.InvalidInteger, 2);
        yield return Case("i 1e", BencodeError.InvalidInteger, 1);
        yield return Case("i9223372036854775808e", BencodeError.IntegerOverflow, 19);
        yield return Case("i-9223372036854775809e", BencodeError.IntegerOverflow, 20);
        yield return Case("i99999999999999999999e", BencodeError.IntegerOverflow, 19);
        yield return Case("i12", BencodeError.UnexpectedEndOfInput, 3);
        yield return Case("i", BencodeError.UnexpectedEndOfInput, 1);
        yield return Case("3:ab", BencodeError.UnexpectedEndOfInput, 2);
        yield return Case("3", BencodeError.UnexpectedEndOfInput, 1);
        yield return Case("l", BencodeError.UnexpectedEndOfInput, 1, depth: 1);
        yield return Case("d1:a", BencodeError.UnexpectedEndOfInput, 4, depth: 1);
        yield return Case("3x", BencodeError.InvalidLength, 1);
        yield return Case("3-", BencodeError.InvalidLength, 1);
        yield return Case("00000000000000000001:a", BencodeError.InvalidLength, 19);
        yield return Case("di1ei2ee", BencodeError.KeyNotString, 1, depth: 1);
        yield return Case("dlee", BencodeError.KeyNotString, 1, depth: 1);
        yield return Case("dde", BencodeError.KeyNotString, 1, depth: 1);
        yield return Case("d1:a1:bi1ee", BencodeError.KeyNotString, 7, depth: 1);
        yield return Case("d1:ae", BencodeError.DictKeyWithoutValue, 4, depth: 1);
        yield return Case("ld1:ai1e1:bee", BencodeError.DictKeyWithoutValue, 11, depth: 2);
    }

    [TestCaseSource(nameof(MalformedCases))]
    public void Read_MalformedWholeSpan_ThrowsWithPosition(byte[] data, BencodeError error, long position, int depth)
    {
        BencodeException ex = ReadAllExpectingError(data, []);
        Assert.That(ex.Error, Is.EqualTo(error));
        Assert.That(ex.BytePosition, Is.EqualTo(position));
        Assert.That(ex.Depth, Is.EqualTo(depth));
        Assert.That(ex.Message, Does.EndWith($" BytePosition: {position}."));
    }

    [TestCaseSource(nameof(MalformedCases))]
    public void Read_MalformedAnyChunking_ThrowsSameErrorAtSamePosition(byte[] data, BencodeError error, long position, int depth)
    {
        foreach ((string name, int[] splits) in PipeLoop.Chunkings(data.Length))
        {
            BencodeException ex = ReadAllExpectingError(data, splits);
            Assert.That((ex.Error, ex.BytePosition, ex.Depth), Is.EqualTo((error, position, depth)), name);
        }
    }

    [Test]
    public void Read_TruncatedAtFinalBlock_ThrowsUnexpectedEndForEveryCutInsideAValue()
    {
        byte[] data = Bytes.Utf8("d1:ald1:bi-12eee3:abc4:😀e");
        for (int length = 1; length < data.Length; length++)
        {
            BencodeException ex = ReadAllExpectingError(data[..length], []);
            Assert.That(ex.Error, Is.EqualTo(BencodeError.UnexpectedEndOfInput), $"cut at {length}");
        }
    }

    [Test]
    public void Read_UnprintableByte_IsShownAsHex()
    {
        BencodeException ex = ReadAllExpectingError([(byte)'l', 0x07], []);
        Assert.That(ex.Message, Does.Contain("0x07"));
        Assert.That(ex.Message, Does.Not.Contain("\a"));
    }

    [Test]
    public void Read_PrintableByte_IsShownQuoted()
    {
        BencodeException ex = ReadAllExpectingError(Bytes.Utf8("x"), []);
        Assert.That(ex.Message, Is.EqualTo("Unexpected byte 'x'; expected a digit, 'i', 'l', 'd' or 'e'. BytePosition: 0."));
    }

    /// <summary>Feeds <paramref name="data"/> in chunks (the last one final) and returns what it threw.</summary>
    private static BencodeException ReadAllExpectingError(byte[] data, int[] splits, BencodeReaderOptions options = default) =>
        Assert.Throws<BencodeException>(() => TokenDump.FromChunks(data, splits, asSpan: false, options))!;
}
