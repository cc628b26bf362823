using System.Reflection.Metadata;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using NRepl.Runtime.Contract;
using NRepl.Runtime.Evaluation;
using NRepl.Runtime.IO;
using NRepl.Runtime.Migration;

namespace NRepl.Runtime.Hosting;

/// <summary>Settings of the target process, from its command line.</summary>
internal sealed record TargetHostOptions(string IpcPath, TimeSpan InterruptGrace)
{
    public static readonly TimeSpan DefaultInterruptGrace = TimeSpan.FromSeconds(1);

    /// <summary>Parses <c>--ipc &lt;path&gt; [--interrupt-grace-ms N]</c>; null with an error text when invalid.</summary>
    public static TargetHostOptions? Parse(string[] args, out string? error)
    {
        string? ipc = null;
        var grace = DefaultInterruptGrace;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--ipc" when i + 1 < args.Length:
                    ipc = args[++i];
                    break;
                case "--interrupt-grace-ms" when i + 1 < args.Length && int.TryParse(args[i + 1], out var ms) && ms >= 0:
                    grace = TimeSpan.FromMilliseconds(ms);
                    i++;
                    break;
                default:
                    error = $"Unexpected argument '{args[i]}'. Usage: NRepl.Runtime --ipc <unix-socket-path> [--interrupt-grace-ms N]";
                    return null;
            }
        }
        if (ipc is null)
        {
            error = "Missing --ipc <unix-socket-path>.";
            return null;
        }
        error = null;
        return new TargetHostOptions(ipc, grace);
    }
}

/// <summary>
/// The target's control loop: says Hello, then reads the server's messages on the calling thread
/// (never the thread pool, which user code may exhaust) and dispatches them until Shutdown or end of stream.
/// </summary>
internal sealed class TargetHost
{
    private readonly Stream _connection;
    private readonly FrameWriter _writer;
    private readonly WorldHost _world = new();
    private readonly EvalRunner _evals;
    private readonly ConsoleRouter _console;
    private readonly MigrationExecutor _migrations;
    private readonly MigrationWorker _migrationWorker;

    // The eval whose redefinition the current migration is: its later steps run as that eval too.
    private (long EvalId, string SessionId) _migrationOwner = (0, "");

    public TargetHost(Stream connection, TargetHostOptions options)
    {
        _connection = connection;
        _writer = new FrameWriter(connection, "target writer");
        _evals = new EvalRunner(_world, Post, options.InterruptGrace);
        _console = new ConsoleRouter(Post);
        _migrations = new MigrationExecutor(_world, Post, FlushMigrationOutput);
        _migrationWorker = new MigrationWorker(Post);
    }

    /// <summary>Runs until Shutdown or the server closes the connection. Returns the process exit code.</summary>
    public int Run()
    {
        _console.Install();
        // Environment.Exit in user code runs this on the exiting thread: the text the code wrote just
        // before exiting still reaches the editor (FailFast and stack overflows run no handlers).
        AppDomain.CurrentDomain.ProcessExit += (_, _) => FlushBeforeExit();
        // A live program's stray thread must not take the world down with it: an exception nothing caught
        // (a thread, the pool, a timer, async void) ends only its own thread, and the editor is told.
        ExceptionHandling.SetUnhandledExceptionHandler(ReportUnhandled);
        Post(new Hello(ContractVersion.Current, Environment.ProcessId, RuntimeInformation.FrameworkDescription, MetadataUpdater.IsSupported));

        var reader = new FrameReader(_connection);
        while (true)
        {
            RawFrame? frame;
            try
            {
                frame = reader.ReadFrame();
            }
            catch (Exception e) when (e is IOException or InvalidDataException or ObjectDisposedException)
            {
                // A broken or corrupted link cannot be resynchronized; the server restarts us.
                Post(new Log(LogSeverity.Error, $"Reading from the server failed: {e.Message}"));
                break;
            }
            if (frame is not { } f) break;

            TargetMessage message;
            try
            {
                message = MessageSerializer.Deserialize(f.Kind, f.Payload);
            }
            catch (InvalidDataException e)
            {
                Post(new Log(LogSeverity.Error, $"Ignored a bad message: {e.Message}"));
                continue;
            }
            if (message is Shutdown) break;
            try
            {
                Dispatch(message);
            }
            catch (Exception e)
            {
                Post(new Log(LogSeverity.Error, $"Handling {message.Kind} failed: {e}"));
            }
        }

        FlushBeforeExit();
        return 0;
    }

