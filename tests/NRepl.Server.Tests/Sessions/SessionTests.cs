using NRepl.Server.Evaluation;
using NRepl.Server.Tests.Support;

namespace NRepl.Server.Tests.Sessions;

public sealed class SessionTests
{
    [Test]
    public async Task Eval_ThreeEvalsInOneSession_RunOneAtATimeInArrivalOrder()
    {
        using var server = ServerHarness.Create();
        server.Eval.Hold = true;
        var session = await server.CloneAsync();

        foreach (var id in new[] { "a", "b", "c" })
        {
            _ = server.Send(Req.Of(("op", "eval"), ("code", id), ("id", id), ("session", session)));
        }

        foreach (var id in new[] { "a", "b", "c" })
        {
            var running = await server.Eval.NextStartedAsync();
            Assert.That(running.Request.EvalId, Is.EqualTo(id));
            Assert.That(server.Eval.HasUnclaimedStart, Is.False, "a second eval started while one was running");
            running.Complete(new EvalOutcome.Value(id, false));
            await server.Channel.UntilDoneAsync(id);
        }

        var values = server.Channel.Messages.Select(m => m.Str("value")).OfType<string>();
        Assert.That(values, Is.EqualTo(new[] { "a", "b", "c" }));
    }

    [Test]
    public async Task Eval_TwoSessions_RunConcurrently()
    {
        using var server = ServerHarness.Create();
        server.Eval.Hold = true;
        var first = await server.CloneAsync();
        var second = await server.CloneAsync();

        _ = server.Send(Req.Of(("op", "eval"), ("code", "1"), ("id", "x"), ("session", first)));
        _ = server.Send(Req.Of(("op", "eval"), ("code", "2"), ("id", "y"), ("session", second)));
        var a = await server.Eval.NextStartedAsync();
        var b = await server.Eval.NextStartedAsync();

        Assert.That(new[] { a.Request.SessionId, b.Request.SessionId }, Is.EquivalentTo(new[] { first, second }));
        a.Complete(new EvalOutcome.NoValue());
        b.Complete(new EvalOutcome.NoValue());
    }

    [Test]
    public async Task Clone_FromSessionWithNs_NewSessionHasThatNs()
    {
        using var server = ServerHarness.Create();
        var original = await server.CloneAsync();
        await server.RequestAsync(("op", "eval"), ("code", "1"), ("ns", "Shop"), ("session", original));

        var copy = await server.CloneAsync(original);

        Assert.That(copy, Is.Not.EqualTo(original));
        Assert.That(server.Sessions.TryGet(copy, out var session) ? session.Ns : null, Is.EqualTo("Shop"));
    }

    [Test]
    public async Task Clone_WithoutSession_OneReplyWithNewSessionAndDoneInUser()
    {
        using var server = ServerHarness.Create();

        var replies = await server.RequestAsync(("op", "clone"), ("client-name", "CIDER"), ("client-version", "2.1.0"));

        var reply = replies.Single();
        Assert.That(reply.Statuses(), Is.EqualTo(new[] { "done" }));
        var id = reply.Str("new-session")!;
        Assert.That(id, Does.Match("^[0-9a-f-]{36}$"));
        Assert.That(server.Sessions.TryGet(id, out var session) ? session.Ns : null, Is.EqualTo("user"));
    }

    [Test]
    public async Task LsSessions_AfterTwoClones_ListsBothOldestFirst()
    {
        using var server = ServerHarness.Create();
        var first = await server.CloneAsync();
        var second = await server.CloneAsync();

        var reply = (await server.RequestAsync(("op", "ls-sessions"))).Single();

        Assert.That(reply["sessions"], Is.EqualTo(new[] { first, second }));
    }

    [Test]
    public async Task Close_KnownSession_RepliesSessionClosedAndLaterRequestsAreUnknownSession()
    {
        using var server = ServerHarness.Create();
        var session = await server.CloneAsync();

        var closed = (await server.RequestAsync(("op", "close"), ("session", session))).Single();
        var after = (await server.RequestAsync(("op", "eval"), ("code", "1"), ("session", session))).Single();

        Assert.That(closed.Statuses(), Is.EquivalentTo(new[] { "done", "session-closed" }));
        Assert.That(closed.Str("session"), Is.EqualTo(session));
        Assert.That(after.Statuses(), Is.EqualTo(new[] { "error", "unknown-session", "done" }));
        Assert.That(server.Sessions.Sessions, Is.Empty);
    }

    [Test]
    public async Task Close_SessionWithRunningAndQueuedEvals_QueuedInterruptedRunningInterruptedEvaluatorForgets()
    {
        using var server = ServerHarness.Create();
        server.Eval.Hold = true;
        var session = await server.CloneAsync();
        _ = server.Send(Req.Of(("op", "eval"), ("code", "1"), ("id", "running"), ("session", session)));
        await server.Eval.NextStartedAsync();
        _ = server.Send(Req.Of(("op", "eval"), ("code", "2"), ("id", "queued"), ("session", session)));

        await server.RequestAsync(("op", "close"), ("session", session));
        var queued = await server.Channel.UntilDoneAsync("queued");
        var running = await server.Channel.UntilDoneAsync("running");

        Assert.That(queued.Last().Statuses(), Is.EqualTo(new[] { "interrupted", "done" }));
        Assert.That(running.Last().Statuses(), Is.EqualTo(new[] { "interrupted", "done" }));
        Assert.That(server.Eval.Requests.Select(r => r.EvalId), Is.EqualTo(new[] { "running" }));
        using var deadline = Deadline.Start();
        Assert.That(await server.Eval.FirstForgotten.WaitAsync(deadline.Token), Is.EqualTo(session));
    }

    [Test]
    public async Task Eval_WithoutSession_RunsInEphemeralSessionThatIsForgotten()
    {
        using var server = ServerHarness.Create();

        var replies = await server.RequestAsync(("op", "eval"), ("code", "1 + 1"));

        var ephemeral = replies[0].Str("session");
        Assert.That(server.Eval.Requests.Single().SessionId, Is.EqualTo(ephemeral));
        using var deadline = Deadline.Start();
        Assert.That(await server.Eval.FirstForgotten.WaitAsync(deadline.Token), Is.EqualTo(ephemeral));
        Assert.That(server.Sessions.Sessions, Is.Empty);
    }

    [Test]
    public async Task Eval_SessionUsedFromSecondConnection_OutputGoesToThatConnection()
    {
        using var server = ServerHarness.Create();
        var session = await server.CloneAsync();
        var other = new RecordingChannel();
        server.Eval.OnEval = request => server.Output.Write(request.SessionId, request.EvalId, isError: false, "hello\n");

        _ = server.Send(Req.Of(("op", "eval"), ("code", "1"), ("id", "e1"), ("session", session)), other);
        var replies = await other.UntilDoneAsync("e1");

        Assert.That(replies.First().Str("out"), Is.EqualTo("hello\n"));
        Assert.That(server.Channel.For("e1"), Is.Empty);
    }
}
