using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NRepl.Runtime.Contract;

namespace NRepl.Server.Target;

/// <summary>
/// One launched target process and its connection: the pending requests and evals, the reader loop,
/// the captured stdout/stderr, and the detection of its death (process exit or end of the connection,
/// whichever comes first). When it dies, every pending request and eval fails with
/// <see cref="TargetDiedException"/>.
/// </summary>
internal sealed class TargetProcess
{
    /// <summary>After the connection ends, how long the process may take to exit before it is killed.</summary>
    private static readonly TimeSpan ExitAfterEofTimeout = TimeSpan.FromSeconds(5);

    /// <summary>After exit, how long to wait for the rest of its stderr (the explanation of the death).</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    private readonly Process _process;
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly FrameWriter _writer;
    private readonly FrameReader _reader;
    private readonly ITargetOutputSink _sink;
    private readonly ILogger _logger;
    private readonly StderrTail _tail;
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;
    private readonly object _gate = new();
    private readonly Dictionary<long, TaskCompletionSource<TargetMessage>> _requests = [];
    private readonly Dictionary<long, TaskCompletionSource<EvalCompleted>> _evals = [];
    private readonly TaskCompletionSource<TargetExit> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<TargetProcess, TargetExit, bool> _onDied;
    private string? _stopReason;
    private string? _killReason;
    private TargetHeartbeat? _heartbeat;
    private int _dying;
    private bool _dead;

    private TargetProcess(Process process, Socket socket, Hello hello, FrameReader reader, StderrTail tail, Task stdoutPump, Task stderrPump,
        ITargetOutputSink sink, ILogger logger, Action<TargetProcess, TargetExit, bool> onDied)
    {
        _process = process;
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _sink = sink;
        _logger = logger;
        _tail = tail;
        _stdoutPump = stdoutPump;
        _stderrPump = stderrPump;
        _onDied = onDied;
        Hello = hello;
        ProcessId = process.Id;
        _reader = reader;
        _writer = new FrameWriter(_stream, $"target {process.Id} writer", e => _ = DieAsync($"writing to the target failed: {e.Message}"));
    }

    /// <summary>
    /// Starts reading and watching the process, and pings it when <paramref name="heartbeat"/> is given;
    /// separate from construction so the owner can publish it first.
    /// </summary>
    public void Begin(TargetHeartbeat? heartbeat)
    {
        _heartbeat = heartbeat;
        _ = ReadLoopAsync(_reader);
        _ = WatchExitAsync();
        heartbeat?.Start();
    }

    /// <summary>
    /// Kills the process as a death, not a stop: evals and requests fail with <paramref name="reason"/> and the
    /// owner recovers as from any crash. For a target that stopped answering, where nothing gentler gets through.
    /// </summary>
    public async Task KillAsync(string reason)
    {
        Interlocked.CompareExchange(ref _killReason, reason, null);
        KillTree(_process);
        await Exited.ConfigureAwait(false);
    }

    public Hello Hello { get; }

    public int ProcessId { get; }

    /// <summary>True until the process is known to be dying or dead.</summary>
    public bool IsAlive => Volatile.Read(ref _dying) == 0;

    /// <summary>Completes with the exit description once the process is dead and all pending work has failed.</summary>
    public Task<TargetExit> Exited => _exited.Task;

