using NRepl.IntegrationTests.Support;

namespace NRepl.IntegrationTests;

/// <summary>NRepl:Limits:MaxConnections against the real server: one connection too many is told why and closed; the others go on.</summary>
public sealed class ConnectionLimitTests
{
    [Test]
    public async Task ConnectionPastTheLimit_ToldTooManyConnectionsAndClosed_TheOpenOnesStillServe()
    {
        await using var server = await ServerProcess.StartAsync("--port", "0", "--NRepl:Limits:MaxConnections=2");
        await using var first = await NReplTestClient.ConnectAsync(server.Port);
        await using var second = await NReplTestClient.ConnectAsync(server.Port);
        // The server counts a connection once it accepted it: a request answered proves both are counted.
        await first.RequestAsync(("op", "describe"));
        await second.RequestAsync(("op", "describe"));

        await using var third = await NReplTestClient.ConnectAsync(server.Port);
        await third.WaitForCloseAsync();

        var refusal = third.Messages.Single();
        Assert.That(refusal.Statuses(), Is.EqualTo(new[] { "error", "too-many-connections" }));
        Assert.That(refusal.GetString("err"), Does.Contain("MaxConnections"));
        Assert.That((await first.RequestAsync(("op", "describe"))).Single().Statuses(), Is.EqualTo(new[] { "done" }));
        Assert.That(server.Log, Does.Contain("was refused"));
    }
}
