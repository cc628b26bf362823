using NRepl.Server.Evaluation;
using NRepl.Server.Tests.Support;

namespace NRepl.Server.Tests.Ops;

public sealed class EvalOpTests
{
    [Test]
    public async Task Eval_NoCode_ErrorNoCode()
    {
        using var server = ServerHarness.Create();

        var reply = (await server.RequestAsync(("op", "eval"))).Single();

        Assert.That(reply.Statuses(), Is.EqualTo(new[] { "error", "no-code", "done" }));
    }

    [Test]
    public async Task Eval_Value_ValueWithNsThenSeparateDone()
    {
        using var server = ServerHarness.Create();
        server.Eval.Outcome = _ => new EvalOutcome.Value("58", false);

        var replies = await server.RequestAsync(("op", "eval"), ("code", "Ggg(10)"));

        Assert.That(replies, Has.Count.EqualTo(2));
        Assert.That(replies[0].Str("value"), Is.EqualTo("58"));
        Assert.That(replies[0].Str("ns"), Is.EqualTo("user"));
        Assert.That(replies[0].ContainsKey("status"), Is.False);
        Assert.That(replies[1].Statuses(), Is.EqualTo(new[] { "done" }));
    }

    [Test]
    public async Task Eval_TruncatedValue_TruncatedStatusOnValueMessage()
    {
        using var server = ServerHarness.Create();
        server.Eval.Outcome = _ => new EvalOutcome.Value("[1, 2, ...", true);

        var replies = await server.RequestAsync(("op", "eval"), ("code", "big"));

        Assert.That(replies[0].Statuses(), Is.EqualTo(new[] { "nrepl.middleware.print/truncated" }));
        Assert.That(replies[1].Statuses(), Is.EqualTo(new[] { "done" }));
    }

    [Test]
    public async Task Eval_NoValue_NsThenDone()
    {
        using var server = ServerHarness.Create();
        server.Eval.Outcome = _ => new EvalOutcome.NoValue();

        var replies = await server.RequestAsync(("op", "eval"), ("code", "int x = 1;"));

        Assert.That(replies, Has.Count.EqualTo(2));
        Assert.That(replies[0].Str("ns"), Is.EqualTo("user"));
        Assert.That(replies[0].ContainsKey("value"), Is.False);
        Assert.That(replies[1].Statuses(), Is.EqualTo(new[] { "done" }));
    }

    [Test]
    public async Task Eval_Failed_ErrThenEvalErrorWithExThenDoneWithNs()
    {
        using var server = ServerHarness.Create();
        server.Eval.Outcome = _ => new EvalOutcome.Failed("Boom", "System.InvalidOperationException", "System.ArgumentException");

        var replies = await server.RequestAsync(("op", "eval"), ("code", "throw"));

        Assert.That(replies, Has.Count.EqualTo(3));
        Assert.That(replies[0].Str("err"), Is.EqualTo("Boom\n"));
        Assert.That(replies[1].Statuses(), Is.EqualTo(new[] { "eval-error" }));
        Assert.That(replies[1].Str("ex"), Is.EqualTo("System.InvalidOperationException"));
        Assert.That(replies[1].Str("root-ex"), Is.EqualTo("System.ArgumentException"));
        Assert.That(replies[1].Str("ns"), Is.EqualTo("user"));
        Assert.That(replies[2].Statuses(), Is.EqualTo(new[] { "done" }));
        Assert.That(replies[2].Str("ns"), Is.EqualTo("user"));
    }

    [Test]
    public async Task Eval_InterruptedWithNote_ErrNoteThenInterruptedDone()
    {
        using var server = ServerHarness.Create();
        server.Eval.Outcome = _ => new EvalOutcome.Interrupted("The eval thread was abandoned.");

        var replies = await server.RequestAsync(("op", "eval"), ("code", "x"));

        Assert.That(replies[0].Str("err"), Is.EqualTo("The eval thread was abandoned.\n"));
        Assert.That(replies[1].Statuses(), Is.EqualTo(new[] { "interrupted", "done" }));
        Assert.That(replies.Count(r => r.IsDone()), Is.EqualTo(1));
    }

