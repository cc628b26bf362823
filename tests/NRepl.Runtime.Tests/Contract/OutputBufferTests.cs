using System.Threading.Channels;
using NRepl.Runtime.Contract;
using NRepl.Runtime.IO;

namespace NRepl.Runtime.Tests.Contract;

[TestFixture]
public sealed class OutputBufferTests
{
    private List<Output> _posted = null!;
    private Channel<Output> _live = null!;
    private OutputBuffer _buffer = null!;

    [SetUp]
    public void SetUp()
    {
        // Locals, so a deadline timer of an earlier test's buffer cannot post into this test's lists.
        var posted = _posted = [];
        var live = _live = Channel.CreateUnbounded<Output>();
        _buffer = new OutputBuffer(1, "s", OutputStream.Out, m =>
        {
            lock (posted) posted.Add((Output)m);
            live.Writer.TryWrite((Output)m);
        });
    }

    private List<string> Texts()
    {
        lock (_posted) return _posted.Select(o => o.Text).ToList();
    }

    [Test]
    public void Write_CompleteLine_SentAtOnce()
    {
        _buffer.Write("hello\nwor");

        Assert.That(Texts(), Is.EqualTo(new[] { "hello\n" }));
    }

    [Test]
    public void Flush_PartialLine_Sent()
    {
        _buffer.Write("prompt> ");

        _buffer.Flush();

        Assert.That(Texts(), Is.EqualTo(new[] { "prompt> " }));
    }

    [Test]
    public async Task Write_PartialLine_SentAfterDeadline()
    {
        _buffer.Write("partial");

        var output = await _live.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(output.Text, Is.EqualTo("partial"));
    }

    [Test]
    public void Write_LongTextWithoutNewline_CutEvery1024()
    {
        _buffer.Write(new string('x', 2500));

        Assert.That(Texts().Select(t => t.Length), Is.EqualTo(new[] { 1024, 1024 }));
        _buffer.Flush();
        Assert.That(Texts().Select(t => t.Length), Is.EqualTo(new[] { 1024, 1024, 452 }));
    }

    [Test]
    public void Write_SurrogatePairAtChunkBoundary_NotSplit()
    {
        _buffer.Write(new string('x', 1023) + "😀" + "tail");
        _buffer.Flush();

        var texts = Texts();
        Assert.That(string.Concat(texts), Is.EqualTo(new string('x', 1023) + "😀tail"));
        Assert.That(texts.All(t => t.Length == 0 || !char.IsHighSurrogate(t[^1])), Is.True);
        Assert.That(texts.All(t => t.Length == 0 || !char.IsLowSurrogate(t[0])), Is.True);
    }

    [Test]
    public void Write_HighSurrogateAlone_HeldUntilPairArrives()
    {
        _buffer.Write("a\uD83D");
        _buffer.Flush();
        _buffer.Write("\uDE00b");
        _buffer.Flush();

        Assert.That(Texts(), Is.EqualTo(new[] { "a", "😀b" }));
    }

    [Test]
    public void Write_ManyLinesInOneCall_OneMessageUpToLastNewline()
    {
        _buffer.Write("a\nb\nc");

        Assert.That(Texts(), Is.EqualTo(new[] { "a\nb\n" }));
    }

    [Test]
    public async Task Write_ConcurrentWriters_NothingLostOrReordered()
    {
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 1000; i++) _buffer.Write($"{w}:{i}\n");
        })).ToArray();
        await Task.WhenAll(writers);
        _buffer.Flush();

        var lines = string.Concat(Texts()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(4000));
        foreach (var group in lines.GroupBy(l => l.Split(':')[0]))
        {
            Assert.That(group.Select(l => int.Parse(l.Split(':')[1])), Is.EqualTo(Enumerable.Range(0, 1000)));
        }
    }
}
