using Microsoft.Extensions.Logging.Abstractions;
using NRepl.Runtime.Contract;
using NRepl.Server.Evaluation;
using NRepl.Server.Target;
using NRepl.Server.World;

namespace NRepl.Server.Tests.World;

/// <summary>
/// One live world with a real target for a whole fixture, and the evals its tests send. Tests of one
/// fixture share the world, so each declares types of its own names.
/// </summary>
public abstract class LiveWorldFixture
{
    private int _ids;

    private protected LiveWorld World { get; private set; } = null!;

    private protected RecordingSessionOutput Output { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartWorld()
    {
        Output = new RecordingSessionOutput();
        World = new LiveWorld(Output, new TargetOptions(), NullLoggerFactory.Instance);
        await World.StartAsync(CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task StopWorld() => await World.DisposeAsync();

    private protected static CancellationToken Deadline(int seconds = 30) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private protected EvalRequest Request(string code, string session = "s1", string? file = null, bool loadFile = false) =>
        new($"e{Interlocked.Increment(ref _ids)}", session, code, "user", file, 1, 1, loadFile, true, PrintSettings.Default);

    private protected async Task<EvalOutcome> Eval(string code, string session = "s1") =>
        await World.EvaluateAsync(Request(code, session), Deadline());

    /// <summary>Evaluates <paramref name="code"/>, which raises a condition, answers it on stdin with <paramref name="answer"/>, and returns how the eval ended.</summary>
    private protected async Task<(EvalOutcome Outcome, IReadOnlyDictionary<string, object?> Condition, EvalRequest Request)> Answered(string code, string session, string answer)
    {
        var request = Request(code, session);
        var evaluating = World.EvaluateAsync(request, Deadline());
        var condition = await Output.NextConditionAsync(session, Deadline());
        World.Stdin(session, answer + "\n");
        return (await evaluating, condition, request);
    }

    private protected async Task<string> Value(string code, string session = "s1")
    {
        var outcome = await Eval(code, session);
        if (outcome is EvalOutcome.Value value) return value.Printed;
        Assert.Fail($"Expected a value from `{code}`, got {outcome}");
        return "";
    }
}
