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
    public async Task Eval_BackgroundThreadThrows_ThreadEndsTargetAndStateSurviveAndTheSessionIsTold()
    {
        var (server, client, session) = await StartAsync();
        await using var _ = server;
        await using var __ = client;
        await client.RequestAsync(("op", "eval"), ("session", session), ("code", "var kept = 41;"));
        var pidBefore = (await client.RequestAsync(("op", "eval"), ("session", session), ("code", "Environment.ProcessId"))).Single(m => m.Has("value")).GetString("value");

        var id = client.NextId();
        await client.SendAsync(new Dictionary<string, object?>
        {
            ["op"] = "eval", ["session"] = session, ["id"] = id,
            ["code"] = "var worker = new Thread(() => throw new InvalidOperationException(\"worker gave up\")); worker.Start(); worker.Join(); ThreadPool.QueueUserWorkItem(_ => throw new ArgumentException(\"pool item failed\")); 7",
        });
        await client.WaitForAsync(m => m.Id == id && (m.GetString("err") ?? "").Contains("pool item failed"), "the pool item's report");

        var replies = client.Messages.Where(m => m.Id == id).ToList();
        var err = string.Concat(replies.Select(m => m.GetString("err")));
        Assert.That(err, Does.Contain("System.InvalidOperationException: worker gave up").And.Contain("that thread ended, the target keeps running"), err);
        Assert.That(replies.Single(m => m.Has("value")).GetString("value"), Is.EqualTo("7"));
        Assert.That(replies.All(m => m.GetString("session") == session), Is.True);
        var after = await client.RequestAsync(("op", "eval"), ("session", session), ("code", "$\"{kept + 1} {Environment.ProcessId}\""));
        Assert.That(after.Single(m => m.Has("value")).GetString("value"), Is.EqualTo($"\"42 {pidBefore}\""), "same target, state kept");
        Assert.That(server.Log, Does.Contain("worker gave up"), "the server log records it");
    }

    /// <summary>SIGSTOP makes the target hang as a machine swapping or a stuck control loop would: nothing it runs can answer.</summary>
    private static async Task<(ServerProcess Server, NReplTestClient Client, string Session, int TargetPid)> StartAndStopTargetAsync(bool subscribe = false)
    {
        var server = await ServerProcess.StartAsync("--port", "0", "--NRepl:Target:UnresponsiveAfterSeconds=2");
        var client = await NReplTestClient.ConnectAsync(server.Port);
        var session = (await client.RequestAsync(("op", "clone"))).Single().GetString("new-session")!;
        await client.RequestAsync(("op", "eval"), ("session", session), ("code", "var kept = 1; int Helper() => 5;"));
        var pid = int.Parse((await client.RequestAsync(("op", "eval"), ("session", session), ("code", "Environment.ProcessId"))).Single(m => m.Has("value")).GetString("value")!);
        if (subscribe) await client.RequestAsync(("op", "out-subscribe"), ("session", session), ("id", "subscription"));
        Signal(pid, "STOP");
        return (server, client, session, pid);
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = System.Diagnostics.Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.That(kill.ExitCode, Is.Zero, $"kill -{signal} {pid}");
    }

    private static async Task<NReplMessage> OfferAsync(NReplTestClient client, string id)
    {
        await client.WaitForAsync(m => m.Id == id && m.Statuses().Contains("need-input"), "the restart offer");
        return client.Messages.Single(m => m.Id == id && m.Has("condition"));
    }

    [Test]
    public async Task TargetHangs_EvalIsOfferedRestartTarget_NewTargetWithDefinitionsReplayed()
    {
        var (server, client, session, pid) = await StartAndStopTargetAsync();
        await using var _ = server;
        await using var __ = client;
        using var stopped = System.Diagnostics.Process.GetProcessById(pid);
        var id = client.NextId();
        await client.SendAsync(new Dictionary<string, object?> { ["op"] = "eval", ["session"] = session, ["id"] = id, ["code"] = "Helper()" });

        var offer = await OfferAsync(client, id);
        Assert.That(offer.GetDict("condition")!["type"], Is.EqualTo("TargetUnresponsive"));
        var restarts = offer.GetList("restarts")!.Cast<IReadOnlyDictionary<string, object>>().Select(r => r["name"]).ToList();
        Assert.That(restarts, Is.EqualTo(new[] { "restart-target", "keep-waiting" }));
        Assert.That(string.Concat(client.Messages.Where(m => m.Id == id).Select(m => m.GetString("err"))), Does.Contain($"target process {pid} stopped answering"));

        await client.SendAsync(new Dictionary<string, object?> { ["op"] = "stdin", ["session"] = session, ["id"] = client.NextId(), ["stdin"] = "0\n" });

        var replies = await client.UntilDoneAsync(id);
        Assert.That(replies.Single(m => m.Statuses().Contains("eval-error")).GetString("ex"), Is.EqualTo("TargetDiedException"));
        Assert.That(string.Concat(replies.Select(m => m.GetString("err"))), Does.Contain("killed by restart-target").And.Contain("replayed"));
        var after = await client.RequestAsync(("op", "eval"), ("session", session), ("code", "$\"{Helper() + 1} {Environment.ProcessId}\""));
        var value = after.Single(m => m.Has("value")).GetString("value")!;
        Assert.That(value, Does.StartWith("\"6 ").And.Not.Contain(pid.ToString(System.Globalization.CultureInfo.InvariantCulture)), "a new target, definitions replayed");
        Assert.That(stopped.WaitForExit(Deadline.Process), Is.True, "the hung target was killed");
    }

    [Test]
    public async Task TargetHangs_KeepWaitingThenItResumes_OfferWithdrawnEvalAnsweredStateKept()
    {
        var (server, client, session, pid) = await StartAndStopTargetAsync();
        await using var _ = server;
        await using var __ = client;
        var id = client.NextId();
        await client.SendAsync(new Dictionary<string, object?> { ["op"] = "eval", ["session"] = session, ["id"] = id, ["code"] = "Helper() + kept" });
        var offer = await OfferAsync(client, id);

        var chosen = await client.RequestAsync(("op", "live/restart"), ("condition-id", offer.GetString("condition-id")), ("restart", "keep-waiting"));
        Assert.That(chosen.Single().Statuses(), Is.EqualTo(new[] { "done" }));
        Signal(pid, "CONT");

        var replies = await client.UntilDoneAsync(id);
        Assert.That(replies.Single(m => m.Has("value")).GetString("value"), Is.EqualTo("6"));
        var after = await client.RequestAsync(("op", "eval"), ("session", session), ("code", "Environment.ProcessId"));
        Assert.That(after.Single(m => m.Has("value")).GetString("value"), Is.EqualTo(pid.ToString(System.Globalization.CultureInfo.InvariantCulture)), "the same target");
        Assert.That(server.Log, Does.Contain("answers again"));
    }

    [Test]
    public async Task TargetHangs_NoEvalWaiting_SubscribedSessionIsToldAndTheNextEvalIsOffered()
    {
        var (server, client, session, pid) = await StartAndStopTargetAsync(subscribe: true);
        await using var _ = server;
        await using var __ = client;

        await client.WaitForAsync(m => m.Id == "subscription" && (m.GetString("err") ?? "").Contains("has not answered the server"), "the notice on the subscription");

        var id = client.NextId();
        await client.SendAsync(new Dictionary<string, object?> { ["op"] = "eval", ["session"] = session, ["id"] = id, ["code"] = "Helper()" });
        var offer = await OfferAsync(client, id);
        Assert.That(offer.GetDict("condition")!["type"], Is.EqualTo("TargetUnresponsive"));
        Signal(pid, "CONT");
        Assert.That((await client.UntilDoneAsync(id)).Single(m => m.Has("value")).GetString("value"), Is.EqualTo("5"));
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
