using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using NRepl.IntegrationTests.Support;
using NRepl.Protocol.Messages;

namespace NRepl.IntegrationTests;

/// <summary>
/// SIGTERM under load: with many clients each busy on its own session (evals stuck in endless loops, evals
/// printing without end, evals and a load-file queued behind those, short evals, load-files and describes sent
/// in a tight pipeline, evals printing a lot in a row), every request sent before the signal is answered with
/// <c>done</c> and nothing after it, the server exits 0 within its shutdown timeout (plus a margin), and the
/// target process is gone.
/// </summary>
[NonParallelizable]
public sealed class ShutdownUnderLoadTests
{
    private const int ShutdownTimeoutSeconds = 5;

    // Beyond NRepl:ShutdownTimeoutSeconds the last phases have fixed bounds of their own (1 s to abort
    // connections, 2 s for the target to exit), and a shared 2-core machine is slow to tear processes down.
    // A liveness bound: a server that needs more than this is hanging, not slow.
    private static readonly TimeSpan ExitBound = TimeSpan.FromSeconds(ShutdownTimeoutSeconds + 15);

    // Endless loops after printing a marker, two evals and a load-file queued behind each. The first spins
    // (while (true) { }, ended by the interrupt check the world compiler puts in loops); the others sleep in
    // their loop (ended by Thread.Interrupt), so that the machine's 2 cores are not all spent spinning. The
    // last one also runs an endless eval without a session (an ephemeral session).
    private const int Stuck = 4;
    private const int Printers = 4;   // print 1000-char lines without end after a marker; the same queued behind
    private const int Bursts = 8;     // short evals, load-files and describes, 8 in flight, until the server closes
    private const int Talkers = 4;    // evals printing 50 lines of 1000 chars each, 2 in flight, until the server closes

    private enum Kind
    {
        Running,   // an endless eval that has printed its marker: must end interrupted
        Queued,    // queued behind a running endless eval (confirmed dispatched): must end interrupted
        Request,   // anything else: must end with done
    }

    private sealed record Sent(string Id, Kind Kind, bool BeforeSignal, bool SendFailed, string What);

    private sealed class Client(int index, string role, NReplTestClient connection, string session)
    {
        public int Index { get; } = index;

        public string Role { get; } = role;

        public NReplTestClient Connection { get; } = connection;

        public string Session { get; } = session;

        public ConcurrentQueue<Sent> Sent { get; } = new();
    }

