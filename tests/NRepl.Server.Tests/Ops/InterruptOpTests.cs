using NRepl.Server.Tests.Support;

namespace NRepl.Server.Tests.Ops;

public sealed class InterruptOpTests
{
    [TestCase(null)]
    [TestCase("long")]
    public async Task Interrupt_RunningEval_EvalEndsInterruptedAndRequestGetsDone(string? interruptId)
    {
        using var server = ServerHarness.Create();
        server.Eval.Hold = true;
        var session = await server.CloneAsync();
        _ = server.Send(Req.Of(("op", "eval"), ("code", "while (true) {}"), ("id", "long"), ("session", session)));
        await server.Eval.NextStartedAsync();

        var reply = interruptId is null
            ? await server.RequestAsync(("op", "interrupt"), ("session", session))
            : await server.RequestAsync(("op", "interrupt"), ("session", session), ("interrupt-id", interruptId));
        var eval = await server.Channel.UntilDoneAsync("long");

        Assert.That(reply.Single().Statuses(), Is.EqualTo(new[] { "done" }));
        Assert.That(eval.Single().Statuses(), Is.EqualTo(new[] { "interrupted", "done" }));
        Assert.That(eval.Single().Str("ns"), Is.EqualTo("user"));
        Assert.That(server.Eval.Interrupts.Single(), Is.EqualTo((session, "long")));
    }

    [Test]
    public async Task Interrupt_NothingRunning_SessionIdle()
    {
        using var server = ServerHarness.Create();
        var session = await server.CloneAsync();

        var reply = (await server.RequestAsync(("op", "interrupt"), ("session", session))).Single();

        Assert.That(reply.Statuses(), Is.EquivalentTo(new[] { "session-idle", "done" }));
    }

    [Test]
    public async Task Interrupt_IdOfFinishedEval_SessionIdle()
    {
        using var server = ServerHarness.Create();
        var session = await server.CloneAsync();
        await server.RequestAsync(("op", "eval"), ("code", "1"), ("session", session));

        var reply = (await server.RequestAsync(("op", "interrupt"), ("session", session), ("interrupt-id", "1"))).Single();

        Assert.That(reply.Statuses(), Is.EquivalentTo(new[] { "session-idle", "done" }));
        Assert.That(server.Eval.Interrupts, Is.Empty);
    }

    [Test]
    public async Task Interrupt_OtherIdThanRunning_InterruptIdMismatch()
    {
        using var server = ServerHarness.Create();
        server.Eval.Hold = true;
        var session = await server.CloneAsync();
        _ = server.Send(Req.Of(("op", "eval"), ("code", "x"), ("id", "running"), ("session", session)));
        var running = await server.Eval.NextStartedAsync();

        var reply = (await server.RequestAsync(("op", "interrupt"), ("session", session), ("interrupt-id", "other"))).Single();

        Assert.That(reply.Statuses(), Is.EqualTo(new[] { "error", "interrupt-id-mismatch", "done" }));
        Assert.That(server.Eval.Interrupts, Is.Empty);
        running.Complete(new NRepl.Server.Evaluation.EvalOutcome.NoValue());
    }

    [Test]
    public async Task Interrupt_WithoutSession_SessionEphemeral()
    {
        using var server = ServerHarness.Create();

        var reply = (await server.RequestAsync(("op", "interrupt"))).Single();

        Assert.That(reply.Statuses(), Is.EqualTo(new[] { "error", "session-ephemeral", "done" }));
    }

    [Test]
    public async Task Interrupt_QueuedEvalId_RemovedFromQueueAndAnsweredInterrupted()
    {
        using var server = ServerHarness.Create();
        server.Eval.Hold = true;
        var session = await server.CloneAsync();
        _ = server.Send(Req.Of(("op", "eval"), ("code", "1"), ("id", "first"), ("session", session)));
        var first = await server.Eval.NextStartedAsync();
        _ = server.Send(Req.Of(("op", "eval"), ("code", "2"), ("id", "second"), ("session", session)));

        var reply = (await server.RequestAsync(("op", "interrupt"), ("session", session), ("interrupt-id", "second"))).Single();
        var second = await server.Channel.UntilDoneAsync("second");
        first.Complete(new NRepl.Server.Evaluation.EvalOutcome.NoValue());
        await server.Channel.UntilDoneAsync("first");

        Assert.That(reply.Statuses(), Is.EqualTo(new[] { "done" }));
        Assert.That(second.Single().Statuses(), Is.EqualTo(new[] { "interrupted", "done" }));
        Assert.That(server.Eval.Requests.Select(r => r.EvalId), Is.EqualTo(new[] { "first" }));
        Assert.That(server.Eval.HasUnclaimedStart, Is.False);
    }

    [Test]
    public async Task Interrupt_WhileEvalBlocks_IsAnsweredWithoutWaitingForTheEval()
    {
        using var server = ServerHarness.Create();
        server.Eval.Hold = true;
        server.Eval.Outcome = _ => new NRepl.Server.Evaluation.EvalOutcome.NoValue();
        var session = await server.CloneAsync();
        _ = server.Send(Req.Of(("op", "eval"), ("code", "Console.ReadLine()"), ("id", "reading"), ("session", session)));
        var reading = await server.Eval.NextStartedAsync();

        var stdin = (await server.RequestAsync(("op", "stdin"), ("stdin", "line\n"), ("session", session))).Single();

        Assert.That(stdin.Statuses(), Is.EqualTo(new[] { "done" }));
        Assert.That(server.Eval.StdinReceived.Single(), Is.EqualTo((session, "line\n")));
        reading.Complete(new NRepl.Server.Evaluation.EvalOutcome.NoValue());
    }
}
