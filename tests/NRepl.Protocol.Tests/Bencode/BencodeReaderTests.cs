using System.Buffers;
using NRepl.Protocol.Bencode;
using NRepl.Protocol.Tests.Support;

namespace NRepl.Protocol.Tests.Bencode;

/// <summary>
/// Valid input read as one span, as one-byte segments, cut at every position and every pair of
/// positions, and resumed chunk by chunk from <see cref="BencodeReaderState"/>: all must agree.
/// </summary>
public partial class BencodeReaderTests
{
    private static readonly (string Input, string Expected)[] s_validCases =
    [
        ("i42e", "42"),
        ("i-42e", "-42"),
        ("i0e", "0"),
        ("i-0e", "0"),
        ("i007e", "7"),
        ("i-0000000000000000000000000012e", "-12"),
        ("i9223372036854775807e", "9223372036854775807"),
        ("i-9223372036854775808e", "-9223372036854775808"),
        ("0:", "\"\""),
        ("4:spam", "\"spam\""),
        ("03:abc", "\"abc\""),
        ("6:héllo", "\"héllo\""),
        ("4:😀", "\"😀\""),
        ("5:d1:ae", "\"d1:ae\""),
        ("le", "[ ]"),
        ("de", "{ }"),
        ("l4:spami42ee", "[ \"spam\" 42 ]"),
        ("d3:bar4:spam3:fooi42ee", "{ \"bar\" \"spam\" \"foo\" 42 }"),
        ("d1:ald1:bi1eee1:c0:e", "{ \"a\" [ { \"b\" 1 } ] \"c\" \"\" }"),
        ("d2:op4:eval2:op5:clonee", "{ \"op\" \"eval\" \"op\" \"clone\" }"),
        ("d2:op4:eval2:id1:1e", "{ \"op\" \"eval\" \"id\" \"1\" }"),
        ("d7:contexti0e4:filei0e2:op4:evale", "{ \"context\" 0 \"file\" 0 \"op\" \"eval\" }"),
        ("d6:pprintle2:op4:evale", "{ \"pprint\" [ ] \"op\" \"eval\" }"),
        ("i1e3:abcled1:xlee", "1 \"abc\" [ ] { \"x\" [ ] }"),
        ("lllleeee", "[ [ [ [ ] ] ] ]"),
        ("d4:code7:(+ 1 2)2:id1:72:op4:eval7:session5:s-123e", "{ \"code\" \"(+ 1 2)\" \"id\" \"7\" \"op\" \"eval\" \"session\" \"s-123\" }"),
    ];

    private static IEnumerable<TestCaseData> ValidCases() =>
        s_validCases.Select(c => new TestCaseData(c.Input, c.Expected).SetArgDisplayNames(c.Input));

    [TestCaseSource(nameof(ValidCases))]
    public void Read_WholeSpan_ProducesTokens(string input, string expected) =>
        Assert.That(TokenDump.FromSpan(Bytes.Utf8(input)), Is.EqualTo(expected));

    [TestCaseSource(nameof(ValidCases))]
    public void Read_OneByteSegments_ProducesSameTokens(string input, string expected) =>
        Assert.That(TokenDump.FromSequence(Segments.OneBytePerSegment(Bytes.Utf8(input))), Is.EqualTo(expected));

    [TestCaseSource(nameof(ValidCases))]
    public void Read_SequenceSplitAtEveryPositionAndPair_ProducesSameTokens(string input, string expected)
    {
        byte[] data = Bytes.Utf8(input);
        foreach ((string name, int[] splits) in PipeLoop.Chunkings(data.Length))
        {
            Assert.That(TokenDump.FromSequence(Segments.Create(data, splits)), Is.EqualTo(expected), name);
        }
    }

    [TestCaseSource(nameof(ValidCases))]
    public void Read_ResumedFromStateAtEveryPositionAndPair_ProducesSameTokens(string input, string expected)
    {
        byte[] data = Bytes.Utf8(input);
        foreach ((string name, int[] splits) in PipeLoop.Chunkings(data.Length))
        {
            Assert.That(TokenDump.FromChunks(data, splits, asSpan: false), Is.EqualTo(expected), "sequence, " + name);
            Assert.That(TokenDump.FromChunks(data, splits, asSpan: true), Is.EqualTo(expected), "span, " + name);
        }
    }

