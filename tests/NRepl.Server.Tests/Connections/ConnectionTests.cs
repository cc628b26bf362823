using System.Buffers;
using System.Net;
using System.Net.Sockets;
using NRepl.Protocol.Bencode;
using NRepl.Protocol.Messages;
using NRepl.Server.Connections;
using NRepl.Server.Tests.Support;

namespace NRepl.Server.Tests.Connections;

/// <summary>One <see cref="Connection"/> over a real loopback socket pair.</summary>
public sealed class ConnectionTests
{
    [Test]
    public async Task RunAsync_Request_AnsweredAndLoggedInConnectionIdScope()
    {
        using var server = ServerHarness.Create();
        var logger = new RecordingLogger<Connection>();
        var (client, connection) = await ConnectAsync(server, logger, connectionId: 17);
        using (client)
        {
            var running = connection.RunAsync();
            await client.GetStream().WriteAsync(NReplMessageWriter.ToBytes(new Dictionary<string, object?> { ["op"] = "describe", ["id"] = "1" }));
            var reply = await ReadMessageAsync(client.GetStream());
            client.Client.Shutdown(SocketShutdown.Send);
            await running.WaitAsync(Deadline.Default);

            Assert.That(reply.Id, Is.EqualTo("1"));
            Assert.That(reply.GetList("status"), Is.EqualTo(new[] { "done" }));
        }

        var accepted = logger.Entries.Single(e => e.EventId.Name == "ConnectionAccepted");
        Assert.That(accepted.ScopeValue("ConnectionId"), Is.EqualTo(17L));
        Assert.That(logger.Entries.Single(e => e.EventId.Name == "ConnectionClosed").ScopeValue("ConnectionId"), Is.EqualTo(17L));
    }

    [Test]
    public async Task RunAsync_MalformedInput_OneErrorReplyWithoutIdThenClosedAndReasonLogged()
    {
        using var server = ServerHarness.Create();
        var logger = new RecordingLogger<Connection>();
        var (client, connection) = await ConnectAsync(server, logger, connectionId: 3);
        using (client)
        {
            var running = connection.RunAsync();
            await client.GetStream().WriteAsync("d2:op8:describei5x"u8.ToArray());
            var reply = await ReadMessageAsync(client.GetStream());
            var rest = await ReadToEndAsync(client.GetStream());
            await running.WaitAsync(Deadline.Default);

            Assert.That(reply.GetList("status"), Is.EqualTo(new[] { "error", "done" }));
            Assert.That(reply.GetString("err"), Is.Not.Empty);
            Assert.That(reply.Has("id") || reply.Has("session"), Is.False);
            Assert.That(rest, Is.Zero, "the server closes the connection after the error");
        }

        var rejected = logger.Entries.Single(e => e.EventId.Name == "ConnectionRejected");
        Assert.That(rejected.Message, Does.Contain("3"));
    }

    [Test]
    public async Task RunAsync_ClientHalfClosesWhileEvalRuns_ReplyStillDeliveredThenClosed()
    {
        using var server = ServerHarness.Create();
        server.Eval.Hold = true;
        var session = server.Sessions.Clone(null, null).Id;
        var (client, connection) = await ConnectAsync(server, new RecordingLogger<Connection>(), connectionId: 5);
        using (client)
        {
            var running = connection.RunAsync();
            var stream = client.GetStream();
            await stream.WriteAsync(NReplMessageWriter.ToBytes(new Dictionary<string, object?>
            {
                ["op"] = "eval", ["code"] = "1", ["id"] = "e", ["session"] = session,
            }));
            client.Client.Shutdown(SocketShutdown.Send);
            var eval = await server.Eval.NextStartedAsync();
            eval.Complete(new NRepl.Server.Evaluation.EvalOutcome.Value("1", false));

            var value = await ReadMessageAsync(stream);
            await running.WaitAsync(Deadline.Default);

            Assert.That(value.GetString("value"), Is.EqualTo("1"));
        }
    }

    private static async Task<(TcpClient Client, Connection Connection)> ConnectAsync(ServerHarness server, RecordingLogger<Connection> logger, long connectionId)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new TcpClient();
        using var deadline = Deadline.Start();
        var accepting = listener.AcceptSocketAsync(deadline.Token).AsTask();
        await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint, deadline.Token);
        var socket = await accepting;
        var connection = new Connection(connectionId, socket, server.Dispatcher, default(BencodeReaderOptions), 16, TimeSpan.FromSeconds(10), logger);
        return (client, connection);
    }

    private static async Task<NReplMessage> ReadMessageAsync(Stream stream)
    {
        var reader = new NReplMessageReader();
        var buffer = new ArrayBufferWriter<byte>();
        using var deadline = Deadline.Start();
        var chunk = new byte[4096];
        while (true)
        {
            var read = await stream.ReadAsync(chunk, deadline.Token);
            Assert.That(read, Is.Positive, "connection closed before a whole message arrived");
            buffer.Write(chunk.AsSpan(0, read));
            var sequence = new ReadOnlySequence<byte>(buffer.WrittenMemory);
            var consumed = sequence.Start;
            var examined = sequence.End;
            if (reader.TryParseMessage(sequence, ref consumed, ref examined, out var message))
            {
                return message!;
            }

            var keep = sequence.Slice(consumed).ToArray();
            buffer.Clear();
            buffer.Write(keep);
        }
    }

    private static async Task<int> ReadToEndAsync(Stream stream)
    {
        using var deadline = Deadline.Start();
        var total = 0;
        var chunk = new byte[4096];
        int read;
        while ((read = await stream.ReadAsync(chunk, deadline.Token)) > 0)
        {
            total += read;
        }

        return total;
    }
}
