using System.Diagnostics;
using System.Runtime.InteropServices;
using NRepl.Benchmarks.Codec;
using NRepl.Benchmarks.E2e;
using NRepl.Benchmarks.Infrastructure;

namespace NRepl.Benchmarks;

/// <summary>
/// dotnet run -c Release --project tests/NRepl.Benchmarks -- &lt;e2e|codec|all&gt; [--quick]
/// </summary>
internal static class Program
{
    private const string Usage =
        "usage: dotnet run -c Release --project tests/NRepl.Benchmarks -- <e2e|codec|all> [--quick]\n"
        + "  e2e    the real Release server over loopback TCP: round trips, hot-swap, cold start, throughput vs the reference Clojure server, live migration, world call cost, memory\n"
        + "  codec  BenchmarkDotNet: bencode decode/encode throughput and allocations per message\n"
        + "  all    both\n"
        + "  --quick  a smoke run of a few iterations (figures are not meaningful)";

    public static int Main(string[] args)
    {
        string? suite = args.FirstOrDefault(a => !a.StartsWith('-'));
        bool quick = args.Contains("--quick");
        if (suite is not ("e2e" or "codec" or "all") || args.Any(a => a.StartsWith('-') && a != "--quick"))
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        using var cancel = new CancellationTokenSource();
        // Ctrl-C, kill, hang-up: kill the servers at once; the measurement then fails on its closed
        // connections and Main returns 130. A second signal ends the process immediately.
        int signals = 0;
        void OnSignal(PosixSignalContext context)
        {
            bool first = Interlocked.Increment(ref signals) == 1;
            Console.Error.WriteLine($"Interrupted ({context.Signal}): stopping the servers.");
            cancel.Cancel();
            ChildProcess.KillAll();
            context.Cancel = first;
        }

        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using PosixSignalRegistration sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);
        using PosixSignalRegistration sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, OnSignal);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => ChildProcess.KillAll();

        var total = Stopwatch.StartNew();
        try
        {
            RunInfo run = RunInfo.Detect(quick, "dotnet run -c Release --project tests/NRepl.Benchmarks -- " + string.Join(' ', args));
            if (suite is "e2e" or "all")
            {
                var e2e = new E2eSuite(run, cancel.Token);
                e2e.Run();
                cancel.Token.ThrowIfCancellationRequested();
                e2e.Publish();
            }

            if (suite is "codec" or "all")
            {
                cancel.Token.ThrowIfCancellationRequested();
                CodecSuite.Run(run);
            }

            cancel.Token.ThrowIfCancellationRequested();
            Console.Error.WriteLine($"Benchmarks finished in {total.Elapsed.TotalSeconds:0} s.");
            return 0;
        }
        catch (Exception e) when (cancel.IsCancellationRequested)
        {
            Console.Error.WriteLine($"Benchmark interrupted ({e.GetType().Name}).");
            return 130;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"Benchmark failed after {total.Elapsed.TotalSeconds:0} s: {e}");
            return 1;
        }
        finally
        {
            ChildProcess.KillAll();
        }
    }
}
