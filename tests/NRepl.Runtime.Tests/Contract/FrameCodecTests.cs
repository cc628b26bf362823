using System.Buffers.Binary;
using NRepl.Runtime.Contract;

namespace NRepl.Runtime.Tests.Contract;

[TestFixture]
public sealed class FrameCodecTests
{
    private static readonly TargetMessage[] s_messages =
    [
        new LoadWorld(1, [1, 2, 3], [4, 5]),
        new ApplyDelta(2, [1], [2, 3], [], [0x06000001, 0x06000002]),
        new StartEval(3, "session", 0x06000007, true, new PrintSettings(80, 10, 3, 1000)),
        new StartEval(14, "session", 0, false, PrintSettings.Default, new DetachedCode([0x4D, 0x5A], [], "user.__Eval", "__Eval_9", "REPL:1")),
        new Interrupt(4),
        new Stdin("session", "line\n", true),
        new ForgetSession("session"),
        new Shutdown(),
        new Ping(7),
        new Pong(7),
        new Hello(ContractVersion.Current, 1234, ".NET 10.0.0", true),
        new WorldLoaded(5, null),
        new WorldLoaded(6, "already loaded"),
        new DeltaApplied(7, null, ["init failed"]),
        new DeltaApplied(12, null, [], [new MigrationProblem("user.Mage", "OnRedefined", "MigrationHookFailed", 2, ["Mage#1: System.DivideByZeroException: boom"])]),
        new ResolveHooks(13, HookAction.Revert),
        new Output(8, "session", OutputStream.Err, "text 😀"),
        new NeedInput(9, "session"),
        new EvalCompleted(10, EvalStatus.Exception, null, null, false, "System.X", "System.Y", "System.X: boom"),
        new EvalCompleted(11, EvalStatus.Value, "42", "int", true, null, null, null),
        new Log(LogSeverity.Warning, "careful"),
    ];

    private static IEnumerable<TestCaseData> Messages() => s_messages.Select(m => new TestCaseData(m).SetArgDisplayNames(m.Kind.ToString()));

    [TestCaseSource(nameof(Messages))]
    public async Task ReadAsync_EncodedMessage_RoundTrips(TargetMessage message)
    {
        var frame = FrameCodec.Encode(message);

        var read = await new FrameReader(new MemoryStream(frame)).ReadAsync();

        Assert.That(read, Is.Not.Null);
        Assert.That(read!.GetType(), Is.EqualTo(message.GetType()));
        Assert.That(FrameCodec.Encode(read), Is.EqualTo(frame), "re-encoding the decoded message gives the same bytes");
        Assert.That(read, Is.EqualTo(message).UsingPropertiesComparer());
    }

    [TestCaseSource(nameof(Messages))]
    public void ReadFrame_EncodedMessage_HeaderIsLengthThenKind(TargetMessage message)
    {
        var frame = FrameCodec.Encode(message);

        var raw = new FrameReader(new MemoryStream(frame)).ReadFrame();

        Assert.That(BinaryPrimitives.ReadInt32LittleEndian(frame), Is.EqualTo(frame.Length - FrameCodec.HeaderSize));
        Assert.That(raw!.Value.Kind, Is.EqualTo(message.Kind));
        Assert.That(raw.Value.Payload, Has.Length.EqualTo(frame.Length - FrameCodec.HeaderSize));
    }

    [Test]
    public async Task ReadAsync_SeveralFramesThenEof_AllThenNull()
    {
        var stream = new MemoryStream(s_messages.SelectMany(FrameCodec.Encode).ToArray());
        var reader = new FrameReader(stream);

        var read = new List<TargetMessage>();
        while (await reader.ReadAsync() is { } message) read.Add(message);

        Assert.That(read.Select(m => m.Kind), Is.EqualTo(s_messages.Select(m => m.Kind)));
    }

    [Test]
    public void ReadFrameAsync_LengthAboveLimit_InvalidData()
    {
        var frame = FrameCodec.Encode(new Output(1, "s", OutputStream.Out, new string('x', 100)));

        Assert.ThrowsAsync<InvalidDataException>(async () => await new FrameReader(new MemoryStream(frame), maxPayload: 50).ReadFrameAsync());
    }

    [Test]
    public void ReadFrameAsync_NegativeLength_InvalidData()
    {
        var frame = new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, (byte)MessageKind.Shutdown };

        Assert.ThrowsAsync<InvalidDataException>(async () => await new FrameReader(new MemoryStream(frame)).ReadFrameAsync());
    }

    [Test]
    public void ReadFrameAsync_HugeLengthWithDefaultLimit_InvalidDataWithoutAllocating()
    {
        var frame = new byte[] { 0x00, 0x00, 0x00, 0x7F, (byte)MessageKind.LoadWorld };

        Assert.ThrowsAsync<InvalidDataException>(async () => await new FrameReader(new MemoryStream(frame)).ReadFrameAsync());
    }

    [Test]
    public void Encode_PayloadAboveLimit_InvalidDataAndStreamUnchanged()
    {
        using var buffer = new MemoryStream();
        FrameCodec.Encode(new Interrupt(1), buffer);
        var before = buffer.ToArray();

        Assert.Throws<InvalidDataException>(() => FrameCodec.Encode(new LoadWorld(1, new byte[100], []), buffer, maxPayload: 10));
        Assert.That(buffer.ToArray(), Is.EqualTo(before));
    }

    [Test]
    public void ReadFrameAsync_StreamEndsInsidePayload_EndOfStream()
    {
        var frame = FrameCodec.Encode(new Stdin("s", "hello", false));

        Assert.ThrowsAsync<EndOfStreamException>(async () => await new FrameReader(new MemoryStream(frame[..^2])).ReadFrameAsync());
    }

    [Test]
    public void ReadFrameAsync_StreamEndsInsideHeader_EndOfStream() =>
        Assert.ThrowsAsync<EndOfStreamException>(async () => await new FrameReader(new MemoryStream([1, 0])).ReadFrameAsync());

    [Test]
    public void Deserialize_UnknownKind_InvalidData() =>
        Assert.Throws<InvalidDataException>(() => MessageSerializer.Deserialize((MessageKind)200, []));

    [Test]
    public void Deserialize_TruncatedPayload_InvalidData() =>
        Assert.Throws<InvalidDataException>(() => MessageSerializer.Deserialize(MessageKind.Interrupt, [1, 2]));

    [Test]
    public async Task FrameWriter_ManyThreadsPosting_EveryFrameWholeAndPerThreadOrderKept()
    {
        var pipe = new System.IO.Pipelines.Pipe();
        var stream = pipe.Writer.AsStream();
        using var writer = new FrameWriter(stream, "test writer");
        const int threads = 4, perThread = 500;

        var posters = Enumerable.Range(0, threads).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < perThread; i++) writer.Post(new Output(t, "s", OutputStream.Out, i.ToString()));
        })).ToArray();
        await Task.WhenAll(posters);
        writer.Complete();
        await writer.Finished;
        await pipe.Writer.CompleteAsync();

        var reader = new FrameReader(pipe.Reader.AsStream());
        var seen = new List<Output>();
        while (await reader.ReadAsync() is Output output) seen.Add(output);
        Assert.That(seen, Has.Count.EqualTo(threads * perThread));
        foreach (var group in seen.GroupBy(o => o.EvalId))
        {
            Assert.That(group.Select(o => int.Parse(o.Text)), Is.EqualTo(Enumerable.Range(0, perThread)));
        }
    }
}
