using System.Runtime.CompilerServices;
using NRepl.Runtime.Evaluation;

namespace NRepl.Runtime;

/// <summary>
/// Calls the world compiler injects into user code: a stack guard at every method entry and an
/// interrupt check in every loop. Both are on the hot path of all user code, so the common case is a
/// single volatile read.
/// </summary>
public static class CompilerHooks
{
    /// <summary>
    /// Nonzero while at least one eval has an interrupt requested and has not ended yet. Injected loop
    /// checks read it inline (<c>if (CompilerHooks.InterruptPending != 0) CompilerHooks.LoopPoll();</c>)
    /// so code that is not being interrupted pays one read per iteration.
    /// </summary>
    public static volatile int InterruptPending;

    /// <summary>
    /// Injected as the first statement of every world method. Turns unbounded recursion into a
    /// catchable <see cref="InsufficientExecutionStackException"/> (a real stack overflow kills the whole
    /// process) and lets recursive code without loops be interrupted.
    /// </summary>
    public static void MethodEntry()
    {
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack()) ThrowStackExhausted();
        if (InterruptPending != 0) LoopPoll();
    }

    /// <summary>
    /// Throws <see cref="EvalInterruptedException"/> when called on the thread of an eval that has an
    /// interrupt requested. On every other thread it returns: background threads and timers started by
    /// an interrupted eval keep running (a live program's game loop must survive interrupting the eval
    /// that started it).
    /// </summary>
    public static void LoopPoll()
    {
        var eval = EvalContext.RunningOnThisThread;
        if (eval is not null && eval.InterruptRequested) ThrowInterrupted();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowInterrupted() => throw new EvalInterruptedException();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowStackExhausted() => throw new InsufficientExecutionStackException(
        "Stack overflow prevented: recursion too deep (the thread's stack is nearly exhausted). Look for unbounded recursion.");
}

/// <summary>
/// Thrown by <see cref="CompilerHooks.LoopPoll"/> on the thread of an eval the user interrupted.
/// User code may catch it, but the eval is reported as interrupted regardless.
/// </summary>
public sealed class EvalInterruptedException : Exception
{
    /// <summary>Creates the exception with the standard message.</summary>
    public EvalInterruptedException() : base("The evaluation was interrupted.") { }

    /// <summary>Creates the exception with a custom message.</summary>
    public EvalInterruptedException(string message) : base(message) { }

    /// <summary>Creates the exception with a custom message and cause.</summary>
    public EvalInterruptedException(string message, Exception innerException) : base(message, innerException) { }
}
