using Microsoft.Extensions.Logging.Abstractions;
using NRepl.Runtime.Contract;
using NRepl.Server.Evaluation;
using NRepl.Server.Target;
using NRepl.Server.World;

namespace NRepl.Server.Tests.World;

/// <summary>User code that kills the target process: the eval says so, a new target starts, the definitions come back.</summary>
[NonParallelizable]
public sealed class TargetCrashTests
{
    private LiveWorld _world = null!;
    private int _ids;

    [SetUp]
    public async Task StartWorld()
    {
        _world = new LiveWorld(new RecordingSessionOutput(), new TargetOptions(), NullLoggerFactory.Instance);
        await _world.StartAsync(CancellationToken.None);
    }

    [TearDown]
    public async Task StopWorld() => await _world.DisposeAsync();

    private Task<EvalOutcome> Eval(string code) =>
        _world.EvaluateAsync(new EvalRequest($"e{++_ids}", "s", code, "user", null, 1, 1, false, true, PrintSettings.Default),
            new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);

    [TestCase("Environment.Exit(3);", "Environment.Exit(3)")]
    [TestCase("Environment.FailFast(\"gone\");", "FailFast")]
    public async Task Evaluate_CodeKillsTarget_ErrorSaysSoAndDefinitionsAreReplayed(string killer, string reasonFragment)
    {
        await Eval("int Keep(int v) => v * 3; record Kept(int A);");
        await Eval("var lost = 41;");
        Assert.That(await Eval("lost + 1"), Is.EqualTo(new EvalOutcome.Value("42", false)));

        var died = await Eval(killer) as EvalOutcome.Failed;

        Assert.That(died, Is.Not.Null);
        Assert.That(died!.Ex, Is.EqualTo("TargetDiedException"));
        Assert.That(died.ErrorText, Does.Contain(reasonFragment));
        Assert.That(died.ErrorText, Does.Contain("replayed").And.Contain("lost"));
        Assert.That(await Eval("Keep(14)"), Is.EqualTo(new EvalOutcome.Value("42", false)), "functions came back");
        Assert.That(await Eval("new Kept(1)"), Is.EqualTo(new EvalOutcome.Value("Kept { A = 1 }", false)), "types came back");
        Assert.That(await Eval("lost"), Is.EqualTo(new EvalOutcome.Value("0", false)), "variable values were lost, as the error said");
        Assert.That(await Eval("int Keep(int v) => v * 4; Keep(1)"), Is.EqualTo(new EvalOutcome.Value("4", false)), "the new world takes deltas");
    }
}
