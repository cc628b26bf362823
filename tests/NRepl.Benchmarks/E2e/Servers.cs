using NRepl.Benchmarks.Infrastructure;

namespace NRepl.Benchmarks.E2e;

/// <summary>Starts the C# nREPL server (Release build) and Debian's reference Clojure nREPL server.</summary>
internal static class Servers
{
    public static readonly TimeSpan PortTimeout = TimeSpan.FromSeconds(60);

    private static readonly string[] ClojureJars =
    {
        "/usr/share/java/clojure.jar",
        "/usr/share/java/nrepl.jar",
        "/usr/share/java/spec.alpha.jar",
        "/usr/share/java/core.specs.alpha.jar",
    };

    /// <summary>src/NRepl.Server/bin/&lt;configuration&gt;/net10.0/NRepl.Server.dll, or NREPL_BENCH_SERVER_DLL.</summary>
    public static string ServerDll(RunInfo run)
    {
        string? overridden = Environment.GetEnvironmentVariable("NREPL_BENCH_SERVER_DLL");
        string dll = !string.IsNullOrEmpty(overridden)
            ? Path.GetFullPath(overridden)
            : Path.Combine(run.RepositoryRoot, "src", "NRepl.Server", "bin", run.Configuration, "net10.0", "NRepl.Server.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException(
                $"The server is not built: {dll} is missing. Build it with `dotnet build -c Release src/NRepl.Server` "
                + "(`dotnet run -c Release --project tests/NRepl.Benchmarks` builds it too).");
        }

        return dll;
    }

    /// <summary>Starts <c>dotnet NRepl.Server.dll --port 0</c> in a fresh temporary directory (removed when it stops).</summary>
    public static ChildProcess StartCSharp(RunInfo run, string name = "nREPL C# server", string? dll = null)
    {
        dll ??= ServerDll(run);
        string dir = Directory.CreateTempSubdirectory("nrepl-bench-").FullName;
        return ChildProcess.Start(name, DotnetHost(), new[] { dll, "--port", "0" }, dir, ownsDirectory: true);
    }

    /// <summary>
    /// Publishes the server as deploy/install.sh does (Release, linux-x64, framework-dependent, ReadyToRun) into a
    /// temporary directory and returns its NRepl.Server.dll.
    /// </summary>
    public static string PublishReadyToRun(RunInfo run, string directory)
    {
        var start = new System.Diagnostics.ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in new[]
        {
            "publish", Path.Combine(run.RepositoryRoot, "src", "NRepl.Server"), "-c", "Release", "-r", "linux-x64",
            "--self-contained", "false", "-p:PublishReadyToRun=true", "-o", directory,
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var publish = System.Diagnostics.Process.Start(start)!;
        var output = publish.StandardOutput.ReadToEndAsync();
        var errors = publish.StandardError.ReadToEndAsync();
        if (!publish.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            publish.Kill(entireProcessTree: true);
            throw new TimeoutException("dotnet publish did not finish within 10 minutes.");
        }

        if (publish.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish failed ({publish.ExitCode}):\n{output.Result}\n{errors.Result}");
        }

        return Path.Combine(directory, "NRepl.Server.dll");
    }

    /// <summary>Why the reference server cannot run here, or null when it can.</summary>
    public static string? ReferenceUnavailableReason()
    {
        string? missing = ClojureJars.FirstOrDefault(j => !File.Exists(j));
        if (missing is not null)
        {
            return $"{missing} is missing (apt-get install clojure libnrepl-clojure)";
        }

        return FindOnPath("java") is null ? "java is not on PATH (apt-get install clojure libnrepl-clojure)" : null;
    }

    /// <summary>Starts Debian's Clojure nREPL server on 127.0.0.1 with a free port, in a fresh temporary directory.</summary>
    public static ChildProcess StartReference()
    {
        string dir = Directory.CreateTempSubdirectory("nrepl-bench-ref-").FullName;
        string java = FindOnPath("java") ?? "java";
        return ChildProcess.Start(
            "reference Clojure nREPL server",
            java,
            new[] { "-cp", string.Join(':', ClojureJars), "clojure.main", "-m", "nrepl.cmdline", "--port", "0", "--bind", "127.0.0.1" },
            dir,
            ownsDirectory: true);
    }

    private static string DotnetHost()
    {
        string? hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(hostPath) && File.Exists(hostPath))
        {
            return hostPath;
        }

        string? root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(root) && File.Exists(Path.Combine(root, "dotnet")))
        {
            return Path.Combine(root, "dotnet");
        }

        return FindOnPath("dotnet") ?? "dotnet";
    }

    private static string? FindOnPath(string program)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
