using System.Diagnostics;
using System.Globalization;

namespace NRepl.Benchmarks.Infrastructure;

/// <summary>
/// Durations of one measurement, summarised by nearest-rank percentiles. Milliseconds unless the
/// caller keeps another unit throughout (the call-cost rows add nanoseconds with <see cref="Add"/>).
/// </summary>
internal sealed class Samples
{
    private readonly List<double> _milliseconds;

    public Samples(int capacity = 64) => _milliseconds = new List<double>(capacity);

    public Samples(IEnumerable<double> milliseconds) => _milliseconds = milliseconds.ToList();

    public int Count => _milliseconds.Count;

    public void Add(double milliseconds) => _milliseconds.Add(milliseconds);

    /// <summary>Adds the time between two <see cref="Stopwatch.GetTimestamp"/> readings.</summary>
    public void AddTicks(long from, long to) => _milliseconds.Add(TicksToMs(to - from));

    public void AddRange(Samples other) => _milliseconds.AddRange(other._milliseconds);

    public static double TicksToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    public Summary Summarise()
    {
        if (_milliseconds.Count == 0)
        {
            throw new InvalidOperationException("No samples were taken.");
        }

        double[] sorted = _milliseconds.ToArray();
        Array.Sort(sorted);
        return new Summary(sorted.Length, Percentile(sorted, 50), Percentile(sorted, 90), Percentile(sorted, 99), sorted[^1], sorted[0], sorted.Average());
    }

    /// <summary>Nearest rank: the smallest sample with at least <paramref name="p"/>% of the samples at or below it.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        int rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    internal readonly record struct Summary(int N, double Median, double P90, double P99, double Max, double Min, double Mean);
}

internal static class Format
{
    public static string Ms(double ms) => ms switch
    {
        < 1 => ms.ToString("0.000", CultureInfo.InvariantCulture) + " ms",
        < 100 => ms.ToString("0.00", CultureInfo.InvariantCulture) + " ms",
        _ => ms.ToString("0", CultureInfo.InvariantCulture) + " ms",
    };

    /// <summary>Nanoseconds (the call-cost rows keep ns, not ms, in their samples).</summary>
    public static string Ns(double ns) => ns switch
    {
        < 10 => ns.ToString("0.00", CultureInfo.InvariantCulture) + " ns",
        < 100 => ns.ToString("0.0", CultureInfo.InvariantCulture) + " ns",
        _ => ns.ToString("0", CultureInfo.InvariantCulture) + " ns",
    };

    public static string Number(double value, string format = "0.##") => value.ToString(format, CultureInfo.InvariantCulture);

    public static string MiB(long bytes) => MiB((double)bytes);

    public static string MiB(double bytes) => (bytes / (1024.0 * 1024.0)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";

    public static string Bytes(double bytes) => bytes switch
    {
        < 10 * 1024 => bytes.ToString("0", CultureInfo.InvariantCulture) + " B",
        < 10 * 1024 * 1024 => (bytes / 1024).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => (bytes / (1024 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
    };
}
