using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;

namespace NRepl.Benchmarks.Infrastructure;

/// <summary>Where the run happens: repository, commit, machine, configuration.</summary>
internal sealed class RunInfo
{
    private RunInfo(string repositoryRoot, string commit, string configuration, bool quick, string command)
    {
        RepositoryRoot = repositoryRoot;
        Commit = commit;
        Configuration = configuration;
        Quick = quick;
        Command = command;
    }

    public string RepositoryRoot { get; }

    public string Commit { get; }

    public string Configuration { get; }

    public bool Quick { get; }

    public string Command { get; }

    public int Cores => Environment.ProcessorCount;

    private readonly string _loadAtStart = LoadAverage();

    /// <summary>The first three fields of /proc/loadavg, or "n/a".</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    public string ArtifactsDirectory => Path.Combine(Environment.CurrentDirectory, "BenchmarkDotNet.Artifacts");

    public static RunInfo Detect(bool quick, string command)
    {
        string root = FindRepositoryRoot();
        string configuration = typeof(RunInfo).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "unknown";
        return new RunInfo(root, GitCommit(root), configuration, quick, command);
    }

    /// <summary>The directory holding nrepl.sln above this program's output directory (or the working directory).</summary>
    private static string FindRepositoryRoot()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "nrepl.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("Cannot find the repository (nrepl.sln) above " + AppContext.BaseDirectory);
    }

    /// <summary><c>git rev-parse --short HEAD</c>, with "-dirty" when tracked files differ from it; "unknown" without git.</summary>
    private static string GitCommit(string root)
    {
        string? commit = RunGit(root, "rev-parse", "--short", "HEAD");
        if (string.IsNullOrWhiteSpace(commit))
        {
            return "unknown";
        }

        string? changes = RunGit(root, "status", "--porcelain", "--untracked-files=no");
        return commit.Trim() + (string.IsNullOrWhiteSpace(changes) ? "" : "-dirty");
    }

    private static string? RunGit(string root, params string[] arguments)
    {
        try
        {
            var info = new ProcessStartInfo("git")
            {
                WorkingDirectory = root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            using Process process = Process.Start(info)!;
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill();
                return null;
            }

            return process.ExitCode == 0 ? output.Result : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The header every report starts with.</summary>
    public IEnumerable<string> HeaderLines()
    {
        yield return $"- Command: `{Command}`{(Quick ? " (quick smoke mode: few iterations, figures are not meaningful)" : "")}";
        yield return $"- Date: {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC";
        yield return $"- Commit: {Commit}";
        yield return $"- Machine: {Cores} cores (Environment.ProcessorCount), {RuntimeInformation.OSDescription.Trim()}, {RuntimeInformation.ProcessArchitecture}, {RuntimeInformation.FrameworkDescription}";
        yield return $"- Load average (1/5/15 min) when the run started: {_loadAtStart}; when this report was written: {LoadAverage()} (other work on the machine shows up here)";
        yield return "- Latencies: nearest-rank percentiles over N samples; with N < 100 p99 is the maximum.";
    }
}
