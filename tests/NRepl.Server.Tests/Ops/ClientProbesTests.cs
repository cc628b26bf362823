using NRepl.Server.Evaluation;
using NRepl.Server.Ops;
using NRepl.Server.Tests.Support;

namespace NRepl.Server.Tests.Ops;

public sealed class ClientProbesTests
{
    private const string CiderInit = "(when-let [requires (resolve 'clojure.main/repl-requires)]\n  (clojure.core/apply clojure.core/require @requires))";
    private const string CalvaInit = "(when-let [requires (resolve 'clojure.main/repl-requires)] (clojure.core/apply clojure.core/require @requires))";

    [TestCase(CiderInit)]
    [TestCase(CalvaInit)]
    [TestCase("nil")]
    [TestCase("(require 'clojure.stacktrace)")]
    public void Match_NilProbes_AnswerNil(string code) =>
        Assert.That(ClientProbes.Match(code), Is.EqualTo(ClientProbes.Answer.Nil));

    [TestCase("null")]
    [TestCase("(when-let [x 1] x)")]
    [TestCase("var ns = \"*ns*\";")]
    public void Match_OrdinaryCode_IsNoProbe(string code) =>
        Assert.That(ClientProbes.Match(code), Is.Null);

    [Test]
    public async Task Eval_CalvaNsProbeWithoutSession_ValueIsNsAndEvaluatorNotCalled()
    {
        using var server = ServerHarness.Create();

        var replies = await server.RequestAsync(("op", "eval"), ("code", "*ns*"));

        Assert.That(replies[0].Str("value"), Is.EqualTo("user"));
        Assert.That(replies[0].Str("ns"), Is.EqualTo("user"));
        Assert.That(replies[1].Statuses(), Is.EqualTo(new[] { "done" }));
        Assert.That(replies, Has.Count.EqualTo(2));
        Assert.That(server.Eval.Requests, Is.Empty);
    }

    [TestCase(CiderInit)]
    [TestCase(CalvaInit)]
    [TestCase("nil")]
    public async Task Eval_InitProbe_ValueNilThenDone(string code)
    {
        using var server = ServerHarness.Create();
        var session = await server.CloneAsync();

        var replies = await server.RequestAsync(("op", "eval"), ("code", code), ("session", session),
            ("nrepl.middleware.print/print", "cider.nrepl.pprint/clojure-pprint"), ("content-type", "true"));

        Assert.That(replies[0].Str("value"), Is.EqualTo("nil"));
        Assert.That(replies[0].Str("ns"), Is.EqualTo("user"));
        Assert.That(replies[1].Statuses(), Is.EqualTo(new[] { "done" }));
        Assert.That(server.Eval.Requests, Is.Empty);
    }

    [Test]
    public async Task Eval_PrintCauseTraceAfterFailure_OutIsLastErrorTextAndErrorKept()
    {
        using var server = ServerHarness.Create();
        server.Eval.Outcome = _ => new EvalOutcome.Failed("(1,1): error CS0103: The name 'x' does not exist", "CompilationError", "CompilationError");
        var session = await server.CloneAsync();
        await server.RequestAsync(("op", "eval"), ("code", "x"), ("session", session));

        var first = await server.RequestAsync(("op", "eval"), ("code", "(clojure.stacktrace/print-cause-trace *e)"), ("session", session));
        var second = await server.RequestAsync(("op", "eval"), ("code", "(clojure.stacktrace/print-cause-trace *e)"), ("session", session));

        Assert.That(first[0].Str("out"), Is.EqualTo("(1,1): error CS0103: The name 'x' does not exist\n"));
        Assert.That(first.Last().Statuses(), Is.EqualTo(new[] { "done" }));
        Assert.That(second[0].Str("out"), Is.EqualTo(first[0].Str("out")));
        Assert.That(server.Eval.Requests, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Eval_PrintCauseTraceWithoutError_OnlyDone()
    {
        using var server = ServerHarness.Create();
        var session = await server.CloneAsync();

        var replies = await server.RequestAsync(("op", "eval"), ("code", "(clojure.stacktrace/print-cause-trace *e)"), ("session", session));

        Assert.That(replies.Single().Statuses(), Is.EqualTo(new[] { "done" }));
    }

    [Test]
    public async Task Eval_ExDataProbe_OutNilLineThenDone()
    {
        using var server = ServerHarness.Create();
        var session = await server.CloneAsync();

        var replies = await server.RequestAsync(("op", "eval"), ("code", "(println (ex-data *e))"), ("session", session));

        Assert.That(replies[0].Str("out"), Is.EqualTo("nil\n"));
        Assert.That(replies[1].Statuses(), Is.EqualTo(new[] { "done" }));
        Assert.That(server.Eval.Requests, Is.Empty);
    }

    [Test]
    public async Task Eval_ProbeWithoutEvaluator_StillAnswered()
    {
        using var server = ServerHarness.Create(withEvaluator: false);

        var replies = await server.RequestAsync(("op", "eval"), ("code", "*ns*"));

        Assert.That(replies[0].Str("value"), Is.EqualTo("user"));
    }
}