    /// <summary>Launches the target, waits for its connection and Hello, and checks them.</summary>
    public static async Task<TargetProcess> StartAsync(TargetOptions options, ITargetOutputSink sink, ILogger logger,
        Action<TargetProcess, TargetExit, bool> onDied, CancellationToken ct)
    {
        if (!File.Exists(options.RuntimePath)) throw new FileNotFoundException($"The target runtime was not found at {options.RuntimePath}.", options.RuntimePath);

        // A private directory (0700) so no other user can connect to, or replace, the socket.
        var directory = Directory.CreateTempSubdirectory("nrepl-target-");
        Process? process = null;
        Socket? connection = null;
        try
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(directory.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            var socketPath = Path.Combine(directory.FullName, "ipc.sock");
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            listener.Listen(1);

            var start = new ProcessStartInfo(DotnetHost(options))
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = Environment.CurrentDirectory,
            };
            start.ArgumentList.Add(options.RuntimePath);
            start.ArgumentList.Add("--ipc");
            start.ArgumentList.Add(socketPath);
            start.ArgumentList.Add("--interrupt-grace-ms");
            start.ArgumentList.Add(((long)options.InterruptGrace.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
            // Hot reload works only when this is set before the runtime starts.
            start.Environment["DOTNET_MODIFIABLE_ASSEMBLIES"] = "debug";

            process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}.");
            // The target never reads its real stdin; closing it keeps it from ever taking the server's terminal.
            process.StandardInput.Close();
            var tail = new StderrTail();
            var pid = process.Id;
            var stdoutPump = PumpAsync(process.StandardOutput, "stdout", pid, tail, logger);
            var stderrPump = PumpAsync(process.StandardError, "stderr", pid, tail, logger);

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.StartTimeout);
            var accept = listener.AcceptAsync(timeout.Token).AsTask();
            var exit = process.WaitForExitAsync(timeout.Token);
            await Task.WhenAny(accept, exit).ConfigureAwait(false);
            if (!accept.IsCompletedSuccessfully)
            {
                ct.ThrowIfCancellationRequested();
                if (process.HasExited)
                {
                    await Task.WhenAll(stdoutPump, stderrPump).WaitAsync(DrainTimeout, CancellationToken.None).ConfigureAwait(false);
                    throw new TargetDiedException(Describe(process.ExitCode, tail, "the target exited before connecting"));
                }
                throw new TimeoutException($"The target (pid {pid}) did not connect within {options.StartTimeout.TotalSeconds:0.#} s.");
            }
            connection = accept.Result;
            // Connected: the socket file is no longer needed.
            directory.Delete(recursive: true);

            var reader = new FrameReader(new NetworkStream(connection, ownsSocket: false));
            var first = await reader.ReadAsync(timeout.Token).ConfigureAwait(false);
            if (first is not Hello hello)
            {
                throw new InvalidOperationException($"The target's first message was {first?.Kind.ToString() ?? "end of stream"}, not Hello.");
            }
            if (hello.ContractVersion != ContractVersion.Current)
            {
                throw new InvalidOperationException(
                    $"The target at {options.RuntimePath} speaks contract version {hello.ContractVersion}, this server version {ContractVersion.Current}; server and runtime are from different builds.");
            }
            if (!hello.HotReloadSupported)
            {
                throw new InvalidOperationException(
                    $"The target (pid {hello.ProcessId}, {hello.RuntimeVersion}) reports that hot reload is not supported; DOTNET_MODIFIABLE_ASSEMBLIES=debug did not take effect.");
            }
            logger.LogInformation("Target started: pid {Pid}, {Runtime}", hello.ProcessId, hello.RuntimeVersion);
            return new TargetProcess(process, connection, hello, reader, tail, stdoutPump, stderrPump, sink, logger, onDied);
        }
        catch
        {
            connection?.Dispose();
            if (process is not null)
            {
                KillTree(process);
                process.Dispose();
            }
            TryDelete(directory);
            throw;
        }
    }

    /// <summary>Queues a message to the target; false if it is dead.</summary>
    public bool Post(TargetMessage message) => IsAlive && _writer.Post(message);

    /// <summary>Sends a request and waits for the reply with the same request id.</summary>
    public async Task<TargetMessage> RequestAsync(long requestId, TargetMessage request, CancellationToken ct)
    {
        var reply = new TaskCompletionSource<TargetMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool registered;
        lock (_gate)
        {
            registered = !_dead && _requests.TryAdd(requestId, reply);
        }
        if (!registered) throw new TargetDiedException(await Exited.ConfigureAwait(false));
        _writer.Post(request);
        try
        {
            return await reply.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate) _requests.Remove(requestId);
        }
    }

    /// <summary>Starts an eval and waits for its completion; cancellation interrupts it (and still waits for its reply).</summary>
    public async Task<EvalCompleted> RunEvalAsync(StartEval start, CancellationToken ct)
    {
        var completion = new TaskCompletionSource<EvalCompleted>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool registered;
        lock (_gate)
        {
            registered = !_dead && _evals.TryAdd(start.EvalId, completion);
            if (!registered && !_dead) throw new InvalidOperationException($"Eval {start.EvalId} is already running.");
        }
        if (!registered) throw new TargetDiedException(await Exited.ConfigureAwait(false));

        _writer.Post(start);
        using var interruptOnCancel = ct.Register(static s =>
        {
            var (self, evalId) = ((TargetProcess, long))s!;
            self.Post(new Interrupt(evalId));
        }, (this, start.EvalId));
        return await completion.Task.ConfigureAwait(false);
    }

    /// <summary>Asks the target to exit and waits (bounded) before killing it.</summary>
    public async Task StopAsync(string reason, bool graceful, TimeSpan timeout)
    {
        Interlocked.CompareExchange(ref _stopReason, reason, null);
        if (graceful && IsAlive)
        {
            _writer.Post(new Shutdown());
            try
            {
                await _process.WaitForExitAsync().WaitAsync(timeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _logger.LogWarning("Target {Pid} did not exit within {Timeout}; killing it.", ProcessId, timeout);
            }
            catch (InvalidOperationException)
            {
                // It died (and was cleaned up) meanwhile.
            }
        }
        KillTree(_process);
        await DieAsync(reason).ConfigureAwait(false);
        await Exited.ConfigureAwait(false);
    }

    private async Task ReadLoopAsync(FrameReader reader)
    {
        string reason;
        try
        {
            while (true)
            {
                RawFrame? frame = await reader.ReadFrameAsync().ConfigureAwait(false);
                if (frame is not { } f)
                {
                    reason = "the target closed the connection";
                    break;
                }
                TargetMessage message;
                try
                {
                    message = MessageSerializer.Deserialize(f.Kind, f.Payload);
                }
                catch (InvalidDataException e)
                {
                    _logger.LogWarning("Ignored a bad message from target {Pid}: {Error}", ProcessId, e.Message);
                    continue;
                }
                Dispatch(message);
            }
        }
        catch (Exception e)
        {
            reason = $"reading from the target failed: {e.Message}";
        }
        await DieAsync(reason).ConfigureAwait(false);
    }

    private void Dispatch(TargetMessage message)
    {
        switch (message)
        {
            case Output output:
                try { _sink.OnOutput(output); }
                catch (Exception e) { _logger.LogError(e, "The output sink threw."); }
                break;
            case NeedInput needInput:
                try { _sink.OnNeedInput(needInput); }
                catch (Exception e) { _logger.LogError(e, "The output sink threw on NeedInput."); }
                break;
            case Pong pong:
                _heartbeat?.Answered(pong);
                break;
            case EvalCompleted completed:
                TaskCompletionSource<EvalCompleted>? eval;
                lock (_gate) _evals.Remove(completed.EvalId, out eval);
                if (eval is null) _logger.LogWarning("Target {Pid} completed unknown eval {EvalId}.", ProcessId, completed.EvalId);
                eval?.TrySetResult(completed);
                break;
            case ITargetReply reply:
                CompleteRequest(reply.RequestId, message);
                break;
            case Log log:
                _logger.Log(log.Severity switch
                {
                    LogSeverity.Debug => LogLevel.Debug,
                    LogSeverity.Info => LogLevel.Information,
                    LogSeverity.Warning => LogLevel.Warning,
                    _ => LogLevel.Error,
                }, "Target {Pid}: {Message}", ProcessId, log.Message);
                break;
            default:
                _logger.LogWarning("Unexpected {Kind} from target {Pid}; ignored.", message.Kind, ProcessId);
                break;
        }
    }

    private void CompleteRequest(long requestId, TargetMessage reply)
    {
        TaskCompletionSource<TargetMessage>? request;
        lock (_gate) _requests.Remove(requestId, out request);
        if (request is null) _logger.LogWarning("Target {Pid} answered unknown request {RequestId}.", ProcessId, requestId);
        request?.TrySetResult(reply);
    }

    private async Task WatchExitAsync()
    {
        await _process.WaitForExitAsync().ConfigureAwait(false);
        await DieAsync("the target process exited").ConfigureAwait(false);
    }

    /// <summary>Runs once, on whichever of exit, end of stream or a failed write is noticed first.</summary>
    private async Task DieAsync(string trigger)
    {
        if (Interlocked.Exchange(ref _dying, 1) != 0) return;
        // Decided now: a stop requested after the process had already died on its own does not hide that death.
        var stopReason = Volatile.Read(ref _stopReason);
        try
        {
            // End of the connection usually means the process is on its way out; give it a bounded moment.
            try
            {
                await _process.WaitForExitAsync().WaitAsync(ExitAfterEofTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _logger.LogWarning("Target {Pid}: {Trigger}, but the process is still alive; killing it.", ProcessId, trigger);
                KillTree(_process);
                await _process.WaitForExitAsync().WaitAsync(ExitAfterEofTimeout).ConfigureAwait(false);
            }
            try
            {
                await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(DrainTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // A grandchild may hold the pipes open; the tail we have must do.
            }
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Target {Pid}: waiting for its exit failed.", ProcessId);
        }

        int? exitCode = _process.HasExited ? _process.ExitCode : null;
        _heartbeat?.Dispose();
        var exit = (stopReason ?? Volatile.Read(ref _killReason)) is { } reason
            ? new TargetExit(exitCode, reason, _tail.ToString())
            : Describe(exitCode, _tail, trigger);

        List<TaskCompletionSource<TargetMessage>> requests;
        List<TaskCompletionSource<EvalCompleted>> evals;
        lock (_gate)
        {
            _dead = true;
            requests = [.. _requests.Values];
            evals = [.. _evals.Values];
            _requests.Clear();
            _evals.Clear();
        }
        var died = new TargetDiedException(exit);
        foreach (var request in requests) request.TrySetException(died);
        foreach (var eval in evals) eval.TrySetException(died);

        _writer.Dispose();
        _stream.Dispose();
        _socket.Dispose();
        _process.Dispose();
        if (stopReason is null) _logger.LogWarning("Target {Pid} died: {Reason} (exit code {ExitCode}).", ProcessId, exit.Reason, exit.ExitCode);
        _exited.TrySetResult(exit);
        _onDied(this, exit, stopReason is not null);
    }

    private static TargetExit Describe(int? exitCode, StderrTail tail, string trigger) =>
        new(exitCode, TargetExitClassifier.Classify(exitCode, tail.Lines()) ?? trigger, tail.ToString());

    private static async Task PumpAsync(StreamReader reader, string name, int pid, StderrTail tail, ILogger logger)
    {
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                tail.Add(line);
                logger.LogDebug("Target {Pid} {Stream}: {Line}", pid, name, line);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The pipe broke with the process; what was read is kept.
        }
    }

    private static string DotnetHost(TargetOptions options)
    {
        if (options.DotnetHostPath is { Length: > 0 } configured) return configured;
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath)) return hostPath;
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root && File.Exists(Path.Combine(root, "dotnet"))) return Path.Combine(root, "dotnet");
        return "dotnet";
    }

    private static void KillTree(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }

    private static void TryDelete(DirectoryInfo directory)
    {
        try
        {
            if (directory.Exists) directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover empty temp directory is harmless.
        }
    }
}
