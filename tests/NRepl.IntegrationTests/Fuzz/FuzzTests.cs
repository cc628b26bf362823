using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using NRepl.IntegrationTests.Support;

namespace NRepl.IntegrationTests.Fuzz;

/// <summary>
/// Bad input over real connections (issue 5): 100,000 generated and mutated requests, sent in batches, a
/// new connection whenever the server closed the last one for broken framing. Afterwards the server still
/// answers a fresh client, its memory stays bounded, and its log names every connection it rejected.
/// </summary>
[NonParallelizable]
public sealed partial class FuzzTests
{
    private const int Requests = 100_000;

    [Test]
    public async Task HundredThousandBadAndOddRequests_TheServerStaysUp_BoundedAndLogsEachRejection()
    {
        await using var server = await ServerProcess.StartAsync("--port", "0");
        var fuzzer = new BencodeFuzzer(new Random(20261121));
        var sent = 0;
        var connections = 0;
        var framingBroken = 0;
        var rssBefore = Rss(server.ProcessId);

        while (sent < Requests)
        {
            var batch = new MemoryStream();
            bool? breaks = false;
            for (var n = Random.Shared.Next(1, 400); n > 0 && sent < Requests && breaks == false; n--)
            {
                var (bytes, breaksFraming) = fuzzer.Next();
                batch.Write(bytes);
                sent++;
                breaks = breaksFraming;
            }
            await SendAndDrainAsync(server.Port, batch.ToArray());
            connections++;
            if (breaks == true) framingBroken++;
        }

        await using var client = await NReplTestClient.ConnectAsync(server.Port);
        var session = (await client.RequestAsync(("op", "clone"))).Single().GetString("new-session");
        var value = (await client.RequestAsync(("op", "eval"), ("session", session), ("code", "1 + 2"))).Single(m => m.Has("value")).GetString("value");
        var rssAfter = Rss(server.ProcessId);
        var rejected = Rejection().Matches(server.Log).Select(m => m.Groups[1].Value).Distinct().Count();

        Assert.Multiple(() =>
        {
            Assert.That(value, Is.EqualTo("3"), "a fresh client is answered");
            Assert.That(rssAfter - rssBefore, Is.LessThan(512L * 1024 * 1024), $"server RSS {rssBefore / 1048576} MiB before, {rssAfter / 1048576} MiB after {connections} connections");
            Assert.That(rejected, Is.GreaterThanOrEqualTo(framingBroken), $"{framingBroken} connections broke the framing; the log names {rejected}");
        });
        TestContext.Out.WriteLine($"{sent} requests over {connections} connections, {framingBroken} with broken framing; RSS {rssBefore / 1048576} -> {rssAfter / 1048576} MiB");
    }

    /// <summary>Writes the batch, half-closes, and reads until the server closes (it answers what it could read first).</summary>
    private static async Task SendAndDrainAsync(int port, byte[] batch)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = new CancellationTokenSource(Deadline.Reply);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), deadline.Token);
        try
        {
            await socket.SendAsync(batch, SocketFlags.None, deadline.Token);
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The server closed the connection before reading it all (it rejected the framing): expected.
        }
        var buffer = new byte[64 * 1024];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token) > 0)
            {
            }
        }
        catch (SocketException)
        {
            // Reset after a rejection: the connection is over either way.
        }
    }

    private static long Rss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(Regex.Match(line, @"\d+").Value, System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    [GeneratedRegex(@"Connection (\d+) (?:rejected|ended in the middle of a message)")]
    private static partial Regex Rejection();
}