    private void FlushBeforeExit()
    {
        OutputBuffer.FlushAll();
        _writer.Complete();
        // Bounded: a server that stopped reading must not keep the process alive.
        _writer.Finished.Wait(TimeSpan.FromSeconds(2));
    }

    private void Post(TargetMessage message) => _writer.Post(message);

    /// <summary>
    /// Runs on the thread whose exception nobody caught. Its text goes to the err of the eval that started
    /// the code (the eval context flows into threads, tasks and timers), or to the ambient err otherwise,
    /// which reaches sessions subscribed with out-subscribe.
    /// </summary>
    private bool ReportUnhandled(Exception exception)
    {
        try
        {
            var report = ExceptionReport.Create(ExceptionReport.Unwrap(exception), _world.Assembly, _world.Symbols);
            var thread = Thread.CurrentThread;
            var where = thread.IsThreadPoolThread ? "a thread-pool thread" : $"thread {thread.ManagedThreadId}" + (thread.Name is { } name ? $" '{name}'" : "");
            Console.Error.Write($"Unhandled exception on {where}; that thread ended, the target keeps running:\n{report.Text}\n");
            EvalContext.Current?.FlushOutput();
            _console.FlushAmbient();
            Post(new Log(LogSeverity.Warning, $"Unhandled exception on {where} (thread ended, target kept): {report.ExceptionType}: {exception.Message}"));
        }
        catch
        {
            // Reporting must not turn a survivable failure into a fatal one.
        }
        return true;
    }

    /// <summary>Before a migration step replies: what its user code printed (for the eval it runs as, or ambient) goes first.</summary>
    private void FlushMigrationOutput()
    {
        EvalContext.Current?.FlushOutput();
        _console.FlushAmbient();
    }

    private void Dispatch(TargetMessage message)
    {
        switch (message)
        {
            case LoadWorld load:
                Post(new WorldLoaded(load.RequestId, _world.Load(load.Pe, load.Pdb)));
                break;
            case ApplyDelta delta:
                var (error, initializerErrors) = _world.Apply(delta.Metadata, delta.IL, delta.Pdb, delta.InitializerMethodTokens);
                // Initializers may print; their text goes out before the reply.
                _console.FlushAmbient();
                Post(new DeltaApplied(delta.RequestId, error, initializerErrors));
                break;
            case StartEval start:
                _evals.Start(start);
                break;
            case Ping ping:
                Post(new Pong(ping.Sequence));
                break;
            case Interrupt interrupt:
                // A redefining eval is interrupted while its migration runs user code.
                if (!_migrationWorker.Interrupt(interrupt.EvalId)) _evals.Interrupt(interrupt.EvalId);
                break;
            case Stdin stdin:
                SessionStore.Get(stdin.SessionId).Input.Add(stdin.Text, stdin.Eof);
                break;
            case ForgetSession forget:
                SessionStore.Forget(forget.SessionId);
                break;
            // Migration steps run on their own thread, in arrival order, so a commit can never overtake its
            // prepare; the loop goes on meanwhile (evals arrive and park at the migration gate, interrupts get through).
            case PrepareMigration prepare:
                _migrationOwner = (prepare.EvalId, prepare.SessionId);
                _migrationWorker.Post(prepare.EvalId, prepare.SessionId, () => _migrations.Prepare(prepare));
                break;
            case CommitMigration commit:
                _migrationWorker.Post(_migrationOwner.EvalId, _migrationOwner.SessionId, () => _migrations.Commit(commit));
                break;
            case AbortMigration abort:
                _migrationWorker.Post(_migrationOwner.EvalId, _migrationOwner.SessionId, () => _migrations.Abort(abort));
                break;
            case ResolveHooks hooks:
                _migrationWorker.Post(_migrationOwner.EvalId, _migrationOwner.SessionId, () => _migrations.ResolveHooks(hooks));
                break;
            case ChooseRestart choose:
                _migrationWorker.Post(choose.EvalId, choose.SessionId, () =>
                {
                    var chosen = ConditionHandlers.Choose(choose);
                    FlushMigrationOutput();
                    Post(chosen);
                });
                break;
            default:
                Post(new Log(LogSeverity.Error, $"Unexpected message {message.Kind} from the server; ignored."));
                break;
        }
    }
}
