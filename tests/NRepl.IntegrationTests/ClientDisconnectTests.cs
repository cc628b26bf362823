using NRepl.IntegrationTests.Support;

namespace NRepl.IntegrationTests;

/// <summary>
/// A client that goes away mid-eval (issue 5): its running evals are interrupted, its queued ones never run,
/// and the sessions no open connection uses are closed, so an editor that quit leaves nothing running or held.
/// </summary>
public sealed class ClientDisconnectTests
{
    private static async Task<string> CloneAsync(NReplTestClient client) =>
        (await client.RequestAsync(("op", "clone"))).Single().GetString("new-session")!;

    private static async Task<string?> ValueAsync(NReplTestClient client, string session, string code) =>
        (await client.RequestAsync(("op", "eval"), ("session", session), ("code", code))).LastOrDefault(m => m.Has("value"))?.GetString("value");

    [Test]
    public async Task Disconnect_WithEndlessAndQueuedEvals_EvalsStopQueuedNeverRunsSessionClosed()
    {
        await using var server = await ServerProcess.StartAsync("--port", "0", "--NRepl:Limits:EndOfInputGraceSeconds=1");
        await using var observer = await NReplTestClient.ConnectAsync(server.Port);
        var watching = await CloneAsync(observer);
        await ValueAsync(observer, watching, "var loopEnded = new ManualResetEventSlim(); var sessionLessEnded = new ManualResetEventSlim(); var ranAfter = false;");

        var leaving = await NReplTestClient.ConnectAsync(server.Port);
        var abandoned = await CloneAsync(leaving);
        var endless = leaving.NextId();
        await leaving.SendAsync(new Dictionary<string, object?>
        {
            ["op"] = "eval", ["session"] = abandoned, ["id"] = endless,
            ["code"] = "Console.WriteLine(\"spinning\"); try { while (true) { } } finally { loopEnded.Set(); }",
        });
        await leaving.WaitForAsync(m => m.Id == endless && m.GetString("out") == "spinning\n", "the endless eval to start");
        await leaving.SendAsync(new Dictionary<string, object?> { ["op"] = "eval", ["session"] = abandoned, ["id"] = leaving.NextId(), ["code"] = "ranAfter = true;" });
        var sessionLess = leaving.NextId();
        await leaving.SendAsync(new Dictionary<string, object?>
        {
            ["op"] = "eval", ["id"] = sessionLess,
            ["code"] = "Console.WriteLine(\"spinning too\"); try { while (true) { } } finally { sessionLessEnded.Set(); }",
        });
        await leaving.WaitForAsync(m => m.Id == sessionLess && m.GetString("out") == "spinning too\n", "the session-less endless eval to start");

        await leaving.DisposeAsync();

        // Waits inside the target on the loops' own finally blocks: true once both were interrupted.
        Assert.That(await ValueAsync(observer, watching, "loopEnded.Wait(TimeSpan.FromSeconds(60)) && sessionLessEnded.Wait(TimeSpan.FromSeconds(60))"), Is.EqualTo("true"), server.Log);
        Assert.That(await ValueAsync(observer, watching, "ranAfter"), Is.EqualTo("false"), "the queued eval was cancelled, not run");
        var listed = (await observer.RequestAsync(("op", "ls-sessions"))).Single().GetList("sessions")!;
        Assert.That(listed, Is.EqualTo(new[] { watching }), "only the open connection's session is left");
        Assert.That(server.Log, Does.Contain($"Session {abandoned} closed: connection"));
    }

    [Test]
    public async Task Disconnect_OfTheCloningConnection_KeepsASessionAnotherOpenConnectionUses()
    {
        await using var server = await ServerProcess.StartAsync("--port", "0", "--NRepl:Limits:EndOfInputGraceSeconds=1");
        var cloning = await NReplTestClient.ConnectAsync(server.Port);
        var shared = await CloneAsync(cloning);
        var solo = await CloneAsync(cloning);
        await using var using_ = await NReplTestClient.ConnectAsync(server.Port);
        Assert.That(await ValueAsync(using_, shared, "var mine = 5; mine"), Is.EqualTo("5"));

        await cloning.DisposeAsync();

        // Every session is judged before the first is closed: once solo's closing is logged, shared's fate is decided.
        await server.WaitForLogAsync($"Session {solo} closed: connection");
        var own = await CloneAsync(using_);
        Assert.That(await ValueAsync(using_, shared, "mine + 1"), Is.EqualTo("6"), "the session still works");
        var listed = (await using_.RequestAsync(("op", "ls-sessions"))).Single().GetList("sessions")!;
        Assert.That(listed, Is.EquivalentTo(new[] { shared, own }));
    }
}
