using System.Buffers;
using NRepl.Protocol.Bencode;
using NRepl.Protocol.Tests.Support;

namespace NRepl.Protocol.Tests.Bencode;

public class BencodeWriterTests
{
    private ArrayBufferWriter<byte> _output = new();

    [SetUp]
    public void CreateOutput() => _output = new ArrayBufferWriter<byte>();

    private string Written => Bytes.Show(_output.WrittenSpan);

    [TestCase("", "0:")]
    [TestCase("spam", "4:spam")]
    [TestCase("héllo", "6:h\\xC3\\xA9llo")]
    [TestCase("😀", "4:\\xF0\\x9F\\x98\\x80")]
    [TestCase("a\r\nb", "4:a\\x0D\\x0Ab")]
    public void WriteString_Text_WritesUtf8ByteLengthPrefix(string value, string expected)
    {
        new BencodeWriter(_output).WriteString(value);
        Assert.That(Written, Is.EqualTo(expected));
    }

    [Test]
    public void WriteString_Unicode_IsExactlyTheUtf8Bytes()
    {
        new BencodeWriter(_output).WriteString("héllo");
        Assert.That(_output.WrittenSpan.ToArray(), Is.EqualTo(Bytes.Utf8("6:héllo")));
    }

    [Test]
    public void WriteString_LoneSurrogate_WritesReplacementCharacter()
    {
        // Built in code: a lone surrogate does not survive an attribute argument.
        new BencodeWriter(_output).WriteString(new string((char)0xD800, 1));
        Assert.That(Written, Is.EqualTo("3:\\xEF\\xBF\\xBD"));
    }

    [Test]
    public void WriteString_RawBytes_WritesThemUnchanged()
    {
        new BencodeWriter(_output).WriteString([0xFF, 0x00, (byte)'e']);
        Assert.That(Written, Is.EqualTo("3:\\xFF\\x00e"));
    }

    [TestCase(0L, "i0e")]
    [TestCase(42L, "i42e")]
    [TestCase(-42L, "i-42e")]
    [TestCase(long.MaxValue, "i9223372036854775807e")]
    [TestCase(long.MinValue, "i-9223372036854775808e")]
    public void WriteInteger_Value_WritesDecimal(long value, string expected)
    {
        new BencodeWriter(_output).WriteInteger(value);
        Assert.That(Written, Is.EqualTo(expected));
    }

    [Test]
    public void Write_NestedContainers_WritesExactlyWhatItIsTold()
    {
        var writer = new BencodeWriter(_output);
        writer.WriteStartDict();
        writer.WriteString("z");
        writer.WriteStartList();
        writer.WriteInteger(1);
        writer.WriteString("x");
        writer.WriteStartDict();
        writer.WriteEndDict();
        writer.WriteEndList();
        writer.WriteString("a");
        writer.WriteInteger(-1);
        Assert.That(writer.CurrentDepth, Is.EqualTo(1));
        writer.WriteEndDict();
        Assert.That(Written, Is.EqualTo("d1:zli1e1:xdee1:ai-1ee"), "keys are not sorted by the low-level writer");
        Assert.That(writer.CurrentDepth, Is.EqualTo(0));
    }

    [Test]
    public void Write_SeveralTopLevelValues_AreWrittenBackToBack()
    {
        var writer = new BencodeWriter(_output);
        writer.WriteStartDict();
        writer.WriteEndDict();
        writer.WriteInteger(7);
        Assert.That(Written, Is.EqualTo("dei7e"));
    }

    [Test]
    public void WriteInteger_AsDictKey_ThrowsInvalidOperation()
    {
        var writer = new BencodeWriter(_output);
        writer.WriteStartDict();
        Assert.Throws<InvalidOperationException>(() => writer.WriteInteger(1));
        Assert.Throws<InvalidOperationException>(() => writer.WriteStartList());
        Assert.Throws<InvalidOperationException>(() => writer.WriteStartDict());
        Assert.That(Written, Is.EqualTo("d"), "nothing written by the rejected calls");
    }

    [Test]
    public void WriteEnd_Mismatched_ThrowsInvalidOperation()
    {
        var writer = new BencodeWriter(_output);
        Assert.Throws<InvalidOperationException>(() => writer.WriteEndList(), "nothing open");
        writer.WriteStartList();
        Assert.Throws<InvalidOperationException>(() => writer.WriteEndDict(), "a list is open");
        writer.WriteStartDict();
        Assert.Throws<InvalidOperationException>(() => writer.WriteEndList(), "a dict is open");
        writer.WriteString("key");
        Assert.Throws<InvalidOperationException>(() => writer.WriteEndDict(), "the key has no value");
        Assert.That(Written, Is.EqualTo("ld3:key"));
    }

    [Test]
    public void Constructor_NullOutput_ThrowsArgumentNull() =>
        Assert.Throws<ArgumentNullException>(() => _ = new BencodeWriter(null!));

    [Test]
    public void Write_DeepNesting_TracksContainerKindsBeyond64()
    {
        var writer = new BencodeWriter(_output);
        for (int i = 0; i < 100; i++)
        {
            if (i % 2 == 0)
            {
                writer.WriteStartDict();
                writer.WriteString("k");
            }
            else
            {
                writer.WriteStartList();
            }
        }

        writer.WriteInteger(0);
        for (int i = 99; i >= 0; i--)
        {
            if (i % 2 == 0)
            {
                writer.WriteEndDict();
            }
            else
            {
                writer.WriteEndList();
            }
        }

        var options = new BencodeReaderOptions { MaxDepth = 100 };
        Assert.DoesNotThrow(() => TokenDump.FromSpan(_output.WrittenSpan.ToArray(), options));
    }
}
