using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NRepl.Protocol.Messages;
using NRepl.Server.Hosting;
using NRepl.Server.Tests.Support;

namespace NRepl.Server.Tests.Hosting;

public sealed class NReplServerTests
{
    [Test]
    public async Task StopAsync_WithRunningAndQueuedEvals_AnswersBothInterruptedDeletesPortFileAndIsIdempotent()
    {
        var portFile = Path.Combine(Path.GetTempPath(), $"nrepl-port-{Guid.NewGuid():N}");
        using var server = ServerHarness.Create(configure: s => s.Configure<NReplOptions>(o => o.PortFile = portFile));
        server.Eval.Hold = true;
        var hosted = server.Services.GetServices<IHostedService>().OfType<NReplServer>().Single();
        using var deadline = Deadline.Start();
        await hosted.StartAsync(deadline.Token);
        var port = hosted.EndPoint!.Port;
        var portFileContent = File.ReadAllText(portFile);

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, deadline.Token);
        var session = server.Sessions.Clone(null, "test").Id;
        await Send(client, ("op", "eval"), ("code", "1"), ("id", "running"), ("session", session));
        await server.Eval.NextStartedAsync();
        await Send(client, ("op", "eval"), ("code", "2"), ("id", "queued"), ("session", session));
        // Requests of one connection are read in order: once this one is answered, "queued" has been
        // read and queued, so shutdown cannot overtake it.
        await Send(client, ("op", "ls-sessions"), ("id", "sync"));
        var replies = new IncomingMessages(client);
        await replies.ReadUntilAsync(m => m.Id == "sync");

        await hosted.StopAsync(deadline.Token);
        await hosted.StopAsync(deadline.Token);
        await replies.ReadToEndAsync();

        Assert.That(portFileContent, Is.EqualTo(port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(File.Exists(portFile), Is.False);
        var byId = replies.Messages.ToLookup(r => r.Id);
        Assert.That(byId["running"].Single().GetList("status"), Is.EqualTo(new[] { "interrupted", "done" }));
        Assert.That(byId["queued"].Single().GetList("status"), Is.EqualTo(new[] { "interrupted", "done" }));
        using var late = new TcpClient();
        Assert.That(() => late.Connect(IPAddress.Loopback, port), Throws.InstanceOf<SocketException>());
    }

    [Test]
    public async Task SessionsClosedForShutdown_LateSessionlessEvalAndCloneEval_AnsweredInterruptedWithoutEvaluating()
    {
        // Connections are still read after shutdown stops the sessions: a session-less eval, or an eval on a
        // session cloned then, must be answered at once, not started on an evaluator about to be disposed.
        using var server = ServerHarness.Create();
        server.Eval.Hold = true;
        using var deadline = Deadline.Start();
        await server.Sessions.CloseAllAsync(deadline.Token);

        var sessionless = await server.RequestAsync(("op", "eval"), ("code", "1"));
        var cloned = await server.CloneAsync();
        var onClone = await server.RequestAsync(("op", "eval"), ("code", "2"), ("session", cloned));

        Assert.That(sessionless.Last().Statuses(), Is.EqualTo(new[] { "interrupted", "done" }));
        Assert.That(onClone.Last().Statuses(), Is.EqualTo(new[] { "interrupted", "done" }));
        Assert.That(server.Eval.Requests, Is.Empty);
    }

    private static async Task Send(TcpClient client, params (string Key, object? Value)[] fields) =>
        await client.GetStream().WriteAsync(NReplMessageWriter.ToBytes(fields.ToDictionary(f => f.Key, f => f.Value)));

    /// <summary>Messages from the server, read incrementally so a test can wait for one and then read to the end.</summary>
    private sealed class IncomingMessages(TcpClient client)
    {
        private readonly NReplMessageReader _reader = new();
        private readonly List<byte> _pending = new();

        public List<NReplMessage> Messages { get; } = new();

        public async Task ReadUntilAsync(Func<NReplMessage, bool> match)
        {
            using var deadline = Deadline.Start();
            while (!Messages.Any(match))
            {
                if (!await ReadChunkAsync(deadline.Token)) Assert.Fail("The server closed the connection first.");
            }
        }

        public async Task ReadToEndAsync()
        {
            using var deadline = Deadline.Start();
            while (await ReadChunkAsync(deadline.Token))
            {
            }
        }

        private async Task<bool> ReadChunkAsync(CancellationToken ct)
        {
            var buffer = new byte[4096];
            var read = await client.GetStream().ReadAsync(buffer, ct);
            if (read == 0) return false;
            _pending.AddRange(buffer.AsSpan(0, read).ToArray());
            var sequence = new System.Buffers.ReadOnlySequence<byte>(_pending.ToArray());
            var consumed = sequence.Start;
            while (true)
            {
                var examined = sequence.End;
                var rest = sequence.Slice(consumed);
                var start = rest.Start;
                // The reader keeps partial tokens in its own state, so what it consumed is gone even without a message.
                var parsed = _reader.TryParseMessage(rest, ref start, ref examined, out var message);
                consumed = start;
                if (!parsed) break;
                Messages.Add(message!);
            }
            _pending.RemoveRange(0, (int)sequence.Slice(0, consumed).Length);
            return true;
        }
    }
}