    [Test]
    public async Task SigtermUnderLoad_EveryRequestSentBeforeItIsAnswered_ServerExitsZero_TargetGone()
    {
        await using var server = await ServerProcess.StartAsync("--port", "0", $"--NRepl:ShutdownTimeoutSeconds={ShutdownTimeoutSeconds}");
        var connections = new List<NReplTestClient>();
        try
        {
            await RunAsync(server, connections);
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private static async Task RunAsync(ServerProcess server, List<NReplTestClient> connections)
    {
        var signalled = 0; // 1 from just before SIGTERM is sent
        bool BeforeSignal() => Volatile.Read(ref signalled) == 0;

        // The target's pid, asked of the world before any load.
        var control = await NReplTestClient.ConnectAsync(server.Port);
        connections.Add(control);
        var controlSession = (await control.RequestAsync(("op", "clone"))).Single().GetString("new-session")!;
        var targetPid = await TargetPidAsync(control, controlSession);
        var targetStart = ProcessStat(targetPid)?.StartTime;
        Assert.That(targetStart, Is.Not.Null, $"no /proc entry for the target's pid {targetPid}");

        var roles = Enumerable.Repeat("stuck", Stuck).Concat(Enumerable.Repeat("printer", Printers))
            .Concat(Enumerable.Repeat("burst", Bursts)).Concat(Enumerable.Repeat("talker", Talkers)).ToArray();
        var clients = await Task.WhenAll(roles.Select(async (role, c) =>
        {
            var connection = await NReplTestClient.ConnectAsync(server.Port);
            lock (connections)
            {
                connections.Add(connection);
            }

            var session = (await connection.RequestAsync(("op", "clone"))).Single().GetString("new-session")!;
            return new Client(c, role, connection, session);
        }));

        // Each client's work; `ready` completes once it has something in flight of its kind.
        var ready = clients.ToDictionary(c => c, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var work = clients.Select(c => Task.Run(async () =>
        {
            try
            {
                await (c.Role switch
                {
                    "stuck" => EndlessAsync(c,
                        $"Console.WriteLine(\"stuck {c.Index}\"); while (true) {{ {(c.Index == 0 ? "" : "System.Threading.Thread.Sleep(10);")} }}",
                        $"stuck {c.Index}\n", ready[c]),
                    "printer" => EndlessAsync(c,
                        $"Console.WriteLine(\"printing {c.Index}\"); for (var i = 0L; ; i++) {{ Console.WriteLine(i + \" \" + new string('p', 1000)); System.Threading.Thread.Sleep(1); }}",
                        $"printing {c.Index}\n", ready[c]),
                    "burst" => PipelineAsync(c, window: 8, BurstRequest, BeforeSignal, ready[c]),
                    _ => PipelineAsync(c, window: 2, TalkerRequest, BeforeSignal, ready[c]),
                });
                ready[c].TrySetException(new AssertionException($"client {c.Index} ({c.Role}) ended before it had work in flight"));
            }
            catch (Exception ex)
            {
                ready[c].TrySetException(ex);
                throw;
            }
        })).ToArray();

        // Everything is in flight: endless evals running with work queued behind them, pipelines answering.
        try
        {
            await Task.WhenAll(ready.Values.Select(r => r.Task)).WaitAsync(Deadline.Process);
        }
        catch (Exception ex)
        {
            Assert.Fail($"Not every client got its work in flight: {ex.Message[..Math.Min(ex.Message.Length, 2000)]}{Environment.NewLine}Server log:{Environment.NewLine}{server.Log}");
        }

        var pidBeforeSignal = await TargetPidAsync(control, controlSession);
        var startBeforeSignal = ProcessStat(pidBeforeSignal)?.StartTime ?? "";

        Volatile.Write(ref signalled, 1);
        await server.SendSigtermAsync();
        await server.WaitForExitAsync(ExitBound);

        // Every client loop ends once its connection is closed; wait for them (bounded) and for the closes.
        try
        {
            await Task.WhenAll(work).WaitAsync(Deadline.Process);
        }
        catch (TimeoutException)
        {
            Assert.Fail("Client loops did not end after the server exited.");
        }

        foreach (var connection in connections)
        {
            await connection.WaitForCloseAsync();
        }

        var failures = new List<string>();
        var counts = new Dictionary<string, int>();
        void Count(string key) => counts[key] = counts.GetValueOrDefault(key) + 1;
        foreach (var client in clients)
        {
            var messages = client.Connection.Messages;
            var byId = messages.Where(m => m.Id is not null).GroupBy(m => m.Id!).ToDictionary(g => g.Key, g => g.ToList());
            foreach (var sent in client.Sent)
            {
                var replies = byId.GetValueOrDefault(sent.Id) ?? [];
                var dones = replies.Count(r => r.IsDone());
                var label = $"client {client.Index} ({client.Role}) {sent.What} id {sent.Id}";
                if (dones > 1)
                {
                    failures.Add($"{label}: {dones} replies with done");
                }

                if (dones == 1 && !replies[^1].IsDone())
                {
                    failures.Add($"{label}: replies after done: {string.Join(" | ", replies.SkipWhile(r => !r.IsDone()).Take(3))}");
                }

                var statuses = dones == 1 ? string.Join(",", replies.First(r => r.IsDone()).Statuses()) : "no done";
                if (sent.SendFailed)
                {
                    // Not (wholly) sent: the server had closed the connection. Only allowed after the signal.
                    Count("send failed after signal");
                    if (sent.BeforeSignal)
                    {
                        failures.Add($"{label}: could not be sent before the signal (connection closed)");
                    }

                    continue;
                }

                if (!sent.BeforeSignal)
                {
                    // Raced the signal: answered, or never read because the server had stopped reading and closed.
                    Count($"after signal: {statuses}");
                    continue;
                }

                Count($"{sent.Kind}: {statuses}");
                if (dones == 0)
                {
                    failures.Add($"{label}: sent before SIGTERM, never answered with done (connection closed after {replies.Count} replies)");
                }
                else if (sent.Kind is Kind.Running or Kind.Queued && !replies.First(r => r.IsDone()).Statuses().Contains("interrupted"))
                {
                    failures.Add($"{label}: ended with [{statuses}], expected interrupted");
                }
            }
        }

        TestContext.Out.WriteLine(string.Join(Environment.NewLine, counts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}: {kv.Value}")));
        TestContext.Out.WriteLine(string.Join(Environment.NewLine, server.Log.Split('\n').Where(l => l.Contains("Shutdown", StringComparison.Ordinal) || l.Contains(" WRN]", StringComparison.Ordinal) || l.Contains(" ERR]", StringComparison.Ordinal))));
        Assert.That(failures, Is.Empty, string.Join(Environment.NewLine, failures.Take(30)) + Environment.NewLine + "Server log:" + Environment.NewLine + server.Log);
        Assert.That(server.ExitCode, Is.Zero, server.Log);
        // A clean shutdown logs no errors: e.g. no request started on the evaluator after it was disposed.
        var errors = server.Log.Split('\n').Where(l => l.Contains(" ERR]", StringComparison.Ordinal) || l.Contains(" FTL]", StringComparison.Ordinal)).ToList();
        Assert.That(errors, Is.Empty, "Server log:" + Environment.NewLine + server.Log);
        Assert.That(File.Exists(server.PortFilePath), Is.False, "port file left behind");
        await AssertGoneAsync(targetPid, targetStart!, server.Log);
        if (pidBeforeSignal != targetPid)
        {
            await AssertGoneAsync(pidBeforeSignal, startBeforeSignal, server.Log); // the target was restarted meanwhile
        }
    }

    private static async Task<int> TargetPidAsync(NReplTestClient control, string session)
    {
        var replies = await control.RequestAsync(("op", "eval"), ("session", session), ("code", "Environment.ProcessId"));
        var value = replies.FirstOrDefault(r => r.Has("value"))?.GetString("value");
        Assert.That(value, Is.Not.Null, string.Join(" | ", replies));
        return int.Parse(value!, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Starts an endless eval and waits for its marker (so it is running), then queues an eval, a load-file and
    /// another eval behind it and a describe after them: the describe's done means the reader has dispatched the
    /// three, so they are in the session's queue.
    /// </summary>
    private static async Task EndlessAsync(Client client, string code, string marker, TaskCompletionSource ready)
    {
        var connection = client.Connection;
        var id = connection.NextId();
        await SendAsync(client, new() { ["op"] = "eval", ["session"] = client.Session, ["id"] = id, ["code"] = code }, Kind.Running, "endless eval", () => true);
        await connection.WaitForAsync(m => m.Id == id && m.GetString("out") == marker, $"client {client.Index}'s endless eval to start");
        if (client.Index == Stuck - 1)
        {
            // One more without a session: its ephemeral session must be stopped at shutdown too.
            var ephemeral = connection.NextId();
            await SendAsync(client, new() { ["op"] = "eval", ["id"] = ephemeral, ["code"] = $"Console.WriteLine(\"ephemeral\"); while (true) System.Threading.Thread.Sleep(10);" },
                Kind.Running, "endless eval without session", () => true);
            await connection.WaitForAsync(m => m.Id == ephemeral && m.GetString("out") == "ephemeral\n", $"client {client.Index}'s session-less endless eval to start");
        }

        await SendAsync(client, Eval(client, $"{client.Index} + 1"), Kind.Queued, "queued eval", () => true);
        await SendAsync(client, LoadFile(client, client.Index), Kind.Queued, "queued load-file", () => true);
        await SendAsync(client, Eval(client, $"{client.Index} + 2"), Kind.Queued, "queued eval", () => true);
        var describe = Describe(client);
        await SendAsync(client, describe, Kind.Request, "describe", () => true);
        await connection.UntilDoneAsync((string)describe["id"]!);
        ready.TrySetResult();
    }

    /// <summary>Sends requests with up to <paramref name="window"/> unanswered, from before the signal until the server closes the connection.</summary>
    private static async Task PipelineAsync(Client client, int window, Func<Client, int, (Dictionary<string, object?> Request, string What)> next, Func<bool> beforeSignal, TaskCompletionSource ready)
    {
        var unanswered = new Queue<string>();
        var answered = 0;
        for (var i = 0; ; i++)
        {
            if (unanswered.Count >= window)
            {
                if (!await client.Connection.DoneOrClosedAsync(unanswered.Dequeue()))
                {
                    return; // closed by the server
                }

                if (++answered == 2 * window)
                {
                    ready.TrySetResult();
                }
            }

            var (request, what) = next(client, i);
            if (!await SendAsync(client, request, Kind.Request, what, beforeSignal))
            {
                return;
            }

            unanswered.Enqueue((string)request["id"]!);
        }
    }

    private static (Dictionary<string, object?>, string) BurstRequest(Client client, int i) => (i % 16) switch
    {
        5 => (LoadFile(client, i), "load-file"),
        11 => (Describe(client), "describe"),
        3 or 13 => (SessionlessEval(client, $"{client.Index} * 100000 + {i}"), "eval without session"),
        _ => (Eval(client, $"{client.Index} * 100000 + {i}"), "eval"),
    };

    private static (Dictionary<string, object?>, string) TalkerRequest(Client client, int i) =>
        (Eval(client, $"for (var line = 0; line < 50; line++) Console.WriteLine(new string('t', 1000)); {i}"), "printing eval");

    private static Dictionary<string, object?> Eval(Client client, string code) =>
        new() { ["op"] = "eval", ["session"] = client.Session, ["id"] = client.Connection.NextId(), ["code"] = code };

    private static Dictionary<string, object?> SessionlessEval(Client client, string code) =>
        new() { ["op"] = "eval", ["id"] = client.Connection.NextId(), ["code"] = code };

    private static Dictionary<string, object?> LoadFile(Client client, int i) => new()
    {
        ["op"] = "load-file",
        ["session"] = client.Session,
        ["id"] = client.Connection.NextId(),
        ["file"] = $"int Loaded{client.Index}() => {i};\nLoaded{client.Index}()",
        ["file-path"] = $"shutdown_load_{client.Index}.cs",
    };

    private static Dictionary<string, object?> Describe(Client client) =>
        new() { ["op"] = "describe", ["session"] = client.Session, ["id"] = client.Connection.NextId() };

    /// <summary>
    /// Sends and records the request: before the signal only if the signal had not been started when the
    /// send completed. False if it could not be sent (the server closed the connection).
    /// </summary>
    private static async Task<bool> SendAsync(Client client, Dictionary<string, object?> request, Kind kind, string what, Func<bool> beforeSignal)
    {
        var id = (string)request["id"]!;
        try
        {
            await client.Connection.SendAsync(request);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            client.Sent.Enqueue(new Sent(id, kind, beforeSignal(), SendFailed: true, what));
            return false;
        }

        client.Sent.Enqueue(new Sent(id, kind, beforeSignal(), SendFailed: false, what));
        return true;
    }

    /// <summary>
    /// Waits (bounded) until the target process is gone: no /proc entry, a zombie nobody has reaped yet, or
    /// another process that reused the pid (a different start time). Polled: there is no event to wait on.
    /// </summary>
    private static async Task AssertGoneAsync(int pid, string startTime, string log)
    {
        using var deadline = new CancellationTokenSource(Deadline.Process);
        while (ProcessStat(pid) is { } stat && stat.State is not ('Z' or 'X') && stat.StartTime == startTime)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"The target process {pid} outlived the server. Server log:{Environment.NewLine}{log}");
            }
        }
    }

    /// <summary>State and start time (in clock ticks since boot) from /proc/&lt;pid&gt;/stat; null once there is no such process.</summary>
    private static (char State, string StartTime)? ProcessStat(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException) // no such file or directory, or the process went away while being read
        {
            return null;
        }

        // "pid (comm) state ppid ... starttime ...": comm may hold spaces and parentheses, so split after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (fields[0][0], fields[19]);
    }
}
