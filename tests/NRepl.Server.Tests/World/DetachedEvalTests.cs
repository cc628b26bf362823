using NRepl.Server.Evaluation;

namespace NRepl.Server.Tests.World;

/// <summary>
/// Evals that define nothing and touch no field of the world run as assemblies of their own (not deltas of the
/// world): the same results, seeing the world's current functions and types, while anything that needs a field
/// of the world still goes the world's way.
/// </summary>
public sealed class DetachedEvalTests : LiveWorldFixture
{
    private const string WhereItRan = "System.Reflection.Assembly.GetExecutingAssembly().GetName().Name";

    [SetUp]
    public async Task DetachedPathReady()
    {
        await Value("0"); // the world is ready, so its warm-up has started
        await World.DetachedReady.WaitAsync(Deadline());
    }

    [Test]
    public async Task Evaluate_ExpressionCallingFunctionsAndTypes_RunsDetachedAndSeesRedefinitions()
    {
        await Value("int Twice(int v) => v * 2;");
        await Value("record Point(int X, int Y) { public int Sum => X + Y; }");

        Assert.That(await Value(WhereItRan), Is.EqualTo("\"NRepl.Eval\""));
        Assert.That(await Value("Twice(new Point(1, 2).Sum)"), Is.EqualTo("6"), "internal world types and functions are reachable");
        await Value("int Twice(int v) => v * 3;");
        Assert.That(await Value("Twice(2) + \" \" + " + WhereItRan), Is.EqualTo("\"6 NRepl.Eval\""), "the new body, still detached");
    }

    [Test]
    public async Task Evaluate_CodeTouchingWorldVariables_RunsInTheWorld()
    {
        await Value("var counter = 40;");

        Assert.That(await Value("counter += 2; counter + \" \" + " + WhereItRan), Is.EqualTo("\"42 NRepl.World\""));
        Assert.That(await Value("counter"), Is.EqualTo("42"));
        Assert.That(await Value("await Task.Run(() => counter) + 1"), Is.EqualTo("43"), "a trailing await in the world's way too");
    }

    [Test]
    public async Task Evaluate_DetachedVoidCallLambdasAndAwait_BehaveAsInTheWorld()
    {
        var print = Request("Console.WriteLine(\"printed \" + " + WhereItRan + ")");
        Assert.That(await World.EvaluateAsync(print, Deadline()), Is.InstanceOf<EvalOutcome.NoValue>());
        Assert.That(Output.OutOf(print.EvalId), Is.EqualTo("printed NRepl.Eval\n"));
        Assert.That(await Value("Enumerable.Range(1, 4).Select(i => i * i).Sum()"), Is.EqualTo("30"));
        Assert.That(await Value("await Task.Run(() => 5) + 1"), Is.EqualTo("6"));
        Assert.That(await Value("_1"), Is.EqualTo("6"), "the session's values are recorded as for any eval");
    }

    [Test]
    public async Task Evaluate_DetachedEvalThrows_ReportShowsItsFramesAndLines()
    {
        await Value("int Fail(int v) => throw new InvalidOperationException(\"no \" + v);");

        var failed = await Eval("var ok = 1;\nFail(ok)") as EvalOutcome.Failed;
        var direct = await Eval("\n\nthrow new ArgumentException(\"direct\");") as EvalOutcome.Failed;
        var oneLine = await Eval("new[] { 1 }.Select(i => i / (i - 1)).Sum()") as EvalOutcome.Failed;

        Assert.That(failed?.ErrorText, Does.Contain("no 1").And.Contain("Fail"), failed?.ErrorText);
        Assert.That(direct?.ErrorText, Does.Contain("direct").And.Contain("__Eval").And.Contain("in REPL:3"), direct?.ErrorText);
        Assert.That(oneLine?.ErrorText, Does.Contain("DivideByZeroException").And.Contain("in REPL:1"), oneLine?.ErrorText);
    }

    [Test]
    public async Task Evaluate_ManyDetachedEvalsBetweenRedefinitions_TheirAssembliesAreUnloaded()
    {
        for (var i = 0; i < 200; i++) await Value(i % 10 == 0 ? $"int Step(int v) => v + {i};" : $"Step({i}) * 2");

        var loaded = await Value("GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect(); "
            + "AppDomain.CurrentDomain.GetAssemblies().Count(a => a.GetName().Name == \"NRepl.Eval\")");

        Assert.That(int.Parse(loaded), Is.LessThan(10), "the assemblies of finished evals are unloaded (this eval's own is loaded)");
    }
}