    [Test]
    public void Read_InvalidUtf8_DecodesWithReplacementCharacter()
    {
        byte[] data = [.. "l2:"u8, 0xFF, 0xFE, .. "1:"u8, 0xC3, (byte)'e'];
        Assert.That(TokenDump.FromSpan(data), Is.EqualTo("[ \"\uFFFD\uFFFD\" \"\uFFFD\" ]"));
    }

    [Test]
    public void Read_StringAcrossSegments_ExposesValueSequence()
    {
        var reader = new BencodeReader(Segments.Create(Bytes.Utf8("5:hello"), 4));
        Assert.That(reader.Read(), Is.True);
        Assert.That(reader.HasValueSequence, Is.True);
        Assert.That(reader.ValueSequence.ToArray(), Is.EqualTo(Bytes.Utf8("hello")));
        Assert.That(reader.ValueSpan.IsEmpty, Is.True);
        Assert.That(reader.GetString(), Is.EqualTo("hello"));
    }

    [Test]
    public void Read_StringWhollyInLaterSegment_ExposesValueSpan()
    {
        var reader = new BencodeReader(Segments.Create(Bytes.Utf8("5:hello"), 2));
        Assert.That(reader.Read(), Is.True);
        Assert.That(reader.HasValueSequence, Is.False);
        Assert.That(reader.ValueSpan.ToArray(), Is.EqualTo(Bytes.Utf8("hello")));
    }

    [Test]
    public void Read_PartialInput_StopsBeforeIncompletePayloadAndResumes()
    {
        byte[] first = Bytes.Utf8("d4:code5:ab");
        var reader = new BencodeReader(first, isFinalBlock: false, default);
        Assert.That(reader.Read(), Is.True);
        Assert.That(reader.Read(), Is.True);
        Assert.That(reader.GetString(), Is.EqualTo("code"));
        Assert.That(reader.Read(), Is.False);
        Assert.That(reader.TokenType, Is.EqualTo(BencodeTokenType.None));
        Assert.That(reader.BytesConsumed, Is.EqualTo(9), "the length prefix is consumed, the payload is not");
        BencodeReaderState state = reader.CurrentState;

        var resumed = new BencodeReader(Bytes.Utf8("abcdee"), isFinalBlock: true, state);
        Assert.That(TokenDump.Read(ref resumed), Is.EqualTo("\"abcde\" }"));
        Assert.That(resumed.BytesConsumed, Is.EqualTo(6));
    }

    [Test]
    public void Read_PartialIntegerAndLength_ConsumesDigitsAsTheyArrive()
    {
        var reader = new BencodeReader(Bytes.Utf8("li-12"), isFinalBlock: false, default);
        Assert.That(reader.Read(), Is.True);
        Assert.That(reader.Read(), Is.False);
        Assert.That(reader.BytesConsumed, Is.EqualTo(5));

        var resumed = new BencodeReader(Bytes.Utf8("34e1"), isFinalBlock: false, reader.CurrentState);
        Assert.That(resumed.Read(), Is.True);
        Assert.That(resumed.GetInt64(), Is.EqualTo(-1234));
        Assert.That(resumed.Read(), Is.False);
        Assert.That(resumed.BytesConsumed, Is.EqualTo(4));

        var last = new BencodeReader(Bytes.Utf8("0:abcdefghije"), isFinalBlock: true, resumed.CurrentState);
        Assert.That(TokenDump.Read(ref last), Is.EqualTo("\"abcdefghij\" ]"));
    }

