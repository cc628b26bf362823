using Microsoft.Extensions.DependencyInjection;
using NRepl.Server.Hosting;
using NRepl.Server.Tests.Support;

namespace NRepl.Server.Tests.Ops;

/// <summary>The per-connection session limit and the per-eval output limit: a clear error or the truncated status, never unbounded growth.</summary>
public sealed class LimitsTests
{
    [Test]
    public async Task Clone_PastTheSessionsPerConnectionLimit_ErrorTooManySessions_OtherConnectionsUnaffected()
    {
        using var server = ServerHarness.Create(configure: s => s.Configure<NReplOptions>(o => o.Limits.MaxSessionsPerConnection = 2));

        await server.CloneAsync();
        await server.CloneAsync();
        var refused = (await server.RequestAsync(("op", "clone"))).Single();

        Assert.That(refused.Statuses(), Is.EquivalentTo(new[] { "error", "too-many-sessions", "done" }));
        Assert.That(refused.Str("err"), Does.Contain("MaxSessionsPerConnection"));
        Assert.That(refused.ContainsKey("new-session"), Is.False);

        var other = new RecordingChannel();
        _ = server.Send(Req.Of(("op", "clone"), ("id", "other-1")), other);
        Assert.That((await other.UntilDoneAsync("other-1")).Single().Str("new-session"), Is.Not.Null, "the limit is per connection");
    }

    [Test]
    public async Task EvalOutput_PastTheLimit_OneTruncatedMessageThenNothing()
    {
        using var server = ServerHarness.Create(configure: s => s.Configure<NReplOptions>(o => o.Limits.MaxOutputCharsPerEval = 10));
        var session = await server.CloneAsync();
        _ = await server.RequestAsync(("op", "eval"), ("session", session), ("code", "1")); // the session's connection is now the harness channel

        server.Output.Write(session, "e-1", false, "0123456789");
        server.Output.Write(session, "e-1", false, "more");
        server.Output.Write(session, "e-1", false, "and more");
        server.Output.Write(session, "e-2", false, "another eval");

        var ofFirst = server.Channel.Messages.Where(m => m.Str("id") == "e-1").ToList();
        Assert.That(ofFirst.Select(m => m.Str("out")).OfType<string>(), Is.EqualTo(new[] { "0123456789" }));
        Assert.That(ofFirst.Count(m => m.Statuses().Contains("nrepl.middleware.print/truncated")), Is.EqualTo(1));
        Assert.That(ofFirst.Single(m => m.Statuses().Length > 0).Str("err"), Does.Contain("output truncated"));
        Assert.That(server.Channel.Messages.Where(m => m.Str("id") == "e-2").Select(m => m.Str("out")).OfType<string>(), Is.Empty,
            "the second eval's first write is already past 10 characters");
    }

    [Test]
    public async Task Stdin_NoEvalReadsIt_RefusedPastTheLimitUntilAnEvalAsksForInput()
    {
        using var server = ServerHarness.Create(configure: s => s.Configure<NReplOptions>(o => o.Limits.MaxPendingStdinChars = 10));
        var session = await server.CloneAsync();

        var first = (await server.RequestAsync(("op", "stdin"), ("session", session), ("stdin", "12345"))).Single();
        var second = (await server.RequestAsync(("op", "stdin"), ("session", session), ("stdin", "67890"))).Single();
        var refused = (await server.RequestAsync(("op", "stdin"), ("session", session), ("stdin", "x"))).Single();
        server.Output.NeedInput(session, "e-1"); // an eval read it all and asks for more
        var afterAsk = (await server.RequestAsync(("op", "stdin"), ("session", session), ("stdin", "abc"))).Single();

        Assert.That((first.Statuses(), second.Statuses()), Is.EqualTo((new[] { "done" }, new[] { "done" })));
        Assert.That(refused.Statuses(), Is.EquivalentTo(new[] { "error", "too-much-stdin", "done" }));
        Assert.That(afterAsk.Statuses(), Is.EqualTo(new[] { "done" }));
        Assert.That(server.Eval.StdinReceived.Select(s => s.Text), Is.EqualTo(new[] { "12345", "67890", "abc" }));
    }
}
