using System.Collections.Concurrent;
using System.Reflection;
using NRepl.Runtime.Contract;
using NRepl.Runtime.Hosting;
using NRepl.Runtime.Migration;
using NRepl.Runtime.Printing;

namespace NRepl.Runtime.Evaluation;

/// <summary>
/// Runs evals: each on a new thread with a large stack, carrying its <see cref="EvalContext"/>;
/// reports exactly one <see cref="EvalCompleted"/> per eval, after all output the eval wrote so far.
/// </summary>
internal sealed class EvalRunner
{
    /// <summary>Deep but finite recursion should work; the stack guard catches the infinite kind long before this runs out.</summary>
    private const int EvalStackBytes = 16 * 1024 * 1024;

    private readonly WorldHost _world;
    private readonly Action<TargetMessage> _post;
    private readonly TimeSpan _interruptGrace;
    private readonly ConcurrentDictionary<long, EvalContext> _running = new();
    private readonly EvalThreads _threads = new(EvalStackBytes, maxIdle: 4);

    public EvalRunner(WorldHost world, Action<TargetMessage> post, TimeSpan interruptGrace)
    {
        _world = world;
        _post = post;
        _interruptGrace = interruptGrace;
    }

    /// <summary>Evals that have not reported completion yet.</summary>
    public int RunningCount => _running.Count;

    public void Start(StartEval start)
    {
        var context = new EvalContext(start.EvalId, start.SessionId, _post);
        if (!_running.TryAdd(start.EvalId, context))
        {
            _post(new Log(LogSeverity.Error, $"StartEval {start.EvalId}: an eval with this id is still running; ignored."));
            return;
        }

        MethodInfo method;
        try
        {
            method = start.Detached is { } detached ? ResolveDetachedMethod(start.EvalId, detached) : ResolveEvalMethod(start.MethodToken);
        }
        catch (Exception e)
        {
            // Not user code: nothing to print but the reason.
            _running.TryRemove(start.EvalId, out _);
            context.TryClaimCompletion();
            var type = e.GetType().FullName!;
            _post(new EvalCompleted(start.EvalId, EvalStatus.Exception, null, null, false, type, type, $"{type}: {e.Message}"));
            return;
        }

        _threads.Run($"eval {start.EvalId}", () => Run(context, method, start));
    }

    public void Interrupt(long evalId)
    {
        if (_running.TryGetValue(evalId, out var context)) context.RequestInterrupt(_interruptGrace, OnGraceExpired);
    }

