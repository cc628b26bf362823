using System.Text;
using NRepl.IntegrationTests.Support;

namespace NRepl.IntegrationTests;

/// <summary>Sessions, describe, errors and framing against one real server shared by the tests of this class.</summary>
public sealed class ProtocolTests
{
    private ServerProcess _server = null!;

    [OneTimeSetUp]
    public async Task StartServer() => _server = await ServerProcess.StartAsync();

    [OneTimeTearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task Describe_NoSession_OneMessageWithOpsDictVersionsWithoutClojureAndAux()
    {
        await using var client = await NReplTestClient.ConnectAsync(_server.Port);

        var reply = (await client.RequestAsync(("op", "describe"))).Single();

        Assert.That(reply.Statuses(), Is.EqualTo(new[] { "done" }));
        Assert.That(reply.GetDict("ops")!.Keys, Is.SupersetOf(new[] { "clone", "close", "describe", "eval", "interrupt", "load-file", "ls-sessions", "stdin" }));
        Assert.That(reply.GetDict("ops")!.Values, Has.All.InstanceOf<IReadOnlyDictionary<string, object>>());
        var versions = reply.GetDict("versions")!;
        Assert.That(versions.Keys, Does.Not.Contain("clojure"));
        Assert.That(versions.Keys, Is.SupersetOf(new[] { "nrepl", "dotnet", "csharp" }));
        Assert.That(((IReadOnlyDictionary<string, object>)reply.GetDict("aux")!)["current-ns"], Is.EqualTo("user"));
        Assert.That(reply.Session, Is.Not.Empty);
    }

    [Test]
    public async Task Sessions_CloneLsClose_LifecycleAcrossConnections()
    {
        await using var first = await NReplTestClient.ConnectAsync(_server.Port);
        await using var second = await NReplTestClient.ConnectAsync(_server.Port);

        var session = (await first.RequestAsync(("op", "clone"))).Single().GetString("new-session")!;
        var listed = (await second.RequestAsync(("op", "ls-sessions"))).Single().GetList("sessions");
        var closed = (await second.RequestAsync(("op", "close"), ("session", session))).Single();
        var listedAfter = (await first.RequestAsync(("op", "ls-sessions"))).Single().GetList("sessions");

        Assert.That(listed, Does.Contain(session));
        Assert.That(closed.Statuses(), Is.EquivalentTo(new[] { "done", "session-closed" }));
        Assert.That(listedAfter, Does.Not.Contain(session));
    }

    [Test]
    public async Task UnknownOp_Request_ErrorUnknownOpDoneWithOp()
    {
        await using var client = await NReplTestClient.ConnectAsync(_server.Port);

        var reply = (await client.RequestAsync(("op", "cider/info"))).Single();

        Assert.That(reply.Statuses(), Is.EqualTo(new[] { "error", "unknown-op", "done" }));
        Assert.That(reply.GetString("op"), Is.EqualTo("cider/info"));
    }

    [Test]
    public async Task UnknownSession_Eval_ErrorUnknownSessionDone()
    {
        await using var client = await NReplTestClient.ConnectAsync(_server.Port);

        var reply = (await client.RequestAsync(("op", "eval"), ("code", "1"), ("session", "00000000-0000-0000-0000-000000000000"))).Single();

        Assert.That(reply.Statuses(), Is.EqualTo(new[] { "error", "unknown-session", "done" }));
    }

    [Test]
    public async Task CalvaBootstrap_NsProbeCloneDescribeVerbose_EachAnsweredAsCalvaNeeds()
    {
        await using var client = await NReplTestClient.ConnectAsync(_server.Port);

        // Calva: eval *ns* with no session, waits for done; then clone; then describe verbose on the new session.
        var nsReplies = await client.RequestAsync(("op", "eval"), ("code", "*ns*"), ("id", "1"));
        var clone = await client.RequestAsync(("op", "clone"), ("id", "2"));
        var session = clone.Single().GetString("new-session")!;
        var describe = await client.RequestAsync(("op", "describe"), ("id", "3"), ("verbose", 1L), ("session", session));

        Assert.That(nsReplies[0].GetString("value"), Is.EqualTo("user"));
        Assert.That(nsReplies[0].GetString("ns"), Is.EqualTo("user"));
        Assert.That(nsReplies.Last().IsDone(), Is.True);
        Assert.That(clone, Has.Count.EqualTo(1), "Calva makes a session of every message with the clone's id");
        Assert.That(clone.Single().IsDone(), Is.True);
        var first = describe.First();
        Assert.That(first.GetDict("ops"), Is.Not.Null, "Calva keeps the first describe reply");
        var eval = (IReadOnlyDictionary<string, object>)first.GetDict("ops")!["eval"];
        Assert.That(eval["doc"], Is.Not.Empty);
        Assert.That(describe.Select(m => m.Session), Is.All.EqualTo(session));
    }

    [Test]
    public async Task CiderConnect_ClonesDescribeInitAndErrorProbes_AllAnsweredWithoutEvaluator()
    {
        await using var client = await NReplTestClient.ConnectAsync(_server.Port);
        var main = (await client.RequestAsync(("op", "clone"), ("client-name", "CIDER"), ("client-version", "2.1.0-snapshot"))).Single().GetString("new-session")!;
        var tooling = (await client.RequestAsync(("op", "clone"), ("client-name", "CIDER"), ("client-version", "2.1.0-snapshot"))).Single().GetString("new-session")!;
        var describe = (await client.RequestAsync(("op", "describe"), ("session", main))).Single();

        var init = await client.RequestAsync(
            ("op", "eval"), ("session", main),
            ("code", "(when-let [requires (resolve 'clojure.main/repl-requires)]\n  (clojure.core/apply clojure.core/require @requires))"),
            ("file", "*cider-repl csharp:localhost:1234(clj)*"), ("line", 1L), ("column", 1L),
            ("inhibit-cider-middleware", "true"), ("nrepl.middleware.print/stream?", "1"),
            ("nrepl.middleware.print/print", "cider.nrepl.pprint/clojure-pprint"),
            ("nrepl.middleware.print/quota", 1048576L), ("nrepl.middleware.print/buffer-size", 4096L),
            ("nrepl.middleware.print/options", new Dictionary<string, object?> { ["right-margin"] = 70L }),
            ("content-type", "true"));
        var nil = await client.RequestAsync(("op", "eval"), ("session", main), ("code", "nil"));
        var require = await client.RequestAsync(("op", "eval"), ("session", tooling), ("code", "(require 'clojure.stacktrace)"));
        var trace = await client.RequestAsync(("op", "eval"), ("session", main), ("code", "(clojure.stacktrace/print-cause-trace *e)"));
        var exData = await client.RequestAsync(("op", "eval"), ("session", main), ("code", "(println (ex-data *e))"));

        Assert.That(main, Is.Not.EqualTo(tooling));
        Assert.That(describe.GetDict("versions")!.Keys, Does.Not.Contain("clojure"));
        Assert.That(init[0].GetString("value"), Is.EqualTo("nil"));
        Assert.That(init[0].GetString("ns"), Is.EqualTo("user"));
        Assert.That(init.Last().Statuses(), Is.EqualTo(new[] { "done" }));
        Assert.That(nil[0].GetString("value"), Is.EqualTo("nil"));
        Assert.That(require[0].GetString("value"), Is.EqualTo("nil"));
        Assert.That(trace.Last().Statuses(), Is.EqualTo(new[] { "done" }));
        Assert.That(exData[0].GetString("out"), Is.EqualTo("nil\n"));
        Assert.That(new[] { init, nil, require, trace, exData }.SelectMany(r => r).SelectMany(m => m.Statuses()), Does.Not.Contain("eval-error"));
    }

    [Test]
    public async Task HugeLengthPrefix_TenGigabyteString_ErrorThenCloseWhileOtherConnectionWorks()
    {
        await using var other = await NReplTestClient.ConnectAsync(_server.Port);
        await using var attacker = await NReplTestClient.ConnectAsync(_server.Port);

        await attacker.SendRawAsync(Encoding.ASCII.GetBytes("d4:code10000000000:"));
        await attacker.WaitForCloseAsync();
        var describe = await other.RequestAsync(("op", "describe"));

        var error = attacker.Messages.Single();
        Assert.That(error.Statuses(), Is.EqualTo(new[] { "error", "done" }));
        Assert.That(error.GetString("err"), Is.Not.Empty);
        Assert.That(error.Has("id") || error.Has("session"), Is.False);
        Assert.That(describe.Single().IsDone(), Is.True);
    }

    [TestCase("x")]
    [TestCase("li1ee")]
    [TestCase("d2:op8:describe3:idi1x")]
    public async Task MalformedBencode_Sent_OnlyThatConnectionClosed(string junk)
    {
        await using var other = await NReplTestClient.ConnectAsync(_server.Port);
        await using var broken = await NReplTestClient.ConnectAsync(_server.Port);
        var before = await broken.RequestAsync(("op", "describe"));

        await broken.SendRawAsync(Encoding.ASCII.GetBytes(junk));
        await broken.WaitForCloseAsync();
        var after = await other.RequestAsync(("op", "describe"));

        Assert.That(before.Single().IsDone(), Is.True);
        Assert.That(broken.Messages.Last().Statuses(), Is.EqualTo(new[] { "error", "done" }));
        Assert.That(after.Single().IsDone(), Is.True);
    }

    [Test]
    public async Task Eval_WithoutEvaluator_ErrorAndDoneWithSession()
    {
        await using var client = await NReplTestClient.ConnectAsync(_server.Port);
        var session = (await client.RequestAsync(("op", "clone"))).Single().GetString("new-session")!;

        var replies = await client.RequestAsync(("op", "eval"), ("code", "1 + 1"), ("session", session));

        Assert.That(replies.Last().Statuses(), Does.Contain("done"));
        Assert.That(replies.Select(r => r.Session), Is.All.EqualTo(session));
    }

    [Test]
    public async Task Interrupt_IdleSession_SessionIdle()
    {
        await using var client = await NReplTestClient.ConnectAsync(_server.Port);
        var session = (await client.RequestAsync(("op", "clone"))).Single().GetString("new-session")!;

        var reply = (await client.RequestAsync(("op", "interrupt"), ("session", session), ("interrupt-id", "42"))).Single();

        Assert.That(reply.Statuses(), Is.EquivalentTo(new[] { "done", "session-idle" }));
    }
}
