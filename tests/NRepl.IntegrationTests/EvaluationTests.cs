using NRepl.IntegrationTests.Support;
using NRepl.Protocol.Messages;

namespace NRepl.IntegrationTests;

/// <summary>C# evaluated through the real server process over TCP, as an editor sees it.</summary>
[NonParallelizable]
public sealed class EvaluationTests
{
    private ServerProcess _server = null!;
    private NReplTestClient _client = null!;
    private string _session = "";

    [OneTimeSetUp]
    public async Task StartServer()
    {
        _server = await ServerProcess.StartAsync();
        _client = await NReplTestClient.ConnectAsync(_server.Port);
        _session = (await _client.RequestAsync(("op", "clone"))).Single().GetString("new-session")!;
        // The first eval waits for the target process and the world; later deadlines are per reply.
        await _client.RequestAsync(("op", "eval"), ("session", _session), ("code", "0"));
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    private Task<IReadOnlyList<NReplMessage>> Eval(string code, params (string Key, object? Value)[] extra) =>
        _client.RequestAsync([("op", "eval"), ("session", _session), ("code", code), .. extra]);

    private async Task<string?> Value(string code)
    {
        var replies = await Eval(code);
        var value = replies.LastOrDefault(m => m.Has("value"))?.GetString("value");
        Assert.That(value, Is.Not.Null, $"no value for `{code}`:{Environment.NewLine}{string.Join(Environment.NewLine, replies)}");
        return value;
    }

    [Test]
    public async Task Eval_RedefinitionUnderRunningLoop_NextCallsUseNewBody()
    {
        await Value("int Pulse(int v) => v;");
        await Value("""
            var pulseNew = new ManualResetEventSlim();
            var pulseRun = true;
            var pulseLoop = new Thread(() => { while (pulseRun) { if (Pulse(1) == 500) pulseNew.Set(); Thread.Sleep(1); } }) { IsBackground = true };
            pulseLoop.Start();
            """);

        var redefined = await Eval("int Pulse(int v) => v * 500;");

        Assert.That(redefined.Last().IsDone(), Is.True);
        Assert.That(await Value("pulseNew.Wait(10000)"), Is.EqualTo("true"));
        Assert.That(await Value("pulseLoop.IsAlive"), Is.EqualTo("true"), "the loop was not restarted");
        await Eval("pulseRun = false;");
    }

    [Test]
    public async Task Eval_BackgroundThreadOutput_ArrivesTaggedWithTheStartingEval()
    {
        await Value("var bgGate = new ManualResetEventSlim();");
        var starter = _client.NextId();
        await _client.RequestAsync(("op", "eval"), ("session", _session), ("id", starter),
            ("code", "new Thread(() => { bgGate.Wait(); Console.WriteLine(\"from the background\"); }).Start();"));

        await Eval("bgGate.Set();");

        await _client.WaitForAsync(m => m.Id == starter && m.GetString("out") == "from the background\n", "background output");
        var late = _client.Messages.Last(m => m.Id == starter && m.Has("out"));
        Assert.That(late.Session, Is.EqualTo(_session));
    }

    [Test]
    public async Task Eval_MultiByteOutput_ArrivesWholeAndInOrderBeforeTheValue()
    {
        var expected = string.Concat(Enumerable.Repeat("é😀ж", 3000));

        var replies = await Eval("Console.Write(string.Concat(Enumerable.Repeat(\"é😀ж\", 3000))); 7");

        var outs = replies.Where(m => m.Has("out")).Select(m => m.GetString("out")).ToList();
        Assert.That(string.Concat(outs), Is.EqualTo(expected));
        Assert.That(outs.All(o => !o!.Contains('\uFFFD')), Is.True, "no chunk was cut inside a character");
        var valueIndex = replies.ToList().FindIndex(m => m.Has("value"));
        var lastOut = replies.ToList().FindLastIndex(m => m.Has("out"));
        Assert.That(lastOut, Is.LessThan(valueIndex), "out comes before value");
    }

    [Test]
    public async Task Stdin_EmptyString_IsEndOfInput()
    {
        var id = _client.NextId();
        await _client.SendAsync(new Dictionary<string, object?> { ["op"] = "eval", ["session"] = _session, ["id"] = id, ["code"] = "Console.ReadLine() == null" });
        await _client.WaitForAsync(m => m.Id == id && m.Statuses().SequenceEqual(["need-input"]), "need-input");

        var ack = await _client.RequestAsync(("op", "stdin"), ("session", _session), ("stdin", ""));

        Assert.That(ack.Last().IsDone(), Is.True);
        var replies = await _client.UntilDoneAsync(id);
        Assert.That(replies.Single(m => m.Has("value")).GetString("value"), Is.EqualTo("true"));
    }

    [Test]
    public async Task Complete_AsCalvaSendsIt_UnsortedKeysAndTheIntegerContext()
    {
        // Calva's bytes: keys out of order, context the integer 0 (its "no context").
        var id = _client.NextId();
        var message = $"d2:op8:complete6:symbol10:Console.Wr7:contexti0e2:ns4:user7:session{_session.Length}:{_session}2:id{id.Length}:{id}e";
        await _client.SendRawAsync(System.Text.Encoding.UTF8.GetBytes(message));
        var reply = (await _client.UntilDoneAsync(id)).Single();

        Assert.That(reply.Statuses(), Is.EqualTo(new[] { "done" }));
        var completions = ((IEnumerable<object?>)reply.Fields["completions"]!).Cast<IReadOnlyDictionary<string, object?>>().ToList();
        var writeLine = completions.Single(c => (string?)(c["candidate"] as string ?? System.Text.Encoding.UTF8.GetString((byte[])c["candidate"]!)) == "WriteLine");
        Assert.That(writeLine.Keys.Order(), Is.EqualTo(new[] { "candidate", "ns", "type" }));
    }

    [Test]
    public async Task OutSubscribe_OutputOfATimerWhoseEvalEnded_ComesWithTheSubscriptionsId()
    {
        var subscribed = await _client.RequestAsync(("op", "out-subscribe"), ("session", _session));
        var subscriptionId = subscribed.Single().Id;
        Assert.That(subscribed.Single().GetString("out-subscribe"), Is.EqualTo(_session));

        await Eval("var ticker = new System.Threading.Timer(_ => Console.WriteLine(\"tick from a timer\"), null, 200, System.Threading.Timeout.Infinite);");
        await _client.WaitForAsync(m => m.Id == subscriptionId && m.GetString("out") == "tick from a timer\n", "the timer's output on the subscription");

        var unsubscribed = await _client.RequestAsync(("op", "out-unsubscribe"), ("session", _session));
        Assert.That(unsubscribed.Single().Statuses(), Is.EqualTo(new[] { "done" }));
    }

    [Test]
    public async Task Eval_CalvaAndCiderPrintOptions_NeverFailTheEval()
    {
        var options = new Dictionary<string, object?> { ["right-margin"] = 120L, ["length"] = 50L };

        var replies = await Eval("new List<int> { 1, 2, 3 }",
            ("nrepl.middleware.print/options", options),
            ("nrepl.middleware.print/print", "cider.nrepl.pprint/pprint"),
            ("nrepl.middleware.print/stream?", "1"),
            ("nrepl.middleware.print/quota", 1048576L),
            ("pprint", 1L),
            ("file", 0L), ("line", 3L), ("column", 1L));

        Assert.That(replies.Single(m => m.Has("value")).GetString("value"), Is.EqualTo("List<int>(3) { 1, 2, 3 }"));
    }

    [Test]
    public async Task Eval_RuntimeError_SendsErrThenEvalErrorWithExRootExAndNsThenDone()
    {
        var replies = await Eval("int Fails() => throw new ArgumentException(\"bad arg\"); Fails()");

        var err = replies.First(m => m.Has("err"));
        Assert.That(err.GetString("err"), Does.Contain("bad arg").And.Contain("Fails"));
        var error = replies.Single(m => m.Statuses().Contains("eval-error"));
        Assert.That(error.GetString("ex"), Is.EqualTo("System.ArgumentException"));
        Assert.That(error.GetString("root-ex"), Is.EqualTo("System.ArgumentException"));
        Assert.That(error.GetString("ns"), Is.EqualTo("user"));
        Assert.That(replies.Last().Statuses(), Is.EqualTo(new[] { "done" }));
    }

    [Test]
    public async Task Interrupt_WithoutInterruptId_StopsWhatTheSessionRuns()
    {
        var id = _client.NextId();
        await _client.SendAsync(new Dictionary<string, object?> { ["op"] = "eval", ["session"] = _session, ["id"] = id, ["code"] = "Console.WriteLine(\"go\"); while (true) { }" });
        await _client.WaitForAsync(m => m.Id == id && m.GetString("out") == "go\n", "the loop to start");

        var ack = await _client.RequestAsync(("op", "interrupt"), ("session", _session));

        Assert.That(ack.Last().Statuses(), Is.EqualTo(new[] { "done" }));
        var replies = await _client.UntilDoneAsync(id);
        Assert.That(replies.Last().Statuses(), Is.EquivalentTo(new[] { "interrupted", "done" }));
        Assert.That(await Value("1 + 1"), Is.EqualTo("2"));
    }
}
