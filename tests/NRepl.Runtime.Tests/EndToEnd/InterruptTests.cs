using NRepl.Runtime.Contract;
using NRepl.Runtime.Tests.Support;
using NRepl.Server.Target;

namespace NRepl.Runtime.Tests.EndToEnd;

[TestFixture]
public sealed class InterruptTests
{
    private const string World = """
        using System;
        using System.Threading;
        using NRepl.Runtime;

        namespace user
        {
            public static partial class __Defs
            {
                public static object __Eval_Spin()
                {
                    var worker = new Thread(() =>
                    {
                        var i = 0;
                        while (true)
                        {
                            if (CompilerHooks.InterruptPending != 0) CompilerHooks.LoopPoll();
                            Console.WriteLine("tick " + i++);
                            Thread.Sleep(5);
                        }
                    }) { IsBackground = true };
                    worker.Start();
                    Console.WriteLine("spinning");
                    while (true) { if (CompilerHooks.InterruptPending != 0) CompilerHooks.LoopPoll(); }
                }

                public static object __Eval_Sleep() { Thread.Sleep(60000); return 1; }

                public static object __Eval_Stuck()
                {
                    Console.WriteLine("stuck");
                    while (true) { }
                }

                public static object __Eval_Read() => Console.ReadLine();

                public static object __Eval_1() => 1;
            }
        }
        """;

    private TargetHarness _target = null!;

    [SetUp]
    public async Task SetUp() => _target = await TargetHarness.StartAsync(World, new TargetOptions { InterruptGrace = TimeSpan.FromMilliseconds(500) });

    [TearDown]
    public async Task TearDown() => await _target.DisposeAsync();

    [Test]
    public async Task Interrupt_LoopWithPoll_InterruptedWhileBackgroundThreadKeepsRunning()
    {
        using var deadline = new CancellationTokenSource(TargetHarness.Deadline);
        var eval = _target.EvalAsync("__Eval_Spin", evalId: 3);
        await _target.Sink.WaitForAsync<Output>(o => o.Text.Contains("spinning"), deadline.Token);
        await _target.Sink.WaitForAsync<Output>(o => o.Text.StartsWith("tick", StringComparison.Ordinal), deadline.Token);

        _target.Supervisor.Interrupt(3);
        var result = await eval;

        Assert.That(result.Status, Is.EqualTo(EvalStatus.Interrupted));
        var lastTick = LastTick();
        await _target.Sink.WaitForAsync<Output>(o => o.Text.StartsWith("tick", StringComparison.Ordinal) && TickOf(o.Text) > lastTick, deadline.Token);
        Assert.That((await _target.EvalAsync("__Eval_1")).Value, Is.EqualTo("1"));
    }

    [Test]
    public async Task RunEval_CancellationToken_SendsInterrupt()
    {
        using var deadline = new CancellationTokenSource(TargetHarness.Deadline);
        using var cancel = new CancellationTokenSource();
        var eval = _target.EvalAsync("__Eval_Spin", cancel.Token, evalId: 4);
        await _target.Sink.WaitForAsync<Output>(o => o.Text.Contains("spinning"), deadline.Token);

        await cancel.CancelAsync();

        Assert.That((await eval).Status, Is.EqualTo(EvalStatus.Interrupted));
    }

    [Test]
    public async Task Interrupt_ThreadSleep_Interrupted()
    {
        var eval = _target.EvalAsync("__Eval_Sleep", evalId: 6);
        // Interrupt may arrive before the thread sleeps; either way the flag or Thread.Interrupt ends it.
        _target.Supervisor.Interrupt(6);

        Assert.That((await eval).Status, Is.EqualTo(EvalStatus.Interrupted));
    }

    [Test]
    public async Task Interrupt_BlockedInReadLine_Interrupted()
    {
        using var deadline = new CancellationTokenSource(TargetHarness.Deadline);
        var eval = _target.EvalAsync("__Eval_Read", evalId: 8);
        await _target.Sink.WaitForAsync<NeedInput>(n => n.EvalId == 8, deadline.Token);

        _target.Supervisor.Interrupt(8);

        Assert.That((await eval).Status, Is.EqualTo(EvalStatus.Interrupted));
    }

    [Test]
    public async Task Interrupt_LoopWithoutPoll_ThreadAbandonedAfterGrace()
    {
        using var deadline = new CancellationTokenSource(TargetHarness.Deadline);
        var eval = _target.EvalAsync("__Eval_Stuck", evalId: 7);
        await _target.Sink.WaitForAsync<Output>(o => o.Text.Contains("stuck"), deadline.Token);

        _target.Supervisor.Interrupt(7);

        Assert.That((await eval).Status, Is.EqualTo(EvalStatus.InterruptedThreadAbandoned));
        Assert.That((await _target.EvalAsync("__Eval_1")).Value, Is.EqualTo("1"), "the target keeps serving");
    }

    private int LastTick() => _target.Sink.Outputs.Where(o => o.Text.StartsWith("tick", StringComparison.Ordinal)).Select(o => TickOf(o.Text)).Max();

    private static int TickOf(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => int.Parse(l["tick ".Length..])).Max();
}