    private MethodInfo ResolveDetachedMethod(long evalId, DetachedCode code)
    {
        var world = _world.Assembly ?? throw new InvalidOperationException("No world is loaded; send LoadWorld first.");
        var assembly = DetachedEvalLoadContext.Load(world, evalId, code.Pe, code.Pdb);
        var method = assembly.GetType(code.TypeName, throwOnError: true)!
            .GetMethod(code.MethodName, BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException($"The detached eval has no method {code.TypeName}.{code.MethodName}.");
        return method;
    }

    private MethodInfo ResolveEvalMethod(int token)
    {
        var world = _world.Assembly ?? throw new InvalidOperationException("No world is loaded; send LoadWorld first.");
        var method = world.ManifestModule.ResolveMethod(token) as MethodInfo
            ?? throw new InvalidOperationException($"Token 0x{token:X8} is not a method of the world.");
        if (!method.IsStatic || method.GetParameters().Length > 0 || method.ContainsGenericParameters)
        {
            throw new InvalidOperationException($"Eval method {method.DeclaringType?.FullName}.{method.Name} must be static, non-generic and parameterless.");
        }
        return method;
    }

    /// <summary>Runs the eval on its thread; true when it ended by itself (its thread may serve another eval), false when abandoned.</summary>
    private bool Run(EvalContext context, MethodInfo method, StartEval start)
    {
        var ended = false;
        context.AttachToCurrentThread();
        var sync = new EvalSynchronizationContext(Thread.CurrentThread);
        SynchronizationContext.SetSynchronizationContext(sync);
        try
        {
            var outcome = Execute(method, sync, start.Print);
            context.EnterFinishing();
            sync.Close();
            ended = Complete(context, start, outcome, start.Detached is { } detached ? (method.Module.Assembly, detached.Location) : null);
        }
        catch (Exception e)
        {
            // Only a bug of the runtime gets here; the eval must still end with exactly one reply.
            if (context.TryClaimCompletion())
            {
                _running.TryRemove(context.EvalId, out _);
                context.FlushOutput();
                var type = e.GetType().FullName!;
                _post(new EvalCompleted(context.EvalId, EvalStatus.Exception, null, null, false, type, type, $"Internal error of the target: {e}"));
            }
        }
        finally
        {
            context.OnThreadEnded();
            if (start.Detached is not null) DetachedEvalLoadContext.Release(method.Module.Assembly);
        }
        return ended;
    }

    /// <summary>Runs the user code and prints the value, still interruptible (printing may run user code).</summary>
    private static Outcome Execute(MethodInfo method, EvalSynchronizationContext sync, PrintSettings print)
    {
        try
        {
            // An eval that arrives while a migration is between prepare and commit starts after it, on the
            // new shape. The wait is on this eval's own thread (never the message loop, which must stay free
            // to receive the commit) and an interrupt ends it.
            MigrationGate.WaitWhileClosed();
            var result = method.Invoke(null, BindingFlags.DoNotWrapExceptions, binder: null, parameters: null, culture: null);
            if (method.ReturnType == typeof(void)) return Outcome.None;
            if (result is Task task && typeof(Task).IsAssignableFrom(method.ReturnType))
            {
                sync.PumpUntil(task);
                // Rethrows the task's own exception rather than an AggregateException.
                task.GetAwaiter().GetResult();
                if (!method.ReturnType.IsGenericType) return Outcome.None;
                result = method.ReturnType.GetProperty(nameof(Task<object>.Result))!.GetValue(task);
            }
            if (ReferenceEquals(result, Repl.NoValue)) return Outcome.None;
            var printed = ValuePrinter.Print(result, print);
            return new Outcome(EvalStatus.Value, result, printed, null);
        }
        catch (Exception e)
        {
            return new Outcome(EvalStatus.Exception, null, default, ExceptionReport.Unwrap(e));
        }
    }

    private bool Complete(EvalContext context, StartEval start, Outcome outcome, (Assembly Assembly, string Location)? detached)
    {
        if (!context.TryClaimCompletion()) return false; // the grace timer already reported it abandoned
        _running.TryRemove(context.EvalId, out _);

        EvalCompleted reply;
        if (context.InterruptRequested)
        {
            // Whatever the code did after the interrupt (catch it, return a value), the user asked it to stop.
            reply = new EvalCompleted(context.EvalId, EvalStatus.Interrupted, null, null, false, null, null, null);
        }
        else if (outcome.Status == EvalStatus.Exception)
        {
            var report = ExceptionReport.Create(outcome.Exception!, _world.Assembly, _world.Symbols, detached);
            if (start.RecordResult) SessionStore.Get(context.SessionId).RecordException(outcome.Exception!);
            reply = new EvalCompleted(context.EvalId, EvalStatus.Exception, null, null, false, report.ExceptionType, report.RootExceptionType, report.Text);
        }
        else if (outcome.Status == EvalStatus.Value)
        {
            if (start.RecordResult) SessionStore.Get(context.SessionId).RecordValue(outcome.Value);
            var valueType = outcome.Value is null ? null : TypeNames.Of(outcome.Value.GetType());
            reply = new EvalCompleted(context.EvalId, EvalStatus.Value, outcome.Printed.Text, valueType, outcome.Printed.Truncated, null, null, null);
        }
        else
        {
            reply = new EvalCompleted(context.EvalId, EvalStatus.NoValue, null, null, false, null, null, null);
        }
        context.FlushOutput();
        _post(reply);
        return true;
    }

    private void OnGraceExpired(EvalContext context)
    {
        if (!context.TryClaimCompletion()) return;
        _running.TryRemove(context.EvalId, out _);
        context.FlushOutput();
        _post(new Log(LogSeverity.Warning, $"Eval {context.EvalId} did not stop within {_interruptGrace.TotalMilliseconds:0} ms of its interrupt; its thread is abandoned and may keep running."));
        _post(new EvalCompleted(context.EvalId, EvalStatus.InterruptedThreadAbandoned, null, null, false, null, null, null));
    }

    private readonly record struct Outcome(EvalStatus Status, object? Value, PrintedValue Printed, Exception? Exception)
    {
        public static Outcome None => new(EvalStatus.NoValue, null, default, null);
    }
}
