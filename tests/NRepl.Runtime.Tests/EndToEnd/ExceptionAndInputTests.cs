using NRepl.Runtime.Contract;
using NRepl.Runtime.Tests.Support;

namespace NRepl.Runtime.Tests.EndToEnd;

[TestFixture]
public sealed class ExceptionAndInputTests
{
    private const string World = """
        using System;
        using NRepl.Runtime;

        namespace user
        {
            public static partial class __Defs
            {
                public static int Ggg(int v)
                {
                    if (v > 0) throw new InvalidOperationException("bad value", new ArgumentException("root cause"));
                    return v;
                }

                public static object __Eval_Throw() => Ggg(1);

                public static object __Eval_LastException() => Repl.LastException("s1")?.Message ?? "none";

                public static object __Eval_ReadLine()
                {
                    Console.Write("name? ");
                    return Console.ReadLine();
                }

                public static object __Eval_ReadTwo() => Console.ReadLine() + "|" + Console.ReadLine();

                public static int Rec(int n)
                {
                    CompilerHooks.MethodEntry();
                    return Rec(n + 1) + 1;
                }

                public static object __Eval_Recurse() => Rec(0);

                public static object __Eval_1() => 1;

                public static object __Eval_Value1() => Repl.Value("s1", 1) ?? "none";
            }
        }
        """;

    private TargetHarness _target = null!;

    [SetUp]
    public async Task SetUp() => _target = await TargetHarness.StartAsync(World);

    [TearDown]
    public async Task TearDown() => await _target.DisposeAsync();

    [Test]
    public async Task RunEval_WorldMethodThrows_ReportHasTypesAndWorldFramesOnly()
    {
        var result = await _target.EvalAsync("__Eval_Throw");

        Assert.That(result.Status, Is.EqualTo(EvalStatus.Exception));
        Assert.That(result.ExceptionType, Is.EqualTo("System.InvalidOperationException"));
        Assert.That(result.RootExceptionType, Is.EqualTo("System.ArgumentException"));
        Assert.That(result.ErrorText, Does.StartWith("System.InvalidOperationException: bad value\n"));
        Assert.That(result.ErrorText, Does.Contain("   at user.__Defs.Ggg(Int32 v) in /repl/world.cs:10"));
        Assert.That(result.ErrorText, Does.Contain("   at user.__Defs.__Eval_Throw() in /repl/world.cs:"));
        Assert.That(result.ErrorText, Does.Contain(" ---> System.ArgumentException: root cause"));
        Assert.That(result.ErrorText, Does.Not.Contain("NRepl.Runtime").And.Not.Contain("System.Reflection"));
    }

    [Test]
    public async Task RunEval_ThrowAfterDeltaMovedTheLine_FramesShowNewLines()
    {
        var moved = World.Replace("if (v > 0) throw", "\n\n                    if (v > 0) throw");
        await _target.ApplyAsync(_target.World.Emit(moved, Edit.Update("Ggg")));

        var result = await _target.EvalAsync("__Eval_Throw");

        Assert.That(result.ErrorText, Does.Contain("   at user.__Defs.Ggg(Int32 v) in /repl/world.cs:12"));
        Assert.That(result.ErrorText, Does.Contain("   at user.__Defs.__Eval_Throw() in /repl/world.cs:14"), "a method the delta did not touch keeps its gen-0 line");
    }

    [Test]
    public async Task RunEval_AfterException_LastExceptionRecorded()
    {
        await _target.EvalAsync("__Eval_Throw");

        var result = await _target.EvalAsync("__Eval_LastException");

        Assert.That(result.Value, Is.EqualTo("\"bad value\""));
    }

    [Test]
    public async Task RunEval_UnboundedRecursionWithGuard_ExceptionOutcomeAndTargetSurvives()
    {
        var result = await _target.EvalAsync("__Eval_Recurse");
        var after = await _target.EvalAsync("__Eval_1");

        Assert.That(result.Status, Is.EqualTo(EvalStatus.Exception));
        Assert.That(result.ExceptionType, Is.EqualTo("System.InsufficientExecutionStackException"));
        Assert.That(result.ErrorText, Does.Contain("Stack overflow prevented: recursion too deep"));
        Assert.That(result.ErrorText, Does.Contain("repeated"));
        Assert.That(after.Value, Is.EqualTo("1"));
    }

    [Test]
    public async Task RunEval_ReadLineWithEmptyInput_NeedInputThenValueAfterStdin()
    {
        using var deadline = new CancellationTokenSource(TargetHarness.Deadline);
        var eval = _target.EvalAsync("__Eval_ReadLine", evalId: 9);

        var request = await _target.Sink.WaitForAsync<NeedInput>(_ => true, deadline.Token);
        Assert.That(request, Is.EqualTo(new NeedInput(9, "s1")));
        Assert.That(_target.Sink.TextOf(9), Is.EqualTo("name? "), "the prompt is flushed before NeedInput");
        _target.Supervisor.SendStdin("s1", "ada\n", eof: false);

        Assert.That((await eval).Value, Is.EqualTo("\"ada\""));
    }

    [Test]
    public async Task RunEval_ReadLineAtEof_ReturnsNull()
    {
        using var deadline = new CancellationTokenSource(TargetHarness.Deadline);
        var eval = _target.EvalAsync("__Eval_ReadLine");

        await _target.Sink.WaitForAsync<NeedInput>(_ => true, deadline.Token);
        _target.Supervisor.SendStdin("s1", "", eof: true);

        Assert.That((await eval).Value, Is.EqualTo("null"));
    }

    [Test]
    public async Task ForgetSession_ReaderBlockedAndValuesRecorded_ReaderGetsEofAndValuesDropped()
    {
        using var deadline = new CancellationTokenSource(TargetHarness.Deadline);
        await _target.EvalAsync("__Eval_1");
        var reading = _target.EvalAsync("__Eval_ReadLine");
        await _target.Sink.WaitForAsync<NeedInput>(_ => true, deadline.Token);

        _target.Supervisor.ForgetSession("s1");

        Assert.That((await reading).Value, Is.EqualTo("null"));
        Assert.That((await _target.EvalAsync("__Eval_Value1", record: false)).Value, Is.EqualTo("\"none\""));
    }

    [Test]
    public async Task RunEval_InputSentAhead_ReadWithoutNeedInput()
    {
        _target.Supervisor.SendStdin("s1", "a\r\nb\n", eof: false);

        var result = await _target.EvalAsync("__Eval_ReadTwo");

        Assert.That(result.Value, Is.EqualTo("\"a|b\""));
        Assert.That(_target.Sink.All.OfType<NeedInput>(), Is.Empty);
    }
}