    [Test]
    public async Task Eval_WithNs_SessionNsChangesAndRequestCarriesIt()
    {
        using var server = ServerHarness.Create();
        var session = await server.CloneAsync();

        var replies = await server.RequestAsync(("op", "eval"), ("code", "1"), ("ns", "Game"), ("session", session));
        await server.RequestAsync(("op", "eval"), ("code", "2"), ("session", session));

        Assert.That(replies[0].Str("ns"), Is.EqualTo("Game"));
        Assert.That(server.Eval.Requests.Select(r => r.Ns), Is.EqualTo(new[] { "Game", "Game" }));
    }

    [Test]
    public async Task Eval_FileLineColumnAsStrings_PassedAsNumbers()
    {
        using var server = ServerHarness.Create();

        await server.RequestAsync(("op", "eval"), ("code", "1"), ("file", "/src/a.cs"), ("line", "12"), ("column", "5"));

        var request = server.Eval.Requests.Single();
        Assert.That((request.FilePath, request.Line, request.Column), Is.EqualTo(("/src/a.cs", 12, 5)));
        Assert.That(request.IsLoadFile, Is.False);
        Assert.That(request.RecordResult, Is.True);
    }

    [Test]
    public async Task Eval_CalvaIntegersAndZeroFile_DefaultsWhereUnknown()
    {
        using var server = ServerHarness.Create();

        var replies = await server.RequestAsync(("op", "eval"), ("code", "1"), ("file", 0), ("line", 3), ("column", 0));

        var request = server.Eval.Requests.Single();
        Assert.That((request.FilePath, request.Line, request.Column), Is.EqualTo(((string?)null, 3, 1)));
        Assert.That(request.EvalId, Is.EqualTo(replies[0].Str("id")));
    }

    [Test]
    public async Task Eval_NoEvaluatorRegistered_ErrorReplyWithDone()
    {
        using var server = ServerHarness.Create(withEvaluator: false);

        var replies = await server.RequestAsync(("op", "eval"), ("code", "1"));

        Assert.That(replies[0].Str("err"), Does.Contain("evaluator"));
        Assert.That(replies.Last().Statuses(), Is.EqualTo(new[] { "error", "eval-error", "done" }));
    }

    [Test]
    public async Task Eval_EvaluatorThrows_EvalErrorAndDone()
    {
        using var server = ServerHarness.Create();
        server.Eval.Outcome = _ => throw new InvalidOperationException("target died");

        var replies = await server.RequestAsync(("op", "eval"), ("code", "1"));

        Assert.That(replies.Single().Statuses(), Is.EqualTo(new[] { "eval-error", "error", "done" }));
        Assert.That(replies.Single().Str("message"), Is.EqualTo("target died"));
    }

    [Test]
    public async Task Eval_OutputAndNeedInput_TaggedWithEvalIdAndSessionBeforeValue()
    {
        using var server = ServerHarness.Create();
        var session = await server.CloneAsync();
        server.Eval.OnEval = request =>
        {
            server.Output.Write(request.SessionId, request.EvalId, isError: false, "out text");
            server.Output.Write(request.SessionId, request.EvalId, isError: true, "err text");
            server.Output.NeedInput(request.SessionId, request.EvalId);
        };

        var replies = await server.RequestAsync(("op", "eval"), ("code", "1"), ("session", session));

        Assert.That(replies[0].Str("out"), Is.EqualTo("out text"));
        Assert.That(replies[1].Str("err"), Is.EqualTo("err text"));
        Assert.That(replies[2]["status"], Is.EqualTo(new[] { "need-input" }));
        Assert.That(replies[3].Str("value"), Is.EqualTo("42"));
        Assert.That(replies.Select(r => r.Str("session")), Is.All.EqualTo(session));
    }

    [Test]
    public void Write_UnknownSession_Dropped()
    {
        using var server = ServerHarness.Create();

        server.Output.Write("no-such-session", "1", isError: false, "lost");

        Assert.That(server.Channel.Messages, Is.Empty);
    }
}
