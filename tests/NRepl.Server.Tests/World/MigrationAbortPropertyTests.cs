using Microsoft.Extensions.Logging.Abstractions;
using NRepl.Runtime.Contract;
using NRepl.Server.Evaluation;
using NRepl.Server.Target;
using NRepl.Server.World;

namespace NRepl.Server.Tests.World;

/// <summary>
/// Random layout edits of a class with thousands of live instances, each aborted at its condition:
/// afterwards every field of every instance, and the class's methods, are exactly as before.
/// </summary>
[NonParallelizable]
public sealed class MigrationAbortPropertyTests
{
    private static readonly string[] Types = { "int", "long", "short", "double", "string", "byte" };

    [Test]
    public async Task RandomLayoutEdits_AbortedAtTheirCondition_LeaveEveryFieldOfEveryInstanceUnchanged()
    {
        var output = new RecordingSessionOutput();
        await using var world = new LiveWorld(output, new TargetOptions(), NullLoggerFactory.Instance);
        await world.StartAsync(CancellationToken.None);
        var random = new Random(20261121);
        var ids = 0;
        async Task<EvalOutcome> Eval(string code) => await world.EvaluateAsync(
            new EvalRequest($"p{++ids}", "prop", code, "user", null, 1, 1, false, true, PrintSettings.Default),
            new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        async Task<string> Value(string code) => (await Eval(code)) is EvalOutcome.Value v ? v.Printed : Fail(code);

        for (var round = 0; round < 12; round++)
        {
            var name = $"Shape{round}";
            var fields = Enumerable.Range(0, random.Next(2, 6)).Select(i => (Name: $"F{i}", Type: Types[random.Next(Types.Length)])).ToList();
            fields.Add(("Wide", "long")); // narrowed below, with one value that cannot fit
            var declaration = string.Join(" ", fields.Select(f => $"public {f.Type} {f.Name};"));
            await Value($"class {name} {{ {declaration} public string Sum() => {string.Join(" + \",\" + ", fields.Select(f => f.Name))}; }}");
            var assignments = string.Join(" ", fields.Select(f => $"o.{f.Name} = {RandomValue(f.Type).Replace("rX", "r" + round)};"));
            await Value($"var list{round} = new List<{name}>(); var r{round} = new Random({round}); for (var i = 0; i < 3000; i++) {{ var o = new {name}(); {assignments} list{round}.Add(o); }}");
            await Eval($"list{round}[1234].Wide = long.MaxValue;");
            var before = await Value($"string.Join(\"|\", list{round}.Select(o => o.Sum()))");

            // A random mix of removed, added, retyped and renamed fields, plus the narrowing that fails.
            var edited = new List<string>();
            foreach (var (field, type) in fields.Where(f => f.Name != "Wide"))
            {
                switch (random.Next(4))
                {
                    case 0: break; // removed
                    case 1: edited.Add($"public {Types[random.Next(Types.Length)]} {field}_new = default!;"); break;
                    case 2: edited.Add($"public {type} {field};"); break;
                    default: edited.Add($"[RenamedFrom(\"{field}\")] public {type} {field}Renamed;"); break;
                }
            }
            edited.Add("public int Wide;");
            var session = $"prop";
            var redefining = world.EvaluateAsync(
                new EvalRequest($"p{++ids}", session, $"class {name} {{ {string.Join(" ", edited)} public string Sum() => \"changed\"; }}", "user", null, 1, 1, false, true, PrintSettings.Default),
                new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
            await output.NextConditionAsync(session, new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
            world.Stdin(session, "abort-redefinition\n");
            var outcome = await redefining;

            Assert.That(outcome, Is.TypeOf<EvalOutcome.Failed>(), $"round {round}: {outcome}");
            var after = await Value($"string.Join(\"|\", list{round}.Select(o => o.Sum()))");
            Assert.That(after, Is.EqualTo(before), $"round {round}: every field of every instance and the Sum method are unchanged");
        }
    }

    private static string RandomValue(string type) => type switch
    {
        "string" => "\"s\" + rX.Next()",
        "double" => "rX.NextDouble() * 1e6",
        "short" => "(short)rX.Next(short.MinValue, short.MaxValue)",
        "byte" => "(byte)rX.Next(256)",
        "long" => "rX.NextInt64()",
        _ => "rX.Next()",
    };

    private static string Fail(string code)
    {
        Assert.Fail($"`{code}` gave no value");
        return "";
    }
}
