using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace NRepl.Benchmarks.Infrastructure;

/// <summary>
/// A server started by the benchmark: its stdout is scanned for the "started on port N" line,
/// the tail of its stderr is kept for error messages, and it is always stopped with its
/// descendants (the nREPL server's target process), also when the benchmark fails or is interrupted.
/// </summary>
internal sealed partial class ChildProcess : IDisposable
{
    private const int SigTerm = 15;
    private const int TailLines = 40;

    private static readonly ConcurrentDictionary<ChildProcess, byte> Live = new();

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stderrTail = new();
    private readonly ConcurrentQueue<string> _stdoutTail = new();
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Regex _portPattern;
    private readonly HashSet<int> _knownDescendants = new();
    private readonly string? _ownedDirectory;
    private int _stopped;

    private ChildProcess(string name, Process process, Regex portPattern, string? ownedDirectory)
    {
        Name = name;
        _process = process;
        _portPattern = portPattern;
        _ownedDirectory = ownedDirectory;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    /// <summary>Stopwatch timestamp taken just before the process was started.</summary>
    public long StartedAt { get; private set; }

    /// <summary>Stopwatch timestamp at which the port line was read.</summary>
    public long PortSeenAt { get; private set; }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <paramref name="fileName"/> in <paramref name="workingDirectory"/>, which is deleted when the process is stopped if <paramref name="ownsDirectory"/>.</summary>
    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, string workingDirectory, bool ownsDirectory, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (KeyValuePair<string, string> pair in environment ?? new Dictionary<string, string>())
        {
            info.Environment[pair.Key] = pair.Value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process, PortLine(), ownsDirectory ? workingDirectory : null);
        process.OutputDataReceived += (_, e) => child.OnStdout(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnStderr(e.Data);
        process.Exited += (_, _) => child._port.TrySetException(new InvalidOperationException(
            $"{name} exited (code {SafeExitCode(process)}) before printing its port.{child.Tails()}"));
        child.StartedAt = Stopwatch.GetTimestamp();
        try
        {
            if (!process.Start())
            {
                throw new InvalidOperationException($"Could not start {fileName}.");
            }
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            child.DeleteDirectory();
            throw new InvalidOperationException($"Could not start {name} ({fileName} {string.Join(' ', info.ArgumentList)}): {e.Message}", e);
        }

        Live[child] = 0;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for the "started on port N" line; throws with the output's tail if the process exits or the deadline passes.</summary>
    public int WaitForPort(TimeSpan timeout)
    {
        try
        {
            if (!_port.Task.Wait(timeout))
            {
                throw new TimeoutException($"{Name} did not print its port within {timeout.TotalSeconds:0} s.{Tails()}");
            }

            return _port.Task.Result;
        }
        catch (AggregateException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    /// <summary>Direct children of the process whose command line contains <paramref name="marker"/>; remembered so that they can be killed later.</summary>
    public int? FindChild(string marker)
    {
        foreach (int child in ProcFs.Children(Pid))
        {
            lock (_knownDescendants)
            {
                _knownDescendants.Add(child);
            }

            if (ProcFs.CommandLine(child).Contains(marker, StringComparison.Ordinal))
            {
                return child;
            }
        }

        return null;
    }

    /// <summary>
    /// Asks the process to stop (SIGTERM, so that the server shuts its target down and removes its files),
    /// waits up to <paramref name="grace"/>, then kills it and every descendant it had.
    /// </summary>
    public void Stop(TimeSpan grace)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        RememberDescendants();
        try
        {
            if (!_process.HasExited)
            {
                _ = Kill(Pid, SigTerm);
                if (!_process.WaitForExit(grace))
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(TimeSpan.FromSeconds(5));
                }
            }

            // Orphans (a target whose server died first) are no longer in the tree: kill them by pid.
            long deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 2;
            foreach (int pid in SnapshotDescendants())
            {
                WaitOrKill(pid, deadline);
            }

            _process.WaitForExit(TimeSpan.FromSeconds(2)); // drains redirected output
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            Live.TryRemove(this, out _);
            DeleteDirectory();
        }
    }

    /// <summary>Kills every process still running, at once (Ctrl-C, process exit).</summary>
    public static void KillAll()
    {
        foreach (ChildProcess child in Live.Keys)
        {
            child.RememberDescendants();
            try
            {
                child._process.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
            }

            foreach (int pid in child.SnapshotDescendants())
            {
                KillQuietly(pid);
            }

            Live.TryRemove(child, out _);
            child.DeleteDirectory();
        }
    }

    public void Dispose() => Stop(TimeSpan.FromSeconds(5));

    public string Tails()
    {
        string stderr = string.Join(Environment.NewLine, _stderrTail);
        string stdout = string.Join(Environment.NewLine, _stdoutTail);
        return (stdout.Length > 0 ? $"{Environment.NewLine}--- {Name} stdout (tail) ---{Environment.NewLine}{stdout}" : "")
            + (stderr.Length > 0 ? $"{Environment.NewLine}--- {Name} stderr (tail) ---{Environment.NewLine}{stderr}" : "");
    }

    private void OnStdout(string? line)
    {
        if (line is null)
        {
            return;
        }

        Enqueue(_stdoutTail, line);
        if (!_port.Task.IsCompleted)
        {
            Match match = _portPattern.Match(line);
            if (match.Success)
            {
                PortSeenAt = Stopwatch.GetTimestamp();
                _port.TrySetResult(int.Parse(match.Groups[1].ValueSpan, provider: System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }

    private void OnStderr(string? line)
    {
        if (line is not null)
        {
            Enqueue(_stderrTail, line);
        }
    }

    private static void Enqueue(ConcurrentQueue<string> tail, string line)
    {
        tail.Enqueue(line);
        while (tail.Count > TailLines && tail.TryDequeue(out _))
        {
        }
    }

    private void RememberDescendants()
    {
        try
        {
            foreach (int pid in ProcFs.Descendants(Pid))
            {
                lock (_knownDescendants)
                {
                    _knownDescendants.Add(pid);
                }
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private int[] SnapshotDescendants()
    {
        lock (_knownDescendants)
        {
            return _knownDescendants.ToArray();
        }
    }

    private static void WaitOrKill(int pid, long deadline)
    {
        try
        {
            using Process process = Process.GetProcessById(pid);
            TimeSpan remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (!process.WaitForExit(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero))
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Gone already.
        }
    }

    private static void KillQuietly(int pid)
    {
        try
        {
            using Process process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
    }

    private void DeleteDirectory()
    {
        if (_ownedDirectory is null)
        {
            return;
        }

        try
        {
            Directory.Delete(_ownedDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string SafeExitCode(Process process)
    {
        try
        {
            return process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }

    [GeneratedRegex(@"started on port (\d+)")]
    private static partial Regex PortLine();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
