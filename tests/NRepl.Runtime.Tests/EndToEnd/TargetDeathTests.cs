using NRepl.Runtime.Contract;
using NRepl.Runtime.Tests.Support;
using NRepl.Server.Target;

namespace NRepl.Runtime.Tests.EndToEnd;

[TestFixture]
public sealed class TargetDeathTests
{
    private const string World = """
        using System;
        using NRepl.Runtime;

        namespace user
        {
            public static partial class __Defs
            {
                public static object __Eval_Exit() { Console.Write("last words"); Environment.Exit(3); return null; }

                public static object __Eval_FailFast() { Environment.FailFast("x"); return null; }

                public static int Rec(int n) => Rec(n + 1) + 1;

                public static object __Eval_Overflow() => Rec(0);

                public static object __Eval_1() => 1;

                public static object __Eval_ThreadThrows()
                {
                    new System.Threading.Thread(() => throw new InvalidOperationException("background boom")).Start();
                    return Repl.NoValue;
                }
            }
        }
        """;

    private TargetHarness _target = null!;
    private TaskCompletionSource<TargetExit> _exited = null!;

    [SetUp]
    public async Task SetUp()
    {
        _target = await TargetHarness.StartAsync(World);
        _exited = new TaskCompletionSource<TargetExit>(TaskCreationOptions.RunContinuationsAsynchronously);
        _target.Supervisor.Exited += exit => _exited.TrySetResult(exit);
    }

    [TearDown]
    public async Task TearDown() => await _target.DisposeAsync();

    [Test]
    public async Task RunEval_EnvironmentExit_TargetDiedWithExitCodeAndRestartWorks()
    {
        var died = Assert.ThrowsAsync<TargetDiedException>(() => _target.EvalAsync("__Eval_Exit"));

        Assert.That(died!.Exit.ExitCode, Is.EqualTo(3));
        Assert.That(_target.Sink.TextOf(1), Is.EqualTo("last words"), "output written before Environment.Exit is delivered");
        Assert.That(died.Exit.Reason, Is.EqualTo("Environment.Exit(3)"));
        Assert.That((await _exited.Task.WaitAsync(TargetHarness.Deadline)).Reason, Is.EqualTo("Environment.Exit(3)"));
        Assert.That(_target.Supervisor.IsRunning, Is.False);
        await AssertRestartWorksAsync();
    }

    [Test]
    public async Task RunEval_FailFast_TargetDiedWithMessageAndRestartWorks()
    {
        var died = Assert.ThrowsAsync<TargetDiedException>(() => _target.EvalAsync("__Eval_FailFast"));

        Assert.That(died!.Exit.Reason, Is.EqualTo("Environment.FailFast: x"));
        Assert.That(died.Exit.ExitCode, Is.Not.Null.And.Not.Zero);
        await _exited.Task.WaitAsync(TargetHarness.Deadline);
        await AssertRestartWorksAsync();
    }

    [Test]
    public async Task RunEval_UnguardedRecursion_TargetDiedOfStackOverflow()
    {
        var died = Assert.ThrowsAsync<TargetDiedException>(() => _target.EvalAsync("__Eval_Overflow"));

        Assert.That(died!.Exit.Reason, Is.EqualTo("stack overflow"));
        Assert.That(died.Exit.StderrTail, Does.Contain("Stack overflow."));
        await _exited.Task.WaitAsync(TargetHarness.Deadline);
        await AssertRestartWorksAsync();
    }

    [Test]
    public async Task UnhandledExceptionOnUserThread_OnlyThatThreadEndsAndTheEvalsErrSaysWhy()
    {
        var evalId = _target.NextEvalId();
        await _target.EvalAsync("__Eval_ThreadThrows", evalId: evalId);
        using var deadline = new CancellationTokenSource(TargetHarness.Deadline);

        var report = await _target.Sink.WaitForAsync<Output>(o => o.Stream == OutputStream.Err && o.Text.Contains("background boom"), deadline.Token);

        Assert.That(report.EvalId, Is.EqualTo(evalId), "reported on the eval that started the thread");
        Assert.That(report.Text, Does.Contain("System.InvalidOperationException: background boom").And.Contain("that thread ended, the target keeps running"));
        Assert.That((await _target.EvalAsync("__Eval_1")).Value, Is.EqualTo("1"));
        Assert.That(_exited.Task.IsCompleted, Is.False, "the target did not die");
    }

    [Test]
    public async Task RestartAsync_RunningTarget_NewProcessWithoutExitedEvent()
    {
        var oldPid = _target.Supervisor.ProcessId;

        await AssertRestartWorksAsync();

        Assert.That(_target.Supervisor.ProcessId, Is.Not.EqualTo(oldPid));
        Assert.That(_exited.Task.IsCompleted, Is.False);
    }

    private async Task AssertRestartWorksAsync()
    {
        using var deadline = new CancellationTokenSource(TargetHarness.Deadline);
        await _target.Supervisor.RestartAsync(deadline.Token);
        await _target.Supervisor.LoadWorldAsync(_target.World.Pe, _target.World.Pdb, deadline.Token);
        Assert.That(_target.Supervisor.IsRunning, Is.True);
        Assert.That((await _target.EvalAsync("__Eval_1")).Value, Is.EqualTo("1"));
    }
}
