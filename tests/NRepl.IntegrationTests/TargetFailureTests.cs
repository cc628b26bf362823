using NRepl.IntegrationTests.Support;
using NRepl.Protocol.Messages;

namespace NRepl.IntegrationTests;

/// <summary>The server survives what user code does to the target process, and shuts down cleanly mid-eval.</summary>
public sealed class TargetFailureTests
{
    private static async Task<(ServerProcess Server, NReplTestClient Client, string Session)> StartAsync()
    {
        var server = await ServerProcess.StartAsync();
        var client = await NReplTestClient.ConnectAsync(server.Port);
        var session = (await client.RequestAsync(("op", "clone"))).Single().GetString("new-session")!;
        return (server, client, session);
    }

    [Test]
    public async Task Eval_EnvironmentExit_ReportsDeathRestartsTargetAndReplaysDefinitions()
    {
        var (server, client, session) = await StartAsync();
        await using var _ = server;
        await using var __ = client;
        await client.RequestAsync(("op", "eval"), ("session", session), ("code", "int Survivor(int v) => v + 1;"));

        var died = await client.RequestAsync(("op", "eval"), ("session", session), ("code", "Environment.Exit(7);"));

        var error = died.Single(m => m.Statuses().Contains("eval-error"));
        Assert.That(error.GetString("ex"), Is.EqualTo("TargetDiedException"));
        Assert.That(string.Concat(died.Select(m => m.GetString("err"))), Does.Contain("Environment.Exit(7)").And.Contain("replayed"));
        Assert.That(died.Last().IsDone(), Is.True);
        var after = await client.RequestAsync(("op", "eval"), ("session", session), ("code", "Survivor(41)"));
        Assert.That(after.Single(m => m.Has("value")).GetString("value"), Is.EqualTo("42"));
        Assert.That(server.HasExited, Is.False);
    }

    [Test]
    public async Task Sigterm_DuringRunningEval_EvalIsAnsweredAndServerExits()
    {
        var (server, client, session) = await StartAsync();
        await using var _ = server;
        await using var __ = client;
        var id = client.NextId();
        await client.SendAsync(new Dictionary<string, object?> { ["op"] = "eval", ["session"] = session, ["id"] = id, ["code"] = "Console.WriteLine(\"busy\"); while (true) { }" });
        await client.WaitForAsync(m => m.Id == id && m.GetString("out") == "busy\n", "the eval to start");

        await server.TerminateAsync();

        var replies = client.Messages.Where(m => m.Id == id).ToList();
        Assert.That(replies.Last().Statuses(), Is.EquivalentTo(new[] { "interrupted", "done" }), string.Join(Environment.NewLine, replies) + Environment.NewLine + server.Log);
        Assert.That(server.ExitCode, Is.Zero, server.Log);
        Assert.That(File.Exists(server.PortFilePath), Is.False);
    }
}
