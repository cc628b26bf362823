using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Mathematics;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using NRepl.Benchmarks.Infrastructure;
using Perfolizer.Horology;

namespace NRepl.Benchmarks.Codec;

/// <summary>Runs <see cref="CodecBenchmarks"/> with BenchmarkDotNet and reports MB/s and bytes allocated per message.</summary>
internal static class CodecSuite
{
    public static void Run(RunInfo run)
    {
        // In-process: BenchmarkDotNet's default toolchain would generate and build a separate project,
        // which costs a minute and inherits this repository's central package management.
        Job job = run.Quick
            ? new Job("Quick")
                .WithToolchain(InProcessEmitToolchain.Instance)
                .WithLaunchCount(1)
                .WithWarmupCount(1)
                .WithIterationCount(3)
                .WithIterationTime(TimeInterval.FromMilliseconds(100))
            : new Job("InProcess").WithToolchain(InProcessEmitToolchain.Instance);

        IConfig config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddLogger(ConsoleLogger.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddColumn(StatisticColumn.Median, StatisticColumn.P90, StatisticColumn.Max, StatisticColumn.Iterations)
            .AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default)
            .AddExporter(MarkdownExporter.GitHub)
            .WithArtifactsPath(run.ArtifactsDirectory)
            .WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));

        Summary summary = BenchmarkRunner.Run<CodecBenchmarks>(config);
        if (summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success || r.ResultStatistics is null))
        {
            throw new InvalidOperationException("A codec benchmark failed; see BenchmarkDotNet's log above.");
        }

        int evalBytes = CodecBenchmarks.EncodedSize(CodecBenchmarks.EvalReply());
        int outBytes = CodecBenchmarks.EncodedSize(CodecBenchmarks.OutMessage());
        var report = new MarkdownReport("Codec (tests/NRepl.Benchmarks codec, BenchmarkDotNet 0.14.0, in-process, [MemoryDiagnoser])", run);
        report.Table(
            new[] { "Benchmark (one message per op)", "message", "N", "median", "p90", "p99", "max", "MB/s at median", "allocated / message" },
            summary.Reports.Select(r =>
            {
                Statistics s = r.ResultStatistics!;
                string method = r.BenchmarkCase.Descriptor.WorkloadMethod.Name;
                int bytes = method.Contains("Eval", StringComparison.Ordinal) ? evalBytes : outBytes;
                long? allocated = r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase);
                return (IReadOnlyList<string>)new[]
                {
                    r.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\''),
                    Format.Bytes(bytes),
                    s.N.ToString(CultureInfo.InvariantCulture),
                    Nanoseconds(s.Median),
                    Nanoseconds(s.Percentiles.P90),
                    Nanoseconds(s.Percentiles.Percentile(99)),
                    Nanoseconds(s.Max),
                    Format.Number(bytes / s.Median * 1000, "0"), // bytes/ns × 1000 = MB/s (10^6 bytes)
                    allocated is long a ? Format.Bytes(a) : "n/a",
                };
            }));
        report.Line("- N is BenchmarkDotNet's measured iterations; each figure is the time of one message (iteration time / invocations).");
        report.Line("- MB/s = encoded message bytes / median time, in 10^6 bytes per second. Decoding the `out` payload allocates its UTF-16 string (2 bytes per ASCII byte).");
        report.Publish(run, "codec-results.md");
    }

    private static string Nanoseconds(double ns) => ns switch
    {
        < 10_000 => ns.ToString("0.0", CultureInfo.InvariantCulture) + " ns",
        < 10_000_000 => (ns / 1000).ToString("0.0", CultureInfo.InvariantCulture) + " µs",
        _ => (ns / 1_000_000).ToString("0.00", CultureInfo.InvariantCulture) + " ms",
    };
}
