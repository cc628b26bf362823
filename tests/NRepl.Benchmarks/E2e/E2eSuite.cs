using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using NRepl.Benchmarks.Infrastructure;
using NRepl.Protocol.Messages;

namespace NRepl.Benchmarks.E2e;

/// <summary>
/// End-to-end measurements against the real Release server (and Debian's reference Clojure server),
/// driven over loopback TCP by <see cref="NReplClient"/>.
/// </summary>
internal sealed partial class E2eSuite
{
    private readonly RunInfo _run;
    private readonly E2eSettings _settings;
    private readonly CancellationToken _cancel;
    private readonly List<ResultRow> _rows = new();
    private readonly List<string[]> _memoryRows = new();
    private readonly List<string[]> _migrationRows = new();
    private readonly List<string> _notes = new();

    public E2eSuite(RunInfo run, CancellationToken cancel)
    {
        _run = run;
        _settings = run.Quick ? E2eSettings.Quick : E2eSettings.Full;
        _cancel = cancel;
    }

    private TimeSpan Timeout => _settings.RequestTimeout;

    public void Run()
    {
        Progress($"server: {Servers.ServerDll(_run)}");
        if (_run.Configuration != "Release")
        {
            _notes.Add($"WARNING: built in {_run.Configuration}, not Release: the server measured is the {_run.Configuration} build.");
        }

        string? referenceMissing = Servers.ReferenceUnavailableReason();
        ChildProcess? reference = null;
        try
        {
            // The JVM takes seconds to boot: start it now and let it finish while the C# server warms up.
            if (referenceMissing is null)
            {
                reference = Servers.StartReference();
            }
            else
            {
                _notes.Add($"Reference Clojure server not measured: {referenceMissing}.");
            }

            using (ChildProcess server = Servers.StartCSharp(_run))
            {
                int port = server.WaitForPort(Servers.PortTimeout);
                Progress($"C# server pid {server.Pid} on port {port}; waiting for its world");
                using NReplClient client = NReplClient.Connect(port, Timeout);
                client.CloneSession(Timeout);
                client.EvalOk("1 + 2", _settings.WorldReadyTimeout, "3");

                int? referencePort = null;
                if (reference is not null)
                {
                    // Wait for it before measuring so that its start-up does not compete for the CPU.
                    referencePort = reference.WaitForPort(Servers.PortTimeout);
                    Progress($"reference server pid {reference.Pid} on port {referencePort}");
                }

                MeasureEvalAndDescribe(client);
                MeasureHotSwap(client);
                double ours = MeasureThroughput(port, "C# server", (c, i) => ($"{c} * 1000 + {i}", (c * 1000 + i).ToString(CultureInfo.InvariantCulture)), "`c * 1000 + i`");
                using (NReplClient fresh = NReplClient.Connect(port, Timeout, "m"))
                {
                    fresh.CloneSession(Timeout);
                    MeasureMigration(fresh, server);
                    MeasureHookMigration(fresh);
                    MeasureCallCost(fresh);
                }

                server.Stop(TimeSpan.FromSeconds(10));
                if (reference is not null && referencePort is int refPort)
                {
                    MeasureReference(refPort, ours);
                }
            }

            reference?.Stop(TimeSpan.FromSeconds(10));
            reference = null;

            MeasureLoadFile();
            MeasureMemory();
            MeasureColdStart();
        }
        finally
        {
            reference?.Stop(TimeSpan.FromSeconds(5));
        }
    }

