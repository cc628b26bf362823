using System.Globalization;

namespace NRepl.Benchmarks.Infrastructure;

/// <summary>Linux /proc readings: resident memory and child processes.</summary>
internal static class ProcFs
{
    /// <summary>VmRSS of <paramref name="pid"/> in bytes, or null when the process is gone or /proc is unavailable.</summary>
    public static long? RssBytes(int pid) => StatusField(pid, "VmRSS:");

    /// <summary>VmHWM (peak resident set) of <paramref name="pid"/> in bytes.</summary>
    public static long? PeakRssBytes(int pid) => StatusField(pid, "VmHWM:");

    /// <summary>
    /// Resets VmHWM of <paramref name="pid"/> to its current VmRSS (writes 5 to /proc/PID/clear_refs,
    /// Linux 4.0+), so that a later <see cref="PeakRssBytes"/> is the peak since now. False when not allowed.
    /// </summary>
    public static bool ResetPeakRss(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long? StatusField(int pid, string field)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    // "VmRSS:\t  123456 kB"
                    string[] parts = line[field.Length..].Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[0], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>Direct children of <paramref name="pid"/>, from /proc/PID/task/*/children.</summary>
    public static IReadOnlyList<int> Children(int pid)
    {
        var children = new List<int>();
        try
        {
            foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    foreach (string token in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out int child) && !children.Contains(child))
                        {
                            children.Add(child);
                        }
                    }
                }
                catch (IOException)
                {
                    // The thread ended while we listed it.
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return children;
    }

    /// <summary>All descendants of <paramref name="pid"/>, children first.</summary>
    public static IReadOnlyList<int> Descendants(int pid)
    {
        var result = new List<int>();
        var pending = new Queue<int>(Children(pid));
        while (pending.Count > 0 && result.Count < 1000)
        {
            int next = pending.Dequeue();
            if (!result.Contains(next))
            {
                result.Add(next);
                foreach (int child in Children(next))
                {
                    pending.Enqueue(child);
                }
            }
        }

        return result;
    }

    /// <summary>The command line of <paramref name="pid"/> with its arguments joined by spaces; empty when unknown.</summary>
    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    public static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}") && !IsZombie(pid);

    private static bool IsZombie(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] == 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
