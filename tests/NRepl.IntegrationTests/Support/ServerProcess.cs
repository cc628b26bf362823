using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace NRepl.IntegrationTests.Support;

/// <summary>
/// The real server (<c>dotnet NRepl.Server.dll --port 0</c>) in a fresh temporary working directory. The port
/// comes from the banner line on stdout; stderr (the logs) is kept for failure messages.
/// </summary>
internal sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private TaskCompletionSource _logged = new(TaskCreationOptions.RunContinuationsAsynchronously); // completed at each new log line

    private ServerProcess(Process process, string workingDirectory)
    {
        _process = process;
        WorkingDirectory = workingDirectory;
    }

    public string WorkingDirectory { get; }

    public int Port { get; private set; }

    public string Banner { get; private set; } = "";

    public string PortFilePath => Path.Combine(WorkingDirectory, ".nrepl-port");

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>What the server logged so far.</summary>
    public string Log
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Waits until the log contains <paramref name="text"/> (fails at the reply deadline).</summary>
    public async Task WaitForLogAsync(string text)
    {
        using var deadline = new CancellationTokenSource(Deadline.Reply);
        while (true)
        {
            Task next;
            lock (_stderr)
            {
                if (_stderr.ToString().Contains(text, StringComparison.Ordinal)) return;
                next = _logged.Task;
            }
            try
            {
                await next.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out waiting for the server to log \"{text}\". Log:{Environment.NewLine}{Log}");
            }
        }
    }

    /// <summary>Starts the server and waits for its banner.</summary>
    public static Task<ServerProcess> StartAsync(params string[] arguments) =>
        WithBannerAsync(Launch(arguments.Length == 0 ? ["--port", "0"] : arguments));

    /// <summary>Starts the server without waiting for anything (for servers expected to refuse to start).</summary>
    public static ServerProcess Launch(params string[] arguments) =>
        Launch("dotnet", [ServerDll, .. arguments], Directory.CreateTempSubdirectory("nrepl-it-").FullName, new Dictionary<string, string>());

    /// <summary>
    /// Runs an installed server by its own command line (e.g. a systemd unit's ExecStart) in
    /// <paramref name="workingDirectory"/> with <paramref name="environment"/> added, and waits for its banner.
    /// </summary>
    public static Task<ServerProcess> StartCommandAsync(string executable, IReadOnlyList<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string> environment) =>
        WithBannerAsync(Launch(executable, arguments, workingDirectory, environment));

    private static async Task<ServerProcess> WithBannerAsync(ServerProcess server)
    {
        try
        {
            await server.ReadBannerAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private static ServerProcess Launch(string executable, IReadOnlyList<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        var startInfo = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment) startInfo.Environment[key] = value;

        var process = new Process { StartInfo = startInfo };
        var server = new ServerProcess(process, workingDirectory);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                TaskCompletionSource logged;
                lock (server._stderr)
                {
                    server._stderr.AppendLine(e.Data);
                    logged = server._logged;
                    server._logged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                logged.TrySetResult();
            }
        };
        process.Start();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Sends SIGTERM, as systemd or Ctrl-C would, and waits for the process to exit.</summary>
    public async Task TerminateAsync()
    {
        await SendSigtermAsync();
        await WaitForExitAsync();
    }

    /// <summary>Sends SIGTERM without waiting for the process to exit; it has been delivered when this returns.</summary>
    public async Task SendSigtermAsync()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        Assert.That(kill.ExitCode, Is.Zero, "kill -TERM failed");
    }

    /// <summary>Waits for the process to exit, failing the test if it has not within <paramref name="within"/> (default <see cref="Deadline.Process"/>).</summary>
    public async Task WaitForExitAsync(TimeSpan? within = null)
    {
        var bound = within ?? Deadline.Process;
        using var deadline = new CancellationTokenSource(bound);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The server did not exit within {bound.TotalSeconds:0.#} s. Log:" + Environment.NewLine + Log);
        }
    }

    /// <summary>Reads all of stdout after the process exited.</summary>
    public Task<string> ReadRemainingOutputAsync() => _process.StandardOutput.ReadToEndAsync();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var deadline = new CancellationTokenSource(Deadline.Process);
            await _process.WaitForExitAsync(deadline.Token);
        }

        _process.Dispose();
        Directory.Delete(WorkingDirectory, recursive: true);
    }

    private async Task ReadBannerAsync()
    {
        using var deadline = new CancellationTokenSource(Deadline.Process);
        try
        {
            var line = await _process.StandardOutput.ReadLineAsync(deadline.Token);
            if (line is null)
            {
                Assert.Fail("The server exited before printing its banner. Log:" + Environment.NewLine + Log);
            }

            var match = BannerPattern().Match(line!);
            Assert.That(match.Success, Is.True, $"Unexpected first stdout line: {line}{Environment.NewLine}Log:{Environment.NewLine}{Log}");
            Banner = line!;
            Port = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail("No banner from the server in time. Log:" + Environment.NewLine + Log);
        }
    }

    /// <summary>
    /// The server's build output: src/NRepl.Server/bin/&lt;configuration&gt;/&lt;tfm&gt;/ next to this test's own
    /// bin/&lt;configuration&gt;/&lt;tfm&gt;/ (the project reference builds it), unless NREPL_SERVER_DLL names one.
    /// </summary>
    private static string ServerDll
    {
        get
        {
            if (Environment.GetEnvironmentVariable("NREPL_SERVER_DLL") is { Length: > 0 } configured)
            {
                return configured;
            }

            var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var framework = output.Name;
            var configuration = output.Parent!.Name;
            var dll = Path.Combine(Repository.Root, "src", "NRepl.Server", "bin", configuration, framework, "NRepl.Server.dll");
            Assert.That(File.Exists(dll), Is.True, "server not built: " + dll);
            return dll;
        }
    }

    [GeneratedRegex(@"^nREPL server started on port (\d+) on host 127\.0\.0\.1 - nrepl://127\.0\.0\.1:\1$")]
    private static partial Regex BannerPattern();
}
