using System.Diagnostics;
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
        + "  e2e    the real Release server over loopback TCP: round trips, hot-swap, cold start, throughput vs the reference Clojure server, memory\n"
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
        Console.CancelKeyPress += (_, e) =>
        {
            // Kill the servers right away; the measurement then fails on its closed connections.
            e.Cancel = true;
            Console.Error.WriteLine("Interrupted: stopping the servers.");
            cancel.Cancel();
            ChildProcess.KillAll();
        };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => ChildProcess.KillAll();

        var total = Stopwatch.StartNew();
        try
        {
            RunInfo run = RunInfo.Detect(quick, "dotnet run -c Release --project tests/NRepl.Benchmarks -- " + string.Join(' ', args));
            if (suite is "e2e" or "all")
            {
                var e2e = new E2eSuite(run, cancel.Token);
                e2e.Run();
                e2e.Publish();
            }

            if (suite is "codec" or "all")
            {
                cancel.Token.ThrowIfCancellationRequested();
                CodecSuite.Run(run);
            }

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
