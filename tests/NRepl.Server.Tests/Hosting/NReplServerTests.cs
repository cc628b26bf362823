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

        await hosted.StopAsync(deadline.Token);
        await hosted.StopAsync(deadline.Token);
        var replies = await ReadAllAsync(client);

        Assert.That(portFileContent, Is.EqualTo(port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(File.Exists(portFile), Is.False);
        var byId = replies.ToLookup(r => r.Id);
        Assert.That(byId["running"].Single().GetList("status"), Is.EqualTo(new[] { "interrupted", "done" }));
        Assert.That(byId["queued"].Single().GetList("status"), Is.EqualTo(new[] { "interrupted", "done" }));
        using var late = new TcpClient();
        Assert.That(() => late.Connect(IPAddress.Loopback, port), Throws.InstanceOf<SocketException>());
    }

    private static async Task Send(TcpClient client, params (string Key, object? Value)[] fields) =>
        await client.GetStream().WriteAsync(NReplMessageWriter.ToBytes(fields.ToDictionary(f => f.Key, f => f.Value)));

    // Reads until the server closes the connection.
    private static async Task<List<NReplMessage>> ReadAllAsync(TcpClient client)
    {
        using var deadline = Deadline.Start();
        using var all = new MemoryStream();
        await client.GetStream().CopyToAsync(all, deadline.Token);
        var sequence = new System.Buffers.ReadOnlySequence<byte>(all.ToArray());
        var reader = new NReplMessageReader();
        var messages = new List<NReplMessage>();
        while (true)
        {
            var consumed = sequence.Start;
            var examined = sequence.End;
            if (!reader.TryParseMessage(sequence, ref consumed, ref examined, out var message))
            {
                return messages;
            }

            messages.Add(message!);
            sequence = sequence.Slice(consumed);
        }
    }
}
