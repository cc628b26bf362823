using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using NRepl.Server.Dispatch;
using NRepl.Server.Hosting;
using NRepl.Server.Sessions;
using NRepl.Server.Tests.Support;

namespace NRepl.Server.Tests.Dispatch;

public sealed class OpDispatcherTests
{
    [Test]
    public async Task DispatchAsync_UnknownOp_RepliesErrorUnknownOpWithOpName()
    {
        using var server = ServerHarness.Create();

        var replies = await server.RequestAsync(("op", "version"));

        var reply = replies.Single();
        Assert.That(reply.Statuses(), Is.EqualTo(new[] { "error", "unknown-op", "done" }));
        Assert.That(reply.Str("op"), Is.EqualTo("version"));
    }

    [Test]
    public async Task DispatchAsync_UnknownSession_RepliesErrorUnknownSessionEchoingIt()
    {
        using var server = ServerHarness.Create();

        var replies = await server.RequestAsync(("op", "describe"), ("session", "no-such-session"));

        var reply = replies.Single();
        Assert.That(reply.Statuses(), Is.EqualTo(new[] { "error", "unknown-session", "done" }));
        Assert.That(reply.Str("session"), Is.EqualTo("no-such-session"));
    }

    [Test]
    public async Task DispatchAsync_HandlerThrows_RepliesOpErrorWithMessageAndOneDone()
    {
        using var server = ServerHarness.Create(configure: s => s.AddOpHandler<ThrowingOp>());

        var replies = await server.RequestAsync(("op", "boom"));

        var reply = replies.Single();
        Assert.That(reply.Statuses(), Is.EqualTo(new[] { "boom-error", "error", "done" }));
        Assert.That(reply.Str("message"), Is.EqualTo("kaput"));
    }

    [Test]
    public async Task DispatchAsync_HandlerThrowsAfterDone_SendsNoSecondDone()
    {
        using var server = ServerHarness.Create(configure: s => s.AddOpHandler<DoneThenThrowOp>());
        var id = server.NextId();

        await server.Send(Req.Of(("op", "done-then-throw"), ("id", id)));

        Assert.That(server.Channel.For(id).Count(r => r.IsDone()), Is.EqualTo(1));
    }

    [Test]
    public async Task DispatchAsync_HandlerReturnsWithoutDone_DispatcherSendsDone()
    {
        using var server = ServerHarness.Create(configure: s => s.AddOpHandler<SilentOp>());

        var replies = await server.RequestAsync(("op", "silent"));

        Assert.That(replies.Single().Statuses(), Is.EqualTo(new[] { "done" }));
    }

    [Test]
    public async Task DispatchAsync_HandlerSendsDoneTwice_OnlyOneDoneGoesOut()
    {
        using var server = ServerHarness.Create(configure: s => s.AddOpHandler<DoubleDoneOp>());
        var id = server.NextId();

        await server.Send(Req.Of(("op", "double-done"), ("id", id)));

        Assert.That(server.Channel.For(id).Count(r => r.IsDone()), Is.EqualTo(1));
    }

    [Test]
    public async Task DispatchAsync_RequestWithIdAndSession_EveryReplyEchoesBoth()
    {
        using var server = ServerHarness.Create();
        var session = await server.CloneAsync();

        var replies = await server.RequestAsync(("op", "eval"), ("code", "x"), ("session", session));

        Assert.That(replies, Has.Count.GreaterThan(1));
        Assert.That(replies.Select(r => r.Str("session")), Is.All.EqualTo(session));
    }

    [Test]
    public async Task DispatchAsync_RequestWithoutId_RepliesCarryNoId()
    {
        using var server = ServerHarness.Create();

        await server.Send(Req.Of(("op", "describe")));

        var reply = server.Channel.Messages.Single();
        Assert.That(reply.ContainsKey("id"), Is.False);
        Assert.That(reply.IsDone(), Is.True);
    }

    [Test]
    public async Task DispatchAsync_NoSession_EchoesFreshEphemeralSessionNotListed()
    {
        using var server = ServerHarness.Create();

        var first = (await server.RequestAsync(("op", "describe"))).Single().Str("session");
        var second = (await server.RequestAsync(("op", "describe"))).Single().Str("session");

        Assert.That(first, Does.Match("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"));
        Assert.That(second, Is.Not.EqualTo(first));
        Assert.That(server.Sessions.Sessions, Is.Empty);
    }

    [Test]
    public async Task DispatchAsync_SessionGivenAsIntegerZero_TreatedAsNoSession()
    {
        using var server = ServerHarness.Create();

        var replies = await server.RequestAsync(("op", "describe"), ("session", 0));

        Assert.That(replies.Single().Statuses(), Is.EqualTo(new[] { "done" }));
    }

    [Test]
    public void Constructor_TwoHandlersForOneOp_Throws()
    {
        var sessions = new SessionRegistry(new EvaluatorAccessor(() => null), NullLogger<SessionRegistry>.Instance);

        Assert.That(
            () => new OpDispatcher([new SilentOp(), new SilentOp()], sessions, NullLogger<OpDispatcher>.Instance),
            Throws.InvalidOperationException);
    }

    [Test]
    public void Descriptors_RegisteredOps_EachHasADoc()
    {
        using var server = ServerHarness.Create();

        Assert.That(server.Dispatcher.Descriptors, Is.Not.Empty);
        Assert.That(server.Dispatcher.Descriptors.Select(d => d.Doc), Has.All.Not.Empty);
    }

    [Test]
    public async Task DispatchAsync_EveryRegisteredOpWithBareRequest_EndsWithExactlyOneDone()
    {
        using var server = ServerHarness.Create();
        var session = await server.CloneAsync();

        foreach (var op in server.Dispatcher.Descriptors.Select(d => d.Name))
        {
            var id = server.NextId();
            _ = server.Send(Req.Of(("op", op), ("id", id), ("session", op == "close" ? await server.CloneAsync() : session)));
            var replies = await server.Channel.UntilDoneAsync(id);
            Assert.That(replies.Count(r => r.IsDone()), Is.EqualTo(1), op);
        }
    }

    private sealed class ThrowingOp : IOpHandler
    {
        public OpDescriptor Descriptor { get; } = new("boom", "Throws.", OpDescriptor.None, OpDescriptor.None, OpDescriptor.None);

        public Task HandleAsync(ResponseContext context, CancellationToken cancellationToken) => throw new InvalidOperationException("kaput");
    }

    private sealed class DoneThenThrowOp : IOpHandler
    {
        public OpDescriptor Descriptor { get; } = new("done-then-throw", "Sends done, then throws.", OpDescriptor.None, OpDescriptor.None, OpDescriptor.None);

        public async Task HandleAsync(ResponseContext context, CancellationToken cancellationToken)
        {
            await context.DoneAsync();
            throw new InvalidOperationException("after done");
        }
    }

    private sealed class SilentOp : IOpHandler
    {
        public OpDescriptor Descriptor { get; } = new("silent", "Sends nothing.", OpDescriptor.None, OpDescriptor.None, OpDescriptor.None);

        public Task HandleAsync(ResponseContext context, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class DoubleDoneOp : IOpHandler
    {
        public OpDescriptor Descriptor { get; } = new("double-done", "Sends done twice.", OpDescriptor.None, OpDescriptor.None, OpDescriptor.None);

        public async Task HandleAsync(ResponseContext context, CancellationToken cancellationToken)
        {
            Assert.That(await context.DoneAsync(), Is.True);
            Assert.That(await context.DoneAsync("error"), Is.False);
        }
    }
}
