using NRepl.Runtime.Contract;
using NRepl.Runtime.Tests.Support;
using NRepl.Server.Target;

namespace NRepl.Runtime.Tests.EndToEnd;

[TestFixture]
public sealed class DeltaTests
{
    private const string Gen0 = """
        using System;
        using System.Threading;
        using NRepl.Runtime;

        namespace user
        {
            public static partial class Counter { public static int A = 1; }

            public static partial class __Defs
            {
                public static int Ggg(int v) => v + 1;

                public static object __Eval_1() => Ggg(10);

                public static object __Eval_Loop()
                {
                    var t = new Thread(() =>
                    {
                        var last = -1;
                        while (true)
                        {
                            if (CompilerHooks.InterruptPending != 0) CompilerHooks.LoopPoll();
                            var r = Ggg(10);
                            if (r != last) { Console.WriteLine("ggg=" + r); last = r; }
                            Thread.Sleep(2);
                        }
                    }) { IsBackground = true };
                    t.Start();
                    return Repl.NoValue;
                }
            }
        }
        """;

    private TargetHarness _target = null!;

    [SetUp]
    public async Task SetUp() => _target = await TargetHarness.StartAsync(Gen0);

    [TearDown]
    public async Task TearDown() => await _target.DisposeAsync();

    [Test]
    public async Task ApplyDelta_MethodBodyUpdated_NextEvalSeesNewBody()
    {
        var delta = _target.World.Emit(Gen0.Replace("v + 1", "v + 48"), Edit.Update("Ggg"));

        var applied = await _target.ApplyAsync(delta);
        var result = await _target.EvalAsync("__Eval_1");

        Assert.That(applied.InitializerErrors, Is.Empty);
        Assert.That(result.Value, Is.EqualTo("58"));
    }

    [Test]
    public async Task ApplyDelta_InsertedMethod_RunsAsEvalByToken()
    {
        var source = Gen0.Replace("public static object __Eval_1()", "public static object __Eval_2() => Ggg(1) * 100;\n public static object __Eval_1()");
        var delta = _target.World.Emit(source, Edit.Insert("__Eval_2"));

        await _target.ApplyAsync(delta);
        var result = await _target.EvalTokenAsync(delta.AddedMethods["__Eval_2"]);

        Assert.That(result.Value, Is.EqualTo("200"));
    }

    [Test]
    public async Task ApplyDelta_BackgroundThreadLoopingOverMethod_SeesNewBody()
    {
        using var deadline = new CancellationTokenSource(TargetHarness.Deadline);
        var loop = await _target.EvalAsync("__Eval_Loop", evalId: 5);
        Assert.That(loop.Status, Is.EqualTo(EvalStatus.NoValue));
        await _target.Sink.WaitForAsync<Output>(o => o.Text.Contains("ggg=11"), deadline.Token);

        await _target.ApplyAsync(_target.World.Emit(Gen0.Replace("v + 1", "v + 48"), Edit.Update("Ggg")));

        var updated = await _target.Sink.WaitForAsync<Output>(o => o.Text.Contains("ggg=58"), deadline.Token);
        Assert.That(updated.EvalId, Is.EqualTo(5), "output of a thread started by an eval keeps the eval's id");
        Assert.That(updated.SessionId, Is.EqualTo("s1"));
    }

    [Test]
    public async Task ApplyDelta_StaticFieldInitializerToken_SetsValue()
    {
        var source = Gen0
            .Replace("public static int A = 1; }", "public static int A = 1; public static int B = 42; public static void __Init_B() { B = 42; } }")
            .Replace("=> Ggg(10);", "=> Counter.A + Counter.B;");
        var delta = _target.World.Emit(source, Edit.Insert("B", "user.Counter"), Edit.Insert("__Init_B", "user.Counter"), Edit.Update("__Eval_1"));

        var applied = await _target.ApplyAsync(delta, delta.AddedMethods["__Init_B"]);
        var result = await _target.EvalAsync("__Eval_1");

        Assert.That(applied.InitializerErrors, Is.Empty);
        Assert.That(result.Value, Is.EqualTo("43"));
    }

    [Test]
    public async Task ApplyDelta_InitializerThrows_ErrorReportedAndDeltaStands()
    {
        var source = Gen0
            .Replace("public static int A = 1; }", "public static int A = 1; public static void __Init_X() { throw new InvalidOperationException(\"init failed\"); } }")
            .Replace("v + 1", "v + 2");
        var delta = _target.World.Emit(source, Edit.Insert("__Init_X", "user.Counter"), Edit.Update("Ggg"));

        var applied = await _target.ApplyAsync(delta, delta.AddedMethods["__Init_X"]);
        var result = await _target.EvalAsync("__Eval_1");

        Assert.That(applied.InitializerErrors, Has.Length.EqualTo(1));
        Assert.That(applied.InitializerErrors[0], Does.Contain("init failed"));
        Assert.That(result.Value, Is.EqualTo("12"));
    }

    [Test]
    public async Task ApplyDelta_InitializerPrints_OutputWithoutEvalIdsBeforeReply()
    {
        var source = Gen0.Replace("public static int A = 1; }", "public static int A = 1; public static void __Init_P() { Console.WriteLine(\"init ran\"); } }");
        var delta = _target.World.Emit(source, Edit.Insert("__Init_P", "user.Counter"));

        await _target.ApplyAsync(delta, delta.AddedMethods["__Init_P"]);

        Assert.That(_target.Sink.Outputs, Has.Some.EqualTo(new Output(0, "", OutputStream.Out, "init ran\n")));
    }

    [Test]
    public void ApplyDelta_GarbageDelta_ThrowsTargetUpdateException()
    {
        var garbage = new Delta([1, 2, 3, 4], [0, 0], [], new Dictionary<string, int>());

        var error = Assert.ThrowsAsync<TargetUpdateException>(() => _target.ApplyAsync(garbage));

        Assert.That(error!.Message, Does.Contain("refused the delta"));
    }

    [Test]
    public void LoadWorld_SecondWorld_ThrowsTargetUpdateException()
    {
        var error = Assert.ThrowsAsync<TargetUpdateException>(() =>
            _target.Supervisor.LoadWorldAsync(_target.World.Pe, _target.World.Pdb, CancellationToken.None));

        Assert.That(error!.Message, Does.Contain("already loaded"));
    }
}
