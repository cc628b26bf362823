using NRepl.Protocol.Messages;
using NRepl.Protocol.Tests.Support;

namespace NRepl.Protocol.Tests.Messages;

/// <summary>What CIDER and Calva really send, checked through the message getters.</summary>
public partial class NReplMessageReaderTests
{
    [Test]
    public void TryParseMessage_CalvaUnsortedWithIntegerBooleans_IsReadThroughGetters()
    {
        // Calva does not sort keys and sends true/false/null as i1e/i0e/i0e.
        byte[] data = Bytes.Utf8("d2:op4:eval4:code3:1+17:session3:abc2:id1:99:file-namei0e7:contexti0e6:pprinti1ee");
        foreach ((string name, int[] splits) in PipeLoop.Chunkings(data.Length, includePairs: false))
        {
            NReplMessage message = PipeLoop.ParseAll(data, splits).Single();
            Assert.That(message.Op, Is.EqualTo("eval"), name);
            Assert.That(message.Session, Is.EqualTo("abc"), name);
            Assert.That(message.Id, Is.EqualTo("9"), name);
            Assert.That(message.GetBool("pprint"), Is.True, name);
            Assert.That(message.GetBool("file-name"), Is.False, name);
            Assert.That(message.GetBool("context"), Is.False, name);
            Assert.That(message.GetInt("file-name"), Is.EqualTo(0), name);
        }
    }

    [Test]
    public void TryParseMessage_CiderNilAndDuplicateKeys_AreReadThroughGetters()
    {
        // CIDER writes nil as "le", booleans as strings, and can repeat a key (last one wins).
        byte[] data = Bytes.Utf8("d4:code3:1+12:id2:5228:nrepl.middleware.print/print4:a/pp28:nrepl.middleware.print/print4:b/pp2:op4:eval11:ns-fallbackle7:verbose4:truee");
        foreach ((string name, int[] splits) in PipeLoop.Chunkings(data.Length, includePairs: false))
        {
            NReplMessage message = PipeLoop.ParseAll(data, splits).Single();
            Assert.That(message.Id, Is.EqualTo("52"), name);
            Assert.That(message.GetString("nrepl.middleware.print/print"), Is.EqualTo("b/pp"), name);
            Assert.That(message.Has("ns-fallback"), Is.True, name);
            Assert.That(message.GetString("ns-fallback"), Is.Null, name);
            Assert.That(message.GetBool("ns-fallback"), Is.False, name);
            Assert.That(message.GetList("ns-fallback"), Is.Empty, name);
            Assert.That(message.GetBool("verbose"), Is.True, name);
        }
    }

    [Test]
    public void TryParseMessage_IntegerIdAndLeadingZeros_AreAccepted()
    {
        NReplMessage message = PipeLoop.ParseAll(Bytes.Utf8("d2:idi007e4:linei-0ee"), []).Single();
        Assert.That(message.Id, Is.EqualTo("7"));
        Assert.That(message.GetInt("line"), Is.EqualTo(0));
    }

    [Test]
    public void TryParseMessage_NestedValues_AreListsAndDicts()
    {
        NReplMessage message = PipeLoop.ParseAll(Bytes.Utf8("d7:optionsd5:depthi3ee6:statusl4:doneee"), []).Single();
        Assert.That(message.GetDict("options")!["depth"], Is.EqualTo(3L));
        Assert.That(message.GetList("status"), Is.EqualTo(new object[] { "done" }));
    }
}