    public void Publish()
    {
        var report = new MarkdownReport("End-to-end (tests/NRepl.Benchmarks e2e)", _run);
        report.Table(
            new[] { "Measurement", "N", "median", "p90", "p99", "max", "Result / vs target" },
            _rows.Select(r => r.Cells()));
        if (_memoryRows.Count > 0)
        {
            report.Line("Memory: one fresh server, one session; evals alternate three expressions calling one of 10 functions and one redefinition of one of them (a quarter of all evals). RSS is VmRSS from /proc; latency columns cover the evals since the previous row.");
            report.Line("");
            report.Table(
                new[] { "After evals", "server RSS", "target RSS", "evals in block", "median", "p90", "p99", "max" },
                _memoryRows);
        }

        if (_migrationRows.Count > 0)
        {
            report.Line($"Migration: a fresh session of the first server; per run a new class `Mig<k>` with {Format.Number(_settings.MigrationInstances, "#,0")} instances in `list` (created untimed), then the timed redefinition. The previous run's list is dropped first (`list = null; GC.Collect();`). RSS is the target's VmRSS from /proc just before sending and just after `done`; the peak is VmHWM after resetting it through /proc/PID/clear_refs before sending.");
            report.Line("");
            report.Table(
                new[] { "Run", "instances", "send → `done`", "target RSS before", "after", "after − before", "peak − before" },
                _migrationRows);
        }

        _notes.Add("Client: one thread per connection, blocking socket with TCP_NODELAY on 127.0.0.1; a round trip runs from just before the request's first byte is written to the parse of the reply carrying `done` (and `value` for evals).");
        _notes.Add("Hot-swap loop: a thread started by an eval calls `HsF()` with `Thread.Sleep(0)` between calls and, when the result changes, stamps `Stopwatch.GetTimestamp()` (CLOCK_MONOTONIC, the client's clock too) and prints the value; the next redefinition is sent only after that `out` line arrived. The thread is stopped before the throughput run.");
        _notes.Add($"Throughput: closed loop, each of the {_settings.Clients} clients sends its next eval when the previous one is `done`; evals/s = all measured evals / time from the common start to the last client's end. Warm-up evals ({_settings.ThroughputWarmupPerClient} per client) are not counted.");
        _notes.Add($"Call cost: the eval's loop (`for` over `x = Inc(x)`, {Format.Number(_settings.CallCostCalls, "#,0")} calls) keeps `x` and its Stopwatch in block locals, so no world state is touched inside the loop; the Release loops are the same loop in [AggressiveOptimization] methods of the benchmark process, run alternately with the evals (warm-up: {_settings.CallCostWarmup} of each).");
        foreach (string note in _notes)
        {
            report.Line("- " + note);
        }

        report.Publish(_run, "e2e-results.md");
    }

    // 1. Round trips of one client: eval `1 + 2` and describe.
    private void MeasureEvalAndDescribe(NReplClient client)
    {
        Progress("eval and describe round trips");
        Samples eval = Repeat(_settings.EvalWarmup, _settings.EvalN, () =>
        {
            NReplClient.Exchange e = client.EvalOk("1 + 2", Timeout, "3");
            return e.RoundTripMs;
        });
        Samples.Summary evalStats = eval.Summarise();
        Add("eval `1 + 2`, 1 client (send → `done`)", evalStats,
            Verdict(evalStats.Median, 2, "median", "< 2 ms (issue target)") + $"; earlier target < 5 ms: {(evalStats.Median < 5 ? "met" : "missed")}");

        // Where the time goes: the eval's body stamps the shared monotonic clock when it runs in the target.
        var toBody = new Samples(_settings.EvalN);
        var bodyToDone = new Samples(_settings.EvalN);
        _ = Repeat(_settings.EvalWarmup / 4, _settings.EvalN, () =>
        {
            NReplClient.Exchange e = client.EvalOk("System.Diagnostics.Stopwatch.GetTimestamp()", Timeout);
            long ranAt = long.Parse(e.Value!, CultureInfo.InvariantCulture);
            if (ranAt < e.SentAt || ranAt > e.DoneAt)
            {
                throw new InvalidOperationException("The target's Stopwatch is not the client's clock: cannot split the eval round trip.");
            }

            toBody.AddTicks(e.SentAt, ranAt);
            bodyToDone.AddTicks(ranAt, e.DoneAt);
            return 0;
        });
        Add("eval split: send → the eval's body runs in the target", toBody.Summarise(), "request read, compile (an eval that defines nothing: a small assembly of its own; else an EnC delta), IPC, load or apply, invoke");
        Add("eval split: body runs → `done` reaches the client", bodyToDone.Summarise(), "render value, IPC back, value and `done` replies");

        Samples describe = Repeat(_settings.DescribeWarmup, _settings.DescribeN, () => client.Describe(Timeout).RoundTripMs);
        Samples.Summary describeStats = describe.Summarise();
        Add("describe, 1 client (send → `done`)", describeStats, Verdict(describeStats.Median, 0.3, "median", "< 0.3 ms"));
    }

    // 2. Hot swap: redefinition round trip, and how long until a running loop calls the new body.
    private void MeasureHotSwap(NReplClient client)
    {
        Progress("hot-swap");
        client.EvalOk(
            "static class HsProbe { public static volatile bool Stop; public static long[] Seen = new long[65536]; }",
            Timeout);
        client.EvalOk("int HsF() => 0;", Timeout, "int HsF()");
        int version = 0;

        // a) No loop running: the redefinition alone.
        Samples swap = Repeat(_settings.SwapWarmup, _settings.SwapN, () =>
        {
            version++;
            return client.EvalOk($"int HsF() => {version};", Timeout, "int HsF()").RoundTripMs;
        });
        Samples.Summary swapStats = swap.Summarise();
        Add("hot-swap: redefine `int HsF() => k;` (send → `done`), no loop running", swapStats,
            Verdict(swapStats.Median, 5, "median", "< 5 ms") + "; published: in-process EnC update ≈1.7 ms, jank WASM ≈180 ms per function");

        // b) A background thread calls HsF() in a tight loop (Thread.Sleep(0) between calls); when the
        // result changes it stamps Stopwatch.GetTimestamp() into HsProbe.Seen[value] and prints the value.
        NReplClient.Exchange loop = client.EvalOk(
            """
            var hsLoop = new System.Threading.Thread(() =>
            {
                int last = HsF();
                while (!HsProbe.Stop)
                {
                    int v = HsF();
                    if (v != last)
                    {
                        long at = System.Diagnostics.Stopwatch.GetTimestamp();
                        last = v;
                        if ((uint)v < (uint)HsProbe.Seen.Length) HsProbe.Seen[v] = at;
                        Console.WriteLine("hs " + v);
                    }
                    System.Threading.Thread.Sleep(0);
                }
            }) { IsBackground = true, Name = "hot-swap probe" };
            hsLoop.Start();
            System.Diagnostics.Stopwatch.Frequency
            """,
            Timeout);
        string loopId = loop.Id;
        if (loop.Value != Stopwatch.Frequency.ToString(CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException($"The target's Stopwatch.Frequency is {loop.Value}, ours {Stopwatch.Frequency}: timestamps are not comparable.");
        }

        var done = new Samples(_settings.LoopSwapN);
        var outArrived = new Samples(_settings.LoopSwapN);
        var sent = new List<(int Version, long SentAt)>();
        try
        {
            for (int i = 0; i < _settings.LoopSwapWarmup + _settings.LoopSwapN; i++)
            {
                _cancel.ThrowIfCancellationRequested();
                version++;
                int expected = version;
                long outAt = 0;
                string line = $"hs {expected}\n";
                void OnOther(NReplMessage m, long at)
                {
                    if (m.Id == loopId && m.GetString("out") is { } text && text.Contains(line, StringComparison.Ordinal))
                    {
                        outAt = at;
                    }
                }

                NReplClient.Exchange e = client.EvalOk($"int HsF() => {expected};", Timeout, "int HsF()", OnOther);
                long deadline = NReplClient.Deadline(TimeSpan.FromSeconds(10));
                while (outAt == 0)
                {
                    NReplMessage m = client.Receive(deadline);
                    OnOther(m, Stopwatch.GetTimestamp());
                }

                if (i >= _settings.LoopSwapWarmup)
                {
                    done.AddTicks(e.SentAt, e.DoneAt);
                    outArrived.AddTicks(e.SentAt, outAt);
                    sent.Add((expected, e.SentAt));
                }
            }
        }
        finally
        {
            // Stop the spinning thread: it would hold one of the cores during the next measurements.
            client.EvalOk("HsProbe.Stop = true; hsLoop.Join(5000)", Timeout, "true", (_, _) => { });
        }

        int from = sent[0].Version;
        int to = sent[^1].Version;
        string stamps = client.EvalOk($"string.Join(\",\", HsProbe.Seen[{from}..{to + 1}])", Timeout).Value!.Trim('"');
        long[] seen = stamps.Split(',').Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var observed = new Samples(sent.Count);
        foreach ((int v, long sentAt) in sent)
        {
            long at = seen[v - from];
            if (at < sentAt)
            {
                throw new InvalidOperationException($"The loop's stamp for version {v} precedes the request: the clocks differ.");
            }

            observed.AddTicks(sentAt, at);
        }

        Samples.Summary doneStats = done.Summarise();
        Samples.Summary observedStats = observed.Summarise();
        Samples.Summary outStats = outArrived.Summarise();
        Add("hot-swap with a spinning loop thread: send → `done`", doneStats, Verdict(doneStats.Median, 5, "median", "< 5 ms") + " (the loop keeps one core busy)");
        Add("hot-swap with a spinning loop thread: send → loop first calls the new body", observedStats,
            Verdict(observedStats.Median, 5, "median", "< 5 ms") + " (stamped in the target with Stopwatch, same CLOCK_MONOTONIC as the client)");
        Add("hot-swap with a spinning loop thread: send → loop's `out` line reaches the client", outStats,
            "includes the target → server → client output path");
    }

    // 4. Throughput: N clients, each with its own connection and session, evaluating back to back.
    private double MeasureThroughput(int port, string serverName, Func<int, int, (string Code, string Expected)> expression, string expressionLabel)
    {
        int clients = _settings.Clients;
        int perClient = _settings.ThroughputPerClient;
        Progress($"throughput of the {serverName}: {clients} clients × {perClient} evals");
        var latencies = new Samples[clients];
        var finishedAt = new long[clients];
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        using var ready = new CountdownEvent(clients);
        using var go = new ManualResetEventSlim(false);
        var threads = new Thread[clients];
        for (int c = 0; c < clients; c++)
        {
            int index = c;
            threads[c] = new Thread(() =>
            {
                bool signalled = false;
                try
                {
                    using NReplClient client = NReplClient.Connect(port, Timeout, $"t{index}-");
                    client.CloneSession(Timeout);
                    for (int i = 0; i < _settings.ThroughputWarmupPerClient; i++)
                    {
                        (string code, string expected) = expression(index, i);
                        client.EvalOk(code, Timeout, expected);
                    }

                    signalled = true;
                    ready.Signal();
                    if (!go.Wait(TimeSpan.FromSeconds(120), _cancel))
                    {
                        throw new TimeoutException("The throughput run did not start.");
                    }

                    var samples = new Samples(perClient);
                    for (int i = 0; i < perClient; i++)
                    {
                        (string code, string expected) = expression(index, i + 1000);
                        samples.Add(client.EvalOk(code, Timeout, expected).RoundTripMs);
                    }

                    finishedAt[index] = Stopwatch.GetTimestamp();
                    latencies[index] = samples;
                }
                catch (Exception e)
                {
                    errors.Enqueue(e);
                    if (!signalled)
                    {
                        ready.Signal();
                    }
                }
            })
            { IsBackground = true, Name = $"client {c}" };
            threads[c].Start();
        }

        if (!ready.Wait(TimeSpan.FromSeconds(300), _cancel))
        {
            throw new TimeoutException("The throughput clients did not connect and warm up within 300 s.");
        }

        long start = Stopwatch.GetTimestamp();
        go.Set();
        foreach (Thread thread in threads)
        {
            if (!thread.Join(TimeSpan.FromSeconds(600)))
            {
                throw new TimeoutException("A throughput client did not finish within 600 s.");
            }
        }

        if (!errors.IsEmpty)
        {
            throw new AggregateException($"Throughput run against the {serverName} failed.", errors);
        }

        double seconds = Samples.TicksToMs(finishedAt.Max() - start) / 1000;
        var all = new Samples(clients * perClient);
        foreach (Samples s in latencies)
        {
            all.AddRange(s);
        }

        double perSecond = all.Count / seconds;
        _rows.Add(new ResultRow($"throughput, {clients} clients, {serverName}: {expressionLabel} per eval (send → `done`)", all.Summarise(),
            $"**{Format.Number(perSecond, "0")} evals/s** ({all.Count} evals in {Format.Number(seconds, "0.00")} s)"));
        return perSecond;
    }

    // The reference Clojure server with the same client code: round trips and throughput.
    private void MeasureReference(int port, double ourThroughput)
    {
        Progress("reference server: eval and describe round trips");
        using (NReplClient client = NReplClient.Connect(port, Timeout))
        {
            client.CloneSession(Timeout);
            Samples eval = Repeat(Math.Max(5, _settings.ReferenceEvalN / 5), _settings.ReferenceEvalN,
                () => client.EvalOk("(+ 1 2)", Timeout, "3").RoundTripMs);
            Add("reference Clojure server: eval `(+ 1 2)`, 1 client (send → `done`)", eval.Summarise(),
                "its `value` and `done` are two writes without TCP_NODELAY: Nagle + delayed ACK");
            Samples describe = Repeat(Math.Max(10, _settings.ReferenceDescribeN / 5), _settings.ReferenceDescribeN,
                () => client.Describe(Timeout).RoundTripMs);
            Add("reference Clojure server: describe, 1 client (send → `done`)", describe.Summarise(), "one reply message, so no Nagle wait");
        }

        double theirs = MeasureThroughput(port, "reference Clojure server", (c, i) => ($"(+ (* {c} 1000) {i})", (c * 1000 + i).ToString(CultureInfo.InvariantCulture)), "`(+ (* c 1000) i)`");
        double ratio = ourThroughput / theirs;
        _rows.Add(new ResultRow($"throughput ratio, C# server / reference, {_settings.Clients} clients", null,
            $"**{Format.Number(ratio, "0.00")}x**; target ≥ 10x: {(ratio >= 10 ? "met" : "MISSED")}"));
    }

    // 6. Live migration: int Hp → long Hp plus an added initialized field, over many live instances.
    private void MeasureMigration(NReplClient client, ChildProcess server)
    {
        int n = _settings.MigrationInstances;
        string count = n.ToString(CultureInfo.InvariantCulture);
        string sum = ((long)n * (n - 1) / 2).ToString(CultureInfo.InvariantCulture);
        Progress($"migration: {_settings.MigrationRuns} redefinitions over {n} live instances each");
        var timings = new Samples(_settings.MigrationRuns);
        var deltas = new List<double>();
        var peaks = new List<double>();
        var befores = new List<double>();
        var afters = new List<double>();
        for (int r = 0; r < _settings.MigrationRuns; r++)
        {
            _cancel.ThrowIfCancellationRequested();
            string type = $"Mig{r}";
            if (r > 0)
            {
                EvalNoValue(client, "list = null; GC.Collect();");
            }

            client.EvalOk($"class {type} {{ public int Hp = 1; }}", Timeout, $"class {type}");
            client.EvalOk($"var list = new List<{type}>(); for (var i = 0; i < {count}; i++) list.Add(new {type} {{ Hp = i }});", Timeout, $"List<{type}> list");

            int target = FindTarget(server);
            bool peakReset = ProcFs.ResetPeakRss(target);
            long? before = ProcFs.RssBytes(target);
            NReplClient.Exchange e = client.EvalOk($"class {type} {{ public long Hp = 1; public int Mana = 50; }}", Timeout);
            long? after = ProcFs.RssBytes(target);
            long? peak = peakReset ? ProcFs.PeakRssBytes(target) : null;
            if (!e.Value!.Contains($"{type}: {count} live instances migrated", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The redefinition of {type} did not migrate {count} instances: {e.Value}");
            }

            if (FindTarget(server) != target)
            {
                throw new InvalidOperationException($"The target process was replaced during the migration of {type}.");
            }

            timings.Add(e.RoundTripMs);
            string delta = "n/a", peakText = "n/a";
            if (before is long b && after is long a)
            {
                befores.Add(b);
                afters.Add(a);
                deltas.Add(a - b);
                delta = (a >= b ? "+" : "−") + Format.MiB(Math.Abs(a - b));
                if (peak is long p)
                {
                    peaks.Add(p - b);
                    peakText = "+" + Format.MiB(Math.Max(0, p - b));
                }
            }

            _migrationRows.Add(new[]
            {
                $"{r + 1} (`{type}`)", Format.Number(n, "#,0"), Format.Ms(e.RoundTripMs),
                before is long bb ? Format.MiB(bb) : "n/a", after is long aa ? Format.MiB(aa) : "n/a", delta, peakText,
            });
        }

        Samples.Summary stats = timings.Summarise();
        string verdict = n == 1_000_000
            ? Verdict(stats.Median, 1000, "median", "< 1 s for 1,000,000 instances end to end") + $"; max {Format.Ms(stats.Max)}"
            : $"target < 1 s is for 1,000,000 instances; this run had {Format.Number(n, "#,0")}";
        Add($"migration: redefine `class Mig<k> {{ public int Hp = 1; }}` as `{{ public long Hp = 1; public int Mana = 50; }}` over {Format.Number(n, "#,0")} live instances (send → `done`, value checked)", stats, verdict);
        _rows.Add(new ResultRow("migration: the target's RSS, after − before the redefinition", null,
            deltas.Count == 0
                ? "n/a (no /proc)"
                : $"delta median **{Signed(Median(deltas))}** (before median {Format.MiB(Median(befores))}, after {Format.MiB(Median(afters))})"
                  + (peaks.Count > 0 ? $"; peak during the migration median +{Format.MiB(Math.Max(0, Median(peaks)))} over before" : "")));

        // Reading the migrated field (an EnC-added field in the runtime) vs an original field of an identical class.
        client.EvalOk("class MigPlain { public long Hp = 1; public int Mana = 50; }", Timeout, "class MigPlain");
        client.EvalOk($"var plainList = new List<MigPlain>(); for (var i = 0; i < {count}; i++) plainList.Add(new MigPlain {{ Hp = i }});", Timeout, "List<MigPlain> plainList");
        string SumEval(string list) => $"long s = 0; foreach (var p in {list}) s += p.Hp; s";
        string PerReadEval(string list) =>
            $"double readNs; {{ var sw = System.Diagnostics.Stopwatch.StartNew(); long s = 0; foreach (var p in {list}) s += p.Hp; sw.Stop(); "
            + $"if (s != {sum}) throw new System.InvalidOperationException(\"sum \" + s); readNs = sw.ElapsedTicks * 1e9 / System.Diagnostics.Stopwatch.Frequency / {list}.Count; }} readNs";
        var migrated = new Samples(_settings.FieldReadN);
        var plain = new Samples(_settings.FieldReadN);
        var migratedNs = new Samples(_settings.FieldReadN);
        var plainNs = new Samples(_settings.FieldReadN);
        for (int i = -1; i < _settings.FieldReadN; i++)
        {
            _cancel.ThrowIfCancellationRequested();
            double m = client.EvalOk(SumEval("list"), Timeout, sum).RoundTripMs;
            double o = client.EvalOk(SumEval("plainList"), Timeout, sum).RoundTripMs;
            double mNs = ParseDouble(client.EvalOk(PerReadEval("list"), Timeout).Value!);
            double oNs = ParseDouble(client.EvalOk(PerReadEval("plainList"), Timeout).Value!);
            if (i >= 0)
            {
                migrated.Add(m);
                plain.Add(o);
                migratedNs.Add(mNs);
                plainNs.Add(oNs);
            }
        }

        client.EvalOk("list.Count(p => p.Mana == 50)", Timeout, count);
        EvalNoValue(client, "list = null; plainList = null; GC.Collect();");

        double migratedRead = migratedNs.Summarise().Median;
        double plainRead = plainNs.Summarise().Median;
        Add($"field read: eval `long s = 0; foreach (var p in list) s += p.Hp; s` over {Format.Number(n, "#,0")} migrated instances (send → `done`)", migrated.Summarise(),
            $"in the eval (Stopwatch, same loop): **{Format.Ns(migratedRead)}/read**; `Hp` is now a field added by EnC");
        Add($"field read: the same eval over {Format.Number(n, "#,0")} instances of an identical never-migrated class", plain.Summarise(),
            $"in the eval: **{Format.Ns(plainRead)}/read**; migrated / original **{Format.Number(migratedRead / plainRead, "0.0")}x** (research/enc-edits.md §6: 43 vs 2-28 ns/read)");
    }

    // 7. Call cost of the Debug, instrumented world vs the same loop compiled Release in this process.
    // 6b. The same migration with an OnRedefined hook: one reflective call per instance, each wrapped in a
    // copy of the instance's fields (restored if it throws), after a copy kept for abort-redefinition.
    private void MeasureHookMigration(NReplClient client)
    {
        int n = _settings.MigrationInstances;
        string count = n.ToString(CultureInfo.InvariantCulture);
        int runs = Math.Max(1, _settings.MigrationRuns / 2);
        Progress($"migration with a hook: {runs} redefinitions over {n} live instances each");
        var timings = new Samples(runs);
        EvalNoValue(client, "list = null; plainList = null; GC.Collect();");
        for (int r = 0; r < runs; r++)
        {
            _cancel.ThrowIfCancellationRequested();
            string type = $"MigHook{r}";
            client.EvalOk($"class {type} {{ public int Hp = 1; }}", Timeout, $"class {type}");
            client.EvalOk($"var hooked = new List<{type}>(); for (var i = 0; i < {count}; i++) hooked.Add(new {type} {{ Hp = i }});", Timeout, $"List<{type}> hooked");
            NReplClient.Exchange e = client.EvalOk(
                $"class {type} {{ public long Hp = 1; public int Mana = 50; void OnRedefined(MigrationContext ctx) {{ Mana = (int)(Hp % 7); }} }}", Timeout);
            if (!e.Value!.Contains($"{type}: {count} live instances migrated, OnRedefined run", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The redefinition of {type} did not run the hook on {count} instances: {e.Value}");
            }
            client.EvalOk($"hooked[{n - 1}].Mana", Timeout, ((n - 1) % 7).ToString(CultureInfo.InvariantCulture));
            timings.Add(e.RoundTripMs);
            EvalNoValue(client, "hooked = null; GC.Collect();");
        }
        Add($"migration with a hook: the same redefinition plus `void OnRedefined(MigrationContext ctx) {{ Mana = (int)(Hp % 7); }}` over {Format.Number(n, "#,0")} live instances (send → `done`, a hooked value checked)",
            timings.Summarise(), "reported; the < 1 s target is for the implicit migration");
    }

    private void MeasureCallCost(NReplClient client)
    {
        int calls = _settings.CallCostCalls;
        string n = calls.ToString(CultureInfo.InvariantCulture);
        Progress($"call cost: {calls} calls of a world function per eval");
        client.EvalOk("int Inc(int x) => x + 1;", Timeout, "int Inc(int x)");
        string loop =
            $"double incNs; {{ var sw = System.Diagnostics.Stopwatch.StartNew(); int x = 0; for (var i = 0; i < {n}; i++) x = Inc(x); sw.Stop(); "
            + $"if (x != {n}) throw new System.InvalidOperationException(\"x \" + x); incNs = sw.ElapsedTicks * 1e9 / System.Diagnostics.Stopwatch.Frequency / {n}; }} incNs";
        var world = new Samples(_settings.CallCostN);
        var inlined = new Samples(_settings.CallCostN);
        var notInlined = new Samples(_settings.CallCostN);
        for (int i = -_settings.CallCostWarmup; i < _settings.CallCostN; i++)
        {
            _cancel.ThrowIfCancellationRequested();
            double w = ParseDouble(client.EvalOk(loop, Timeout).Value!);
            double a = ReleaseLoopNs(calls);
            double b = ReleaseLoopNotInlinedNs(calls);
            if (i >= 0)
            {
                world.Add(w);
                inlined.Add(a);
                notInlined.Add(b);
            }
        }

        Samples.Summary worldStats = world.Summarise();
        Samples.Summary inlinedStats = inlined.Summarise();
        Samples.Summary notInlinedStats = notInlined.Summarise();
        string label = $"{Format.Number(calls, "#,0")} calls";
        _rows.Add(new ResultRow($"call cost: world function `int Inc(int x) => x + 1;` in an eval's loop, {label} (ns per call, Stopwatch in the eval)", worldStats,
            $"Debug world / Release: **{Format.Number(worldStats.Median / notInlinedStats.Median, "0.0")}x** against a real call, "
            + $"**{Format.Number(worldStats.Median / inlinedStats.Median, "0.0")}x** against the inlined loop (research: 3-7x); "
            + "the world is JIT-compiled unoptimized (EnC) with a stack guard per call and an interrupt poll per iteration", Format.Ns));
        _rows.Add(new ResultRow($"call cost: the same loop compiled Release in the benchmark process, {label} (ns per call)", inlinedStats,
            "the JIT inlines `Inc`: this is the loop alone", Format.Ns));
        _rows.Add(new ResultRow($"call cost: the same loop, Release, `Inc` marked NoInlining, {label} (ns per call)", notInlinedStats,
            "the price of a real call in optimized code", Format.Ns));
    }

    private static int ReleaseInc(int x) => x + 1;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ReleaseIncNotInlined(int x) => x + 1;

    // Fully optimized at once (no tiering); the loop mirrors the world eval's loop.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double ReleaseLoopNs(int calls)
    {
        long start = Stopwatch.GetTimestamp();
        int x = 0;
        for (int i = 0; i < calls; i++)
        {
            x = ReleaseInc(x);
        }

        long end = Stopwatch.GetTimestamp();
        return x == calls ? (end - start) * 1e9 / Stopwatch.Frequency / calls : throw new InvalidOperationException($"x {x}");
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double ReleaseLoopNotInlinedNs(int calls)
    {
        long start = Stopwatch.GetTimestamp();
        int x = 0;
        for (int i = 0; i < calls; i++)
        {
            x = ReleaseIncNotInlined(x);
        }

        long end = Stopwatch.GetTimestamp();
        return x == calls ? (end - start) * 1e9 / Stopwatch.Frequency / calls : throw new InvalidOperationException($"x {x}");
    }

    /// <summary>Evaluates statements that have no value; insists on success.</summary>
    private void EvalNoValue(NReplClient client, string code)
    {
        NReplClient.Exchange e = client.Eval(code, Timeout);
        if (e.Failed)
        {
            throw new InvalidOperationException($"Eval of `{code}` failed: " + string.Join(" ", e.Replies));
        }
    }

    private static double ParseDouble(string value) => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static double Median(List<double> values) => Samples.Percentile(values.Order().ToArray(), 50);

    private static string Signed(double bytes) => (bytes >= 0 ? "+" : "−") + Format.MiB(Math.Abs(bytes));

    // 5. Memory after many evals in one session, on a fresh server.
    private void MeasureMemory()
    {
        Progress($"memory: {_settings.MemoryCheckpoints[^1]} evals on a fresh server");
        using ChildProcess server = Servers.StartCSharp(_run, "nREPL C# server (memory)");
        int port = server.WaitForPort(Servers.PortTimeout);
        using NReplClient client = NReplClient.Connect(port, Timeout);
        client.CloneSession(Timeout);
        client.EvalOk("1 + 2", _settings.WorldReadyTimeout, "3");
        for (int j = 0; j < 10; j++)
        {
            client.EvalOk($"int Mem{j}(int v) => v + {j};", Timeout, $"int Mem{j}(int v)");
        }

        int target = FindTarget(server);
        _memoryRows.Add(new[] { "0 (warm, 10 functions defined)", Rss(server.Pid), Rss(target), "", "", "", "", "" });
        int done = 0;
        foreach (int checkpoint in _settings.MemoryCheckpoints)
        {
            var block = new Samples(checkpoint - done);
            for (int i = done + 1; i <= checkpoint; i++)
            {
                _cancel.ThrowIfCancellationRequested();
                int j = i % 10;
                NReplClient.Exchange e = i % 4 == 0
                    ? client.EvalOk($"int Mem{j}(int v) => v + {i};", Timeout, $"int Mem{j}(int v)")
                    : client.EvalOk($"Mem{j}({i}) * 2", Timeout);
                block.Add(e.RoundTripMs);
            }

            done = checkpoint;
            int current = FindTarget(server);
            if (current != target)
            {
                _notes.Add($"The target process was replaced during the memory run (pid {target} → {current}).");
                target = current;
            }

            Samples.Summary s = block.Summarise();
            _memoryRows.Add(new[]
            {
                checkpoint.ToString(CultureInfo.InvariantCulture), Rss(server.Pid), Rss(target), s.N.ToString(CultureInfo.InvariantCulture),
                Format.Ms(s.Median), Format.Ms(s.P90), Format.Ms(s.P99), Format.Ms(s.Max),
            });
        }

        server.Stop(TimeSpan.FromSeconds(10));
    }

    // 4. Cold start: process start until the first eval's value, a fresh process each time: the build the benchmark
    // runs, and the ReadyToRun publish deploy/install.sh installs (Roslyn's JIT is most of a cold start).
    private void MeasureColdStart()
    {
        MeasureColdStart(dll: null, "`dotnet NRepl.Server.dll --port 0` (the Release build)");
        string published = Directory.CreateTempSubdirectory("nrepl-bench-r2r-").FullName;
        try
        {
            Progress("cold start: publishing the server ReadyToRun, as deploy/install.sh does");
            MeasureColdStart(Servers.PublishReadyToRun(_run, published), "the same, ReadyToRun publish (as deploy/install.sh installs it)");
        }
        finally
        {
            Directory.Delete(published, recursive: true);
        }
    }

    private void MeasureColdStart(string? dll, string build)
    {
        Progress($"cold start: {_settings.ColdRuns} fresh servers, {build}");
        var listening = new Samples(_settings.ColdRuns);
        var firstValue = new Samples(_settings.ColdRuns);
        for (int r = 0; r < _settings.ColdRuns; r++)
        {
            _cancel.ThrowIfCancellationRequested();
            using ChildProcess server = Servers.StartCSharp(_run, $"nREPL C# server (cold start {r + 1})", dll);
            int port = server.WaitForPort(Servers.PortTimeout);
            using (NReplClient client = NReplClient.Connect(port, Timeout))
            {
                NReplClient.Exchange e = client.Eval("1 + 2", _settings.WorldReadyTimeout, noSession: true);
                e.EnsureValue("1 + 2", "3");
                listening.AddTicks(server.StartedAt, server.PortSeenAt);
                firstValue.AddTicks(server.StartedAt, e.ValueAt);
            }

            server.Stop(TimeSpan.FromSeconds(10));
        }

        Samples.Summary value = firstValue.Summarise();
        Add($"cold start: process start → port line on stdout, {build}", listening.Summarise(), "");
        Add($"cold start: process start → first eval's value (`1 + 2`, no session), {build}", value, Verdict(value.Median, 1500, "median", "< 1.5 s"));
    }

    private int FindTarget(ChildProcess server)
    {
        long deadline = NReplClient.Deadline(TimeSpan.FromSeconds(10));
        while (true)
        {
            if (server.FindChild("NRepl.Runtime") is int pid)
            {
                return pid;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new InvalidOperationException($"No NRepl.Runtime child process under server pid {server.Pid}.");
            }

            // The world answered an eval, so the target exists: a miss means /proc was read mid-update.
            Thread.Yield();
        }
    }

    private static string Rss(int pid) => ProcFs.RssBytes(pid) is long bytes ? Format.MiB(bytes) : "n/a";

    private Samples Repeat(int warmup, int n, Func<double> measure)
    {
        for (int i = 0; i < warmup; i++)
        {
            _cancel.ThrowIfCancellationRequested();
            measure();
        }

        var samples = new Samples(n);
        for (int i = 0; i < n; i++)
        {
            _cancel.ThrowIfCancellationRequested();
            samples.Add(measure());
        }

        return samples;
    }

    private void Add(string measurement, Samples.Summary stats, string result) => _rows.Add(new ResultRow(measurement, stats, result));

    private static string Verdict(double valueMs, double targetMs, string statistic, string target) =>
        $"target {target}: {(valueMs < targetMs ? "met" : "MISSED")} ({statistic} {Format.Ms(valueMs)})";

    private static void Progress(string text) => Console.Error.WriteLine($"[e2e {DateTime.Now:HH:mm:ss}] {text}");

    /// <param name="Unit">Formats the statistics; milliseconds unless given (the call-cost rows hold nanoseconds).</param>
    private sealed record ResultRow(string Measurement, Samples.Summary? Stats, string Result, Func<double, string>? Unit = null)
    {
        public string[] Cells()
        {
            Func<double, string> f = Unit ?? Format.Ms;
            return Stats is { } s
                ? new[] { Measurement, s.N.ToString(CultureInfo.InvariantCulture), f(s.Median), f(s.P90), f(s.P99), f(s.Max), Result }
                : new[] { Measurement, "", "", "", "", "", Result };
        }
    }
}