    [Test]
    public void Read_IncompleteInputNotFinal_ReturnsFalseForEveryPrefix()
    {
        byte[] data = Bytes.Utf8("d1:ald1:bi-12eee3:abc4:😀e");
        for (int length = 1; length < data.Length; length++)
        {
            var reader = new BencodeReader(data.AsSpan(0, length), isFinalBlock: false, default);
            while (reader.Read())
            {
            }

            Assert.That(reader.CurrentDepth, Is.GreaterThan(0), $"prefix of {length} is inside the dict");
        }
    }

    [Test]
    public void Read_DefaultState_ReadsWithDefaultOptions()
    {
        var reader = new BencodeReader(Bytes.Utf8("i1e"), isFinalBlock: true, default);
        Assert.That(TokenDump.Read(ref reader), Is.EqualTo("1"));
    }

    [Test]
    public void Read_DeepMixedNestingBeyond64_KeepsContainerKindsWhenResumed()
    {
        const int depth = 150;
        var input = new System.Text.StringBuilder();
        var expected = new System.Text.StringBuilder();
        for (int i = 0; i < depth; i++)
        {
            input.Append(i % 3 == 0 ? "d1:k" : "l");
            expected.Append(i % 3 == 0 ? "{ \"k\" " : "[ ");
        }

        input.Append("i1e");
        expected.Append("1 ");
        for (int i = depth - 1; i >= 0; i--)
        {
            input.Append('e');
            expected.Append(i % 3 == 0 ? "} " : "] ");
        }

        byte[] data = Bytes.Utf8(input.ToString());
        var options = new BencodeReaderOptions { MaxDepth = depth };
        int[] everyByte = Enumerable.Range(1, data.Length - 1).ToArray();
        Assert.That(TokenDump.FromChunks(data, everyByte, asSpan: true, options), Is.EqualTo(expected.ToString().TrimEnd()));
        Assert.That(TokenDump.FromSpan(data, options), Is.EqualTo(expected.ToString().TrimEnd()));
    }

    [Test]
    public void CurrentState_TakenTwice_SnapshotsDoNotShareDeepStack()
    {
        var options = new BencodeReaderOptions { MaxDepth = 100 };
        byte[] open = Bytes.Utf8(new string('l', 80) + "d");
        var reader = new BencodeReader(open, isFinalBlock: false, new BencodeReaderState(options));
        while (reader.Read())
        {
        }

        BencodeReaderState snapshot = reader.CurrentState;

        // Resume twice from the same snapshot: one closes the dict, the other must still see it.
        byte[] close = Bytes.Utf8("e" + new string('e', 80));
        var first = new BencodeReader(close, isFinalBlock: true, snapshot);
        Assert.That(first.Read(), Is.True);
        Assert.That(first.TokenType, Is.EqualTo(BencodeTokenType.EndDict));

        var second = new BencodeReader(Bytes.Utf8("1:a"), isFinalBlock: false, snapshot);
        Assert.That(second.Read(), Is.True);
        Assert.That(second.Read(), Is.False);
        Assert.That(second.CurrentDepth, Is.EqualTo(81));
    }

    [Test]
    public void GetInt64_OnStringToken_ThrowsInvalidOperation()
    {
        var reader = new BencodeReader(Bytes.Utf8("1:a"));
        reader.Read();
        bool threw = false;
        try
        {
            reader.GetInt64();
        }
        catch (InvalidOperationException)
        {
            threw = true;
        }

        Assert.That(threw, Is.True);
    }

    [Test]
    public void GetString_OnIntegerOrBeforeRead_ThrowsInvalidOperation()
    {
        var reader = new BencodeReader(Bytes.Utf8("i1e"));
        Assert.That(GetStringThrows(ref reader), Is.True, "before Read");
        reader.Read();
        Assert.That(GetStringThrows(ref reader), Is.True, "on an integer");

        static bool GetStringThrows(ref BencodeReader reader)
        {
            try
            {
                reader.GetString();
                return false;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }

    [Test]
    public void Position_SpanReader_IsDefault()
    {
        var reader = new BencodeReader(Bytes.Utf8("i1e"));
        reader.Read();
        Assert.That(reader.Position, Is.EqualTo(default(SequencePosition)));
        Assert.That(reader.BytesConsumed, Is.EqualTo(3));
    }
}
