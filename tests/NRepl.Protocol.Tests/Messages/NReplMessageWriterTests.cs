using System.Buffers;
using System.Text;
using NRepl.Protocol.Messages;
using NRepl.Protocol.Tests.Support;

namespace NRepl.Protocol.Tests.Messages;

public class NReplMessageWriterTests
{
    private static string Encode(Dictionary<string, object?> message) => Bytes.Show(NReplMessageWriter.ToBytes(message));

    [Test]
    public void ToBytes_EvalRequest_SortsKeys() =>
        Assert.That(Encode(new() { ["op"] = "eval", ["id"] = "1" }), Is.EqualTo("d2:id1:12:op4:evale"));

    [Test]
    public void ToBytes_UnicodeValue_UsesUtf8ByteLength() =>
        Assert.That(NReplMessageWriter.ToBytes(new Dictionary<string, object?> { ["out"] = "héllo" }), Is.EqualTo(Bytes.Utf8("d3:out6:hélloe")));

    [Test]
    public void ToBytes_NullValues_AreOmitted() =>
        Assert.That(Encode(new() { ["a"] = null, ["b"] = "x", ["c"] = new Dictionary<string, object?> { ["d"] = null } }), Is.EqualTo("d1:b1:x1:cdee"));

    [Test]
    public void ToBytes_Integers_AreWrittenAsBencodeIntegers() =>
        Assert.That(
            Encode(new() { ["a"] = 1, ["b"] = -42L, ["c"] = (short)3, ["d"] = (byte)4, ["e"] = 5u, ["f"] = (ulong)long.MaxValue }),
            Is.EqualTo("d1:ai1e1:bi-42e1:ci3e1:di4e1:ei5e1:fi9223372036854775807ee"));

    [Test]
    public void ToBytes_Booleans_AreWrittenAsStrings() =>
        Assert.That(Encode(new() { ["no"] = false, ["yes"] = true }), Is.EqualTo("d2:no5:false3:yes4:truee"));

    [Test]
    public void ToBytes_StatusList_IsAListOfStrings() =>
        Assert.That(Encode(new() { ["status"] = new[] { "done" } }), Is.EqualTo("d6:statusl4:doneee"));

    [Test]
    public void ToBytes_MixedListWithNull_WritesNilAsEmptyList() =>
        Assert.That(Encode(new() { ["l"] = new List<object?> { "a", 1L, null, new List<string> { "b" } } }), Is.EqualTo("d1:ll1:ai1elel1:beee"));

    [Test]
    public void ToBytes_NestedDicts_AreSortedAtEveryLevel()
    {
        var message = new Dictionary<string, object?>
        {
            ["zeta"] = new Dictionary<string, object?> { ["b"] = 2, ["a"] = 1 },
            ["alpha"] = new List<object?> { new Dictionary<string, object?> { ["y"] = "2", ["x"] = "1" } },
        };
        Assert.That(Encode(message), Is.EqualTo("d5:alphald1:x1:11:y1:2ee4:zetad1:ai1e1:bi2eee"));
    }

    [Test]
    public void ToBytes_OtherDictionaryShapes_AreWritten()
    {
        IDictionary<string, object?> generic = new SortedList<string, object?> { ["k"] = "v" };
        var message = new Dictionary<string, object?>
        {
            ["generic"] = generic,
            ["strings"] = new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" },
            ["message"] = new NReplMessage(new Dictionary<string, object> { ["op"] = "x" }),
        };
        Assert.That(Encode(message), Is.EqualTo("d7:genericd1:k1:ve7:messaged2:op1:xe7:stringsd1:a1:11:b1:2ee"));
    }

    [Test]
    public void ToBytes_RawBytes_AreWrittenUnchanged() =>
        Assert.That(Encode(new() { ["b"] = new byte[] { 0xFF, 0x01 }, ["m"] = new ReadOnlyMemory<byte>([0x02]) }), Is.EqualTo("d1:b2:\\xFF\\x011:m1:\\x02e"));

    [Test]
    public void ToBytes_KeysBeyondBmp_SortByUtf8BytesNotUtf16()
    {
        // U+FFFD is EF BF BD in UTF-8 and sorts before U+1F600 (F0 9F 98 80),
        // although its UTF-16 code unit is above the surrogate D83D.
        byte[] bytes = NReplMessageWriter.ToBytes(new Dictionary<string, object?> { ["😀"] = 1, ["\uFFFD"] = 2 });
        Assert.That(bytes, Is.EqualTo(Bytes.Utf8("d3:\uFFFDi2e4:😀i1ee")));
    }

    [Test]
    public void WriteMessage_UnsupportedValue_ThrowsAndWritesNothing()
    {
        var output = new ArrayBufferWriter<byte>();
        var message = new Dictionary<string, object?> { ["a"] = "fine", ["b"] = new List<object?> { "ok", DateTime.UnixEpoch } };
        Assert.Throws<ArgumentException>(() => NReplMessageWriter.WriteMessage(message, output));
        Assert.That(output.WrittenCount, Is.EqualTo(0));
    }

    [Test]
    public void WriteMessage_UlongAboveLongRange_Throws() =>
        Assert.Throws<ArgumentException>(() => NReplMessageWriter.ToBytes(new Dictionary<string, object?> { ["a"] = ulong.MaxValue }));

    [Test]
    public void WriteMessage_NonStringKeys_Throw() =>
        Assert.Throws<ArgumentException>(() => NReplMessageWriter.ToBytes(new Dictionary<string, object?> { ["a"] = new Dictionary<int, string> { [1] = "x" } }));

    [Test]
    public void WriteMessage_CyclicList_ThrowsInsteadOfOverflowingTheStack()
    {
        var list = new List<object?>();
        list.Add(list);
        Assert.Throws<ArgumentException>(() => NReplMessageWriter.ToBytes(new Dictionary<string, object?> { ["l"] = list }));
    }

    [Test]
    public void WriteMessage_TwoMessages_AreAppendedBackToBack()
    {
        var output = new ArrayBufferWriter<byte>();
        NReplMessageWriter.WriteMessage(new Dictionary<string, object?> { ["id"] = "1" }, output);
        NReplMessageWriter.WriteMessage(new Dictionary<string, object?> { ["id"] = "2" }, output);
        Assert.That(Encoding.UTF8.GetString(output.WrittenSpan), Is.EqualTo("d2:id1:1ed2:id1:2e"));
    }

    [Test]
    public void WriteMessage_LargeMessage_IsWrittenWhole()
    {
        string big = new('x', 200_000);
        var output = new ArrayBufferWriter<byte>();
        NReplMessageWriter.WriteMessage(new Dictionary<string, object?> { ["out"] = big }, output);
        NReplMessageWriter.WriteMessage(new Dictionary<string, object?> { ["out"] = "small" }, output);
        Assert.That(Encoding.UTF8.GetString(output.WrittenSpan), Is.EqualTo("d3:out200000:" + big + "ed3:out5:smalle"));
    }

    [Test]
    public void WriteMessage_NullArguments_ThrowArgumentNull()
    {
        Assert.Throws<ArgumentNullException>(() => NReplMessageWriter.WriteMessage(null!, new ArrayBufferWriter<byte>()));
        Assert.Throws<ArgumentNullException>(() => NReplMessageWriter.WriteMessage(new Dictionary<string, object?>(), null!));
    }
}
