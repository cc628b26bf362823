using System.Globalization;
using System.Text.RegularExpressions;
using NRepl.IntegrationTests.Support;
using NRepl.Protocol.Messages;

namespace NRepl.IntegrationTests;

/// <summary>
/// Soak (issue 5): one session, 5,000 evaluations of which a quarter redefine one of 10 functions (the
/// benchmark's memory workload, tests/NRepl.Benchmarks/E2e/E2eSuite.cs). Every eval answers with the value
/// of the current definition and done, so redefinitions keep landing to the end; the target never restarts;
/// and RSS (VmRSS) growth from the warm baseline to 5,000 evals stays bounded: target under 100 MB, server
/// under 300 MB. Both processes' RSS at the baseline, 1,000 and 5,000 evals are written to the test log.
/// </summary>
/// <remarks>
/// Memory is the risk of a long session, not correctness: Roslyn's latest EmitBaseline reaches every earlier
/// generation (the server cuts that chain, BaselineTrimmer), and the metadata and IL that each delta adds to
/// the target's world assembly are never freed by the runtime (research/enc-edits.md §4), so both processes
/// grow with every eval and only the rate per eval decides whether a long session survives.
/// </remarks>
[NonParallelizable]
public sealed partial class SoakTests
{
    private const int Functions = 10;
    private const int Evals = 5000;
    private static readonly int[] Checkpoints = [1000, 5000];
    private const long TargetGrowthLimit = 100_000_000;
    private const long ServerGrowthLimit = 300_000_000;

    [Test]
    public async Task OneSessionFiveThousandEvalsAndRedefinitions_EveryValueCurrent_TargetNeverRestarts_MemoryGrowthBounded()
    {
        await using var server = await ServerProcess.StartAsync("--port", "0");
        await using var client = await NReplTestClient.ConnectAsync(server.Port);
        var session = (await client.RequestAsync(("op", "clone"))).Single().GetString("new-session")!;
        Task<IReadOnlyList<NReplMessage>> Eval(string code) => client.RequestAsync(("op", "eval"), ("session", session), ("code", code));
        async Task<string> Value(string code)
        {
            var replies = await Eval(code);
            var value = replies.LastOrDefault(m => m.Has("value"))?.GetString("value");
            Assert.That(value, Is.Not.Null, $"no value for `{code}`:{Environment.NewLine}{string.Join(Environment.NewLine, replies)}{Environment.NewLine}Log:{Environment.NewLine}{server.Log}");
            return value!;
        }

        // Warm-up: the world is ready, the 10 functions are defined and each has been called once.
        Assert.That(await Value("1 + 2"), Is.EqualTo("3"));
        var offsets = new int[Functions];
        for (var j = 0; j < Functions; j++)
        {
            Assert.That(await Value($"int Mem{j}(int v) => v + {j};"), Is.EqualTo($"int Mem{j}(int v)"));
            offsets[j] = j;
        }
        for (var j = 0; j < Functions; j++)
        {
            Assert.That(await Value($"Mem{j}(0) * 2"), Is.EqualTo(Number(j * 2)));
        }

        var targetPid = int.Parse(await Value("Environment.ProcessId"), CultureInfo.InvariantCulture);
        var baseline = await Measure("baseline (warm, 10 functions defined)", server, targetPid, Value);

        var failures = new List<string>();
        var checkpoint = 0;
        Snapshot last = baseline;
        for (var i = 1; i <= Evals; i++)
        {
            var j = i % Functions;
            string code, expected;
            if (i % 4 == 0)
            {
                code = $"int Mem{j}(int v) => v + {i};";
                expected = $"int Mem{j}(int v)";
                offsets[j] = i;
            }
            else
            {
                code = $"Mem{j}({i}) * 2";
                expected = Number((i + offsets[j]) * 2);
            }

            var replies = await Eval(code);
            var value = replies.LastOrDefault(r => r.Has("value"))?.GetString("value");
            if (value != expected || !replies.Last().IsDone() || replies.Any(r => r.Statuses().Contains("eval-error")))
            {
                failures.Add($"eval {i} `{code}`: value {value ?? "none"}, expected {expected}: {string.Join(" | ", replies)}");
                if (failures.Count >= 20) break;
            }

            if (i == Checkpoints[checkpoint])
            {
                var pid = int.Parse(await Value("Environment.ProcessId"), CultureInfo.InvariantCulture);
                Assert.That(pid, Is.EqualTo(targetPid), $"the target was replaced (pid {targetPid} -> {pid}) before eval {i}. Log:{Environment.NewLine}{server.Log}");
                last = await Measure($"after {i} evals", server, targetPid, Value, baseline);
                checkpoint++;
            }
        }

        Assert.That(failures, Is.Empty, string.Join(Environment.NewLine, failures) + Environment.NewLine + "Log:" + Environment.NewLine + server.Log);
        Assert.That(checkpoint, Is.EqualTo(Checkpoints.Length), "not every checkpoint was measured");
        Assert.Multiple(() =>
        {
            Assert.That(last.TargetRss - baseline.TargetRss, Is.LessThan(TargetGrowthLimit), $"target RSS {Mib(baseline.TargetRss)} -> {Mib(last.TargetRss)} after {Evals} evals");
            Assert.That(last.ServerRss - baseline.ServerRss, Is.LessThan(ServerGrowthLimit), $"server RSS {Mib(baseline.ServerRss)} -> {Mib(last.ServerRss)} after {Evals} evals");
        });
        Assert.That(server.HasExited, Is.False);
    }

    private readonly record struct Snapshot(long ServerRss, long TargetRss);

    /// <summary>
    /// Both processes' RSS, then, for the log only, the target's GC heap after a full blocking collection (read
    /// after the RSS, which the collection may shrink): its size, the free space in it and the pinned objects
    /// tell the target's managed heap apart from what the runtime keeps natively. (GC.GetTotalMemory is no use
    /// here: with pinned objects in gen0 regions it goes negative, dotnet/runtime#106712.)
    /// </summary>
    private static async Task<Snapshot> Measure(string when, ServerProcess server, int targetPid, Func<string, Task<string>> value, Snapshot? baseline = null)
    {
        var serverRss = Rss(server.ProcessId);
        var targetRss = Rss(targetPid);
        var heap = (await value(TargetHeapCode)).Trim('"');
        var line = baseline is { } b
            ? $"soak: {when}: server RSS {Mib(serverRss)} ({Delta(serverRss - b.ServerRss)}), target RSS {Mib(targetRss)} ({Delta(targetRss - b.TargetRss)}); target {heap}"
            : $"soak: {when}: server RSS {Mib(serverRss)}, target RSS {Mib(targetRss)}; target {heap}";
        TestContext.Out.WriteLine(line);
        TestContext.Progress.WriteLine(line);
        return new Snapshot(serverRss, targetRss);
    }

    private const string TargetHeapCode = """
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var soakGc = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        $"GC heap {soakGc.HeapSizeBytes / 1048576.0:0.0} MiB, of it free {soakGc.FragmentedBytes / 1048576.0:0.0} MiB, {soakGc.PinnedObjectsCount} pinned objects"
        """;

    private static long Rss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(Digits().Match(line).Value, CultureInfo.InvariantCulture) * 1024;
    }

    private static string Number(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";

    private static string Delta(long bytes) => (bytes < 0 ? "-" : "+") + Mib(Math.Abs(bytes)) + $" = {(bytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture)} MB";

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();
}
