using NRepl.IntegrationTests.Support;

namespace NRepl.IntegrationTests;

/// <summary>Starting and stopping the real server process.</summary>
public sealed class ServerLifecycleTests
{
    [Test]
    public async Task Start_PortZero_PrintsExactBannerAndWritesDigitsOnlyPortFile()
    {
        await using var server = await ServerProcess.StartAsync("--port", "0");

        Assert.That(server.Banner, Is.EqualTo($"nREPL server started on port {server.Port} on host 127.0.0.1 - nrepl://127.0.0.1:{server.Port}"));
        Assert.That(server.Port, Is.InRange(1, 65535));
        Assert.That(File.ReadAllText(server.PortFilePath), Is.EqualTo(server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public async Task Sigterm_RunningServerWithClient_ExitsZeroAndRemovesPortFile()
    {
        await using var server = await ServerProcess.StartAsync();
        await using var client = await NReplTestClient.ConnectAsync(server.Port);
        var session = (await client.RequestAsync(("op", "clone"))).Single().GetString("new-session");

        await server.TerminateAsync();
        await client.WaitForCloseAsync();

        Assert.That(session, Is.Not.Null);
        Assert.That(server.ExitCode, Is.Zero, server.Log);
        Assert.That(File.Exists(server.PortFilePath), Is.False);
        Assert.That(server.Log, Does.Contain("Shutdown complete."));
        Assert.That(await server.ReadRemainingOutputAsync(), Is.Empty, "stdout carries only the banner");
    }

    [Test]
    public async Task Start_NonLoopbackHostWithoutAllowRemote_RefusesWithMessage()
    {
        await using var server = ServerProcess.Launch("--port", "0", "--host", "0.0.0.0");

        await server.WaitForExitAsync();

        Assert.That(server.ExitCode, Is.EqualTo(2));
        Assert.That(server.Log, Does.Contain("NRepl:AllowRemote"));
        Assert.That(File.Exists(server.PortFilePath), Is.False);
    }

    [Test]
    public async Task Start_PortFileSwitch_WritesThatFile()
    {
        await using var server = await ServerProcess.StartAsync("--port", "0", "--port-file", "custom-port");

        Assert.That(File.ReadAllText(Path.Combine(server.WorkingDirectory, "custom-port")), Is.EqualTo(server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }
}
