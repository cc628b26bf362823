using NRepl.Runtime.Contract;
using NRepl.Server.Evaluation;
using NRepl.Server.World;

namespace NRepl.Server.Tests.World;

/// <summary>
/// The live world end to end with a real target process: what a user sees for each kind of eval,
/// hot swaps under running code, interrupts, stdin, and recovery from a dead target.
/// </summary>
[NonParallelizable]
public sealed class LiveWorldTests : LiveWorldFixture
{
    [Test]
    public async Task Evaluate_IssueExamples_GiveTheDocumentedValues()
    {
        Assert.That(await Value("1 + 2"), Is.EqualTo("3"));
        var request = Request("Console.WriteLine(\"hi\"); 42");
        var outcome = await World.EvaluateAsync(request, Deadline());
        Assert.That(outcome, Is.EqualTo(new EvalOutcome.Value("42", false)));
        Assert.That(Output.OutOf(request.EvalId), Is.EqualTo("hi\n"), "output arrived before the value");
        Assert.That(await Value("int Ggg(int v) => v + 48;"), Is.EqualTo("int Ggg(int v)"));
        Assert.That(await Value("Ggg(10)"), Is.EqualTo("58"));
        Assert.That(await Value("var counter = 0;"), Is.EqualTo("int counter"));
        Assert.That(await Value("counter += 5; counter"), Is.EqualTo("5"));
        Assert.That(await Value("counter"), Is.EqualTo("5"), "state survives between evals");
        Assert.That(await Value("record Point(int X, int Y);"), Is.EqualTo("record Point"));
        Assert.That(await Value("new Point(1, 2)"), Is.EqualTo("Point { X = 1, Y = 2 }"));
    }

    [Test]
    public async Task Evaluate_RedefinitionWhileLoopRuns_LoopSeesNewBodyAndStateSurvives()
    {
        await Value("int Hs(int v) => v + 1;");
        await Value("var hsTicks = 0;");
        await Value("""
            var hsSawNew = new ManualResetEventSlim();
            var hsRunning = true;
            var hsLoop = new Thread(() => { while (hsRunning) { if (Hs(1) == 1001) hsSawNew.Set(); hsTicks++; Thread.Sleep(1); } });
            hsLoop.IsBackground = true;
            hsLoop.Start();
            """);
        Assert.That(await Value("hsSawNew.Wait(50)"), Is.EqualTo("false"));

        await Value("int Hs(int v) => v + 1000;");

        Assert.That(await Value("hsSawNew.Wait(10000)"), Is.EqualTo("true"), "the running loop called the new body");
        Assert.That(await Value("hsTicks > 0 && hsLoop.IsAlive"), Is.EqualTo("true"), "nothing was restarted");
        await Value("hsRunning = false; hsLoop.Join(5000)");
    }

    [Test]
    public async Task Evaluate_TimerCallback_KeepsWorkingThroughLaterEvalsAndSeesRedefinitions()
    {
        await Value("int Tick(int n) => n;");
        await Value("""
            var tickSeen = new System.Collections.Concurrent.ConcurrentQueue<int>();
            var tickGen = 1;
            var tickHit = new ManualResetEventSlim();
            var tickTimer = new Timer(_ => { var v = Tick(tickGen); tickSeen.Enqueue(v); if (v == 3000) tickHit.Set(); }, null, 0, 2);
            """);
        // Later evals with lambdas, local functions and redefinitions must not break the timer's delegate.
        for (var i = 0; i < 5; i++)
        {
            await Value($"Enumerable.Range(0, 3).Select(x => x * {i}).Sum()");
            await Value($"int Local{i}() {{ int Inner() => {i}; return Inner(); }} Local{i}()");
        }
        await Value("int Tick(int n) => n * 1000;");
        Assert.That(await Eval("tickGen = 3;"), Is.TypeOf<EvalOutcome.NoValue>(), "statements alone have no value");

        Assert.That(await Value("tickHit.Wait(10000)"), Is.EqualTo("true"), "the timer ran the new body");
        await Eval("tickTimer.Dispose();");
    }

    [Test]
    public async Task Evaluate_DelegateMadeByRedefinedFunction_RunsTheNewBodyInsteadOfThrowing()
    {
        await Value("Func<int, int> MakeStep(int k) { int Scale(int x) => x * k; return x => Scale(x) + 1; }");
        await Value("var step = MakeStep(10);");
        Assert.That(await Value("step(2)"), Is.EqualTo("21"));

        await Value("Func<int, int> MakeStep(int k) { int Scale(int x) => x * k * 100; return x => Scale(x) + 2; }");

        Assert.That(await Value("step(2)"), Is.EqualTo("2002"), "the delegate made before the redefinition runs the new code");
        Assert.That(await Value("MakeStep(1)(1)"), Is.EqualTo("102"));
    }

    [Test]
    public async Task Evaluate_HandlerCapturingEvalLocals_SurvivesLaterEvalsAndSeesRedefinitions()
    {
        await Value("int Bump(int v) => v + 1;");
        await Value("var handlerBox = new List<EventHandler<int>>(); var handlerLast = 0;");
        await Eval("{ var offset = 100; handlerBox.Add((_, n) => handlerLast = Bump(n) + offset); }");
        for (var i = 0; i < 3; i++) await Value($"Enumerable.Range(0, 4).Where(x => x > {i}).Count()");

        await Value("int Bump(int v) => v + 1000;");

        Assert.That(await Value("handlerBox[0](null, 5); handlerLast"), Is.EqualTo("1105"));
    }

    [Test]
    public async Task Evaluate_UserException_ReportsTypeMessageAndStack()
    {
        await Value("int Boom(int x) => throw new InvalidOperationException(\"boom \" + x);");

        var outcome = await Eval("Boom(7)");

        var failed = outcome as EvalOutcome.Failed;
        Assert.That(failed, Is.Not.Null, outcome.ToString());
        Assert.That(failed!.Ex, Is.EqualTo("System.InvalidOperationException"));
        Assert.That(failed.ErrorText, Does.Contain("boom 7"));
        Assert.That(failed.ErrorText, Does.Contain("Boom"), "the world frame is shown");
        Assert.That(await Value("_e.Message"), Is.EqualTo("\"boom 7\""), "_e holds the last exception");
    }

    [Test]
    public async Task Evaluate_ExceptionAfterRedefinitions_FramesNameTheLatestBodysFileAndLine()
    {
        await World.EvaluateAsync(Request("int Thrower(int v)\n{\n    if (v > 0) throw new InvalidOperationException(\"first\");\n    return v;\n}", file: "/work/thrower.cs"), Deadline());
        var first = await Eval("Thrower(1)") as EvalOutcome.Failed;
        for (var i = 0; i < 20; i++) await Value($"{i} + 1"); // more deltas: each one's line table must stay readable
        await World.EvaluateAsync(Request("int Thrower(int v)\n{\n\n\n    if (v > 0) throw new InvalidOperationException(\"second\");\n    return v;\n}", file: "/work/thrower.cs"), Deadline());

        var second = await Eval("Thrower(1)") as EvalOutcome.Failed;

        Assert.That(first?.ErrorText, Does.Contain("in /work/thrower.cs:3"), first?.ErrorText);
        Assert.That(second?.ErrorText, Does.Contain("second").And.Contain("in /work/thrower.cs:5"), second?.ErrorText);
    }

    [Test]
    public async Task Evaluate_ThreadStateAnEvalChanges_DoesNotCarryIntoLaterEvals()
    {
        // Eval threads are reused: culture, AsyncLocal values, priority and background-ness must start fresh.
        await Value("var flag = new AsyncLocal<string>(); var comma = (System.Globalization.CultureInfo)System.Globalization.CultureInfo.InvariantCulture.Clone(); comma.NumberFormat.NumberDecimalSeparator = \",\";");
        await Value("System.Globalization.CultureInfo.CurrentCulture = comma; flag.Value = \"set\"; "
            + "Thread.CurrentThread.Priority = ThreadPriority.Lowest; Thread.CurrentThread.IsBackground = false; 1");

        for (var i = 0; i < 3; i++)
        {
            Assert.That(await Value("(1.5).ToString()"), Is.EqualTo("\"1.5\""));
            Assert.That(await Value("flag.Value ?? \"unset\""), Is.EqualTo("\"unset\""));
            Assert.That(await Value("$\"{Thread.CurrentThread.Priority} {Thread.CurrentThread.IsBackground}\""), Is.EqualTo("\"Normal True\""));
        }
    }

    [Test]
    public async Task Evaluate_CompileError_NamesLineColumnAndCode()
    {
        var outcome = await World.EvaluateAsync(Request("var ok = 1;\nnope(ok)", file: "/work/demo.cs"), Deadline());

        var failed = outcome as EvalOutcome.Failed;
        Assert.That(failed, Is.Not.Null, outcome.ToString());
        Assert.That(failed!.ErrorText, Does.StartWith("/work/demo.cs:2:1: error CS0103"));
    }

    [Test]
    public async Task Evaluate_IncompleteInput_IsAClearErrorNotACompilerDump()
    {
        var failed = await Eval("if (true) {") as EvalOutcome.Failed;

        Assert.That(failed, Is.Not.Null);
        Assert.That(failed!.ErrorText, Does.Contain("incomplete input"));
    }

    [Test]
    public async Task Evaluate_TopLevelArrayWithInitializerList_IsAVariable()
    {
        Assert.That(await Value("int[] primes = { 2, 3, 5 }; primes.Sum()"), Is.EqualTo("10"));
        Assert.That(await Value("primes[2]"), Is.EqualTo("5"));
    }

    [Test]
    public async Task Evaluate_LastValues_AreSessionScoped()
    {
        await Value("40 + 2", session: "values-a");
        await Value("\"other\"", session: "values-b");

        Assert.That(await Value("_1", session: "values-a"), Is.EqualTo("42"));
        Assert.That(await Value("_2", session: "values-a"), Is.EqualTo("42"), "_1 was 42 when _1 was evaluated");
        Assert.That(await Value("_1", session: "values-b"), Is.EqualTo("\"other\""));
        await Value("record Pair(int A, int B);", session: "values-a");
        await Value("new Pair(3, 4)", session: "values-a");
        Assert.That(await Value("_1.A + _1.B", session: "values-a"), Is.EqualTo("7"), "last values are dynamic: members work without a cast");
    }

    [Test]
    public async Task Evaluate_ReadLine_AsksForInputAndGetsIt()
    {
        var evalTask = World.EvaluateAsync(Request("Console.ReadLine()", session: "stdin-1"), Deadline());

        var need = await Output.NextNeedInputAsync("stdin-1", Deadline());
        Assert.That(need.Session, Is.EqualTo("stdin-1"));
        World.Stdin("stdin-1", "typed line\n");

        Assert.That(await evalTask, Is.EqualTo(new EvalOutcome.Value("\"typed line\"", false)));
    }

    [Test]
    public async Task Evaluate_InfiniteLoop_StopsOnInterrupt()
    {
        var request = Request("Console.WriteLine(\"looping\"); while (true) { }", session: "loop-1");
        var evalTask = World.EvaluateAsync(request, Deadline());
        await Output.WaitForOutputAsync(request.EvalId, "looping", Deadline());

        World.Interrupt("loop-1", request.EvalId);

        Assert.That(await evalTask, Is.TypeOf<EvalOutcome.Interrupted>());
        Assert.That(await Value("1 + 1", session: "loop-1"), Is.EqualTo("2"), "the session works afterwards");
    }

    [Test]
    public async Task Evaluate_UnboundedRecursion_IsAnExceptionAndTheTargetSurvives()
    {
        await Value("int Down(int n) => Down(n + 1) + 1;");

        var failed = await Eval("Down(0)") as EvalOutcome.Failed;

        Assert.That(failed, Is.Not.Null);
        Assert.That(failed!.Ex, Is.EqualTo("System.InsufficientExecutionStackException"));
        Assert.That(await Value("2 * 21"), Is.EqualTo("42"));
    }

    [Test]
    public async Task Evaluate_ClassRedefinedWithLiveInstances_InstancesMigratedInPlace()
    {
        await Value("class Player { public string Name = \"anon\"; public int Hp = 100; }");
        await Value("var players = Enumerable.Range(0, 1000).Select(i => new Player { Name = $\"p{i}\" }).ToList();");
        await Value("var first = players[0];");
        await Value("string Describe(Player p) => p.Name;");
        await Value("var seenTags = new ManualResetEventSlim(); var watcher = Live.Every(TimeSpan.FromMilliseconds(2), () => { if (Describe(first).Contains(\"tags\")) seenTags.Set(); });");

        var redefined = await Value("class Player { public string Name = \"anon\"; public long Hp = 100; public int Mana = 50; public List<string> Tags = new(); }");
        await Value("string Describe(Player p) => $\"{p.Name} hp={p.Hp} mana={p.Mana} tags={p.Tags.Count}\";");

        Assert.That(redefined, Does.Contain("Player: 1000 live instances migrated"));
        Assert.That(await Value("ReferenceEquals(first, players[0])"), Is.EqualTo("true"), "same objects");
        Assert.That(await Value("players.All(p => p.Hp == 100L) && players[0].Hp.GetType() == typeof(long)"), Is.EqualTo("true"), "Hp kept its value as a long");
        Assert.That(await Value("players.All(p => p.Mana == 50)"), Is.EqualTo("true"), "the initializer ran for every instance");
        Assert.That(await Value("players.Select(p => p.Tags).Distinct().Count()"), Is.EqualTo("1000"), "each instance has its own list");
        Assert.That(await Value("players[3].Hp = 5_000_000_000; players[3].Hp"), Is.EqualTo("5000000000"), "new code uses the new field on old objects");
        Assert.That(await Value("Describe(players[7])"), Is.EqualTo("\"p7 hp=100 mana=50 tags=0\""));
        Assert.That(await Value("seenTags.Wait(10000)"), Is.EqualTo("true"), "the running loop sees the migrated object through the new code");
        await Eval("watcher.Dispose();");
    }

    [Test]
    public async Task Evaluate_NarrowingThatLosesData_RaisesConditionAndAbortLeavesEverythingUnchanged()
    {
        await Value("class Meter { public long Reading; public string Show() => $\"r={Reading}\"; }");
        await Value("var meters = Enumerable.Range(0, 10).Select(i => new Meter { Reading = i }).ToList();");
        await Eval("meters[4].Reading = 3_000_000_000;");

        var request = Request("class Meter { public int Reading; public string Show() => $\"R:{Reading}\"; }", session: "cond-1");
        var redefining = World.EvaluateAsync(request, Deadline());
        var condition = await Output.NextConditionAsync("cond-1", Deadline());
        var need = await Output.NextNeedInputAsync("cond-1", Deadline());
        World.Stdin("cond-1", "7\n");
        await Output.NextNeedInputAsync("cond-1", Deadline()); // an answer that is not a restart asks again
        World.Stdin("cond-1", "4\n");
        var failed = await redefining as EvalOutcome.Failed;

        Assert.That(need.EvalId, Is.EqualTo(request.EvalId));
        var described = (IReadOnlyDictionary<string, object?>)condition["condition"]!;
        Assert.That((described["type"], described["class"], described["field"], described["failing"], described["instances"]),
            Is.EqualTo(("FieldConversionError", "Meter", "Reading", 1L, 10L)));
        Assert.That((described["from-version"], described["to-version"]), Is.EqualTo((1L, 2L)));
        var restarts = ((IEnumerable<object?>)condition["restarts"]!).Cast<IReadOnlyDictionary<string, object?>>().Select(r => r["name"]).ToList();
        Assert.That(restarts, Is.EqualTo(new[] { "use-value", "use-value-for-all", "use-default", "accept-with-defaults", "abort-redefinition" }));
        Assert.That(condition["level"], Is.EqualTo(1L));
        Assert.That(Output.ErrOf(request.EvalId), Does.Contain("Meter#4 Reading = 3000000000").And.Contain("4: [abort-redefinition] *").And.Contain("Not a restart"));
        Assert.That(failed, Is.Not.Null);
        Assert.That(failed!.ErrorText, Does.Contain("aborted").And.Contain("unchanged"));
        Assert.That(await Value("meters[4].Show() + meters[5].Show()"), Is.EqualTo("\"r=3000000000r=5\""), "old data and old methods");
    }

    [Test]
    public async Task Evaluate_ConditionAnsweredWithUseDefault_MigratesWithDefaultForTheFailingInstances()
    {
        await Value("class Gauge { public long Level; }");
        await Value("var gauges = Enumerable.Range(0, 5).Select(i => new Gauge { Level = i * 10 }).ToList();");
        await Eval("gauges[2].Level = long.MaxValue;");

        var request = Request("class Gauge { public int Level; }", session: "cond-2");
        var redefining = World.EvaluateAsync(request, Deadline());
        var condition = await Output.NextConditionAsync("cond-2", Deadline());
        Assert.That(World.InvokeRestart("not-a-condition", "use-default", null), Does.Contain("not pending"));
        Assert.That(World.InvokeRestart((string)condition["condition-id"]!, "use-default", null), Is.Null);
        var outcome = await redefining;

        Assert.That(outcome, Is.TypeOf<EvalOutcome.Value>(), outcome.ToString());
        Assert.That(((EvalOutcome.Value)outcome).Printed, Does.Contain("5 live instances migrated"));
        Assert.That(await Value("string.Join(\",\", gauges.Select(g => g.Level))"), Is.EqualTo("\"0,10,0,30,40\""));
        Assert.That(World.InvokeRestart((string)condition["condition-id"]!, "use-default", null), Does.Contain("not pending"), "a stale condition id is refused");
    }

    [Test]
    public async Task Evaluate_ConditionAnsweredWithAnExpression_ItGivesTheFailingInstancesTheirValue()
    {
        await Value("class Tank { public long Litres; }");
        await Value("var tanks = new List<Tank> { new Tank { Litres = 7 }, new Tank { Litres = 9_000_000_000_000 }, new Tank { Litres = -1 } };");

        var redefining = World.EvaluateAsync(Request("class Tank { public int Litres; }", session: "cond-3"), Deadline());
        var first = await Output.NextConditionAsync("cond-3", Deadline());
        World.Stdin("cond-3", "1 (int)(old / 1_000_000) + self.GetHashCode() * 0\n");
        var outcome = await redefining;

        Assert.That(first["level"], Is.EqualTo(1L));
        Assert.That(outcome, Is.TypeOf<EvalOutcome.Value>(), outcome.ToString());
        Assert.That(await Value("string.Join(\",\", tanks.Select(t => t.Litres))"), Is.EqualTo("\"7,9000000,-1\""), "only the instance that did not fit got the expression's value");
    }

    [Test]
    public async Task Evaluate_UseValueForOneInstance_TheNextFailingInstanceIsAskedAgainAtTheSameLevel()
    {
        await Value("class Silo { public long Grain; }");
        await Value("var silos = new List<Silo> { new Silo { Grain = 1 }, new Silo { Grain = long.MaxValue }, new Silo { Grain = 2 }, new Silo { Grain = long.MinValue }, new Silo { Grain = -5_000_000_000 } };");

        var redefining = World.EvaluateAsync(Request("class Silo { public int Grain; }", session: "cond-one"), Deadline());
        var first = await Output.NextConditionAsync("cond-one", Deadline());
        World.Stdin("cond-one", "0 (int)(old % 1000) - 1\n");
        var second = await Output.NextConditionAsync("cond-one", Deadline());
        World.Stdin("cond-one", "0 checked((int)old)\n"); // fails for its instance: asked again one level deeper
        var third = await Output.NextConditionAsync("cond-one", Deadline());
        World.Stdin("cond-one", "use-value-for-all -9\n");
        var outcome = await redefining;

        string Described(IReadOnlyDictionary<string, object?> c, string key) =>
            ((IReadOnlyDictionary<string, object?>)c["condition"]!)[key] is IEnumerable<string> list ? string.Join("; ", list) : ((IReadOnlyDictionary<string, object?>)c["condition"]!)[key]!.ToString()!;
        Assert.That((Described(first, "failing"), first["level"]), Is.EqualTo(("3", 1L)));
        Assert.That((Described(second, "failing"), second["level"]), Is.EqualTo(("2", 1L)), "the instance that got its value is no longer failing; the next one is asked at level 1");
        Assert.That((Described(third, "failing"), third["level"]), Is.EqualTo(("2", 2L)), "the value given for that instance failed");
        Assert.That(Described(second, "samples"), Is.Not.EqualTo(Described(first, "samples")));
        Assert.That(outcome, Is.TypeOf<EvalOutcome.Value>(), outcome.ToString());
        Assert.That(await Value("string.Join(\",\", silos.Select(s => s.Grain))"), Is.EqualTo("\"1,806,2,-9,-9\""), "long.MaxValue % 1000 - 1 for the first, -9 for the rest that did not fit");
    }

    [Test]
    public async Task Evaluate_StringRetypedToInt_NoImplicitConversion_AnsweredWithAnExpression()
    {
        await Value("class Entry { public string Age = \"0\"; }");
        await Value("var entries = new List<Entry> { new Entry { Age = \"41\" }, new Entry { Age = \" 7\" } };");

        var (outcome, condition, request) = await Answered("class Entry { public int Age; }", "tier-3", "use-value-for-all int.Parse(old)");

        var described = (IReadOnlyDictionary<string, object?>)condition["condition"]!;
        Assert.That((described["type"], described["failing"]), Is.EqualTo(("FieldConversionError", 2L)));
        Assert.That(Output.ErrOf(request.EvalId), Does.Contain("Entry.Age (string -> int, no implicit conversion)").And.Contain("Age = \"41\""));
        Assert.That(outcome, Is.TypeOf<EvalOutcome.Value>(), outcome.ToString());
        Assert.That(await Value("entries[0].Age + entries[1].Age"), Is.EqualTo("48"));
    }

    [Test]
    public async Task Evaluate_RestartValueThatFails_RaisesTheConditionAgainOneLevelDeeper()
    {
        await Value("class Vat { public long Amount; }");
        await Value("var vats = new List<Vat> { new Vat { Amount = long.MaxValue } };");

        var redefining = World.EvaluateAsync(Request("class Vat { public int Amount; }", session: "cond-4"), Deadline());
        await Output.NextConditionAsync("cond-4", Deadline());
        World.Stdin("cond-4", "use-value-for-all checked((int)old)\n");
        var second = await Output.NextConditionAsync("cond-4", Deadline());
        Assert.That(World.InvokeRestart((string)second["condition-id"]!, "use-value-for-all", "42"), Is.Null);
        var outcome = await redefining;

        Assert.That(second["level"], Is.EqualTo(2L), "the restart's own value failed: a deeper condition");
        Assert.That(outcome, Is.TypeOf<EvalOutcome.Value>(), outcome.ToString());
        Assert.That(await Value("vats[0].Amount"), Is.EqualTo("42"));
    }

    [Test]
    public async Task LoadFile_ConditionHandlerRegisteredByWorldCode_PicksTheRestart()
    {
        await Value("class Reading { public long Raw; }");
        await Value("var readings = new List<Reading> { new Reading { Raw = 12 }, new Reading { Raw = long.MaxValue } };");
        await Value("var handler = Live.HandleConditions(c => c.Type == \"FieldConversionError\" && c.Field == \"Raw\" ? \"use-value-for-all -1\" : null);");

        var request = Request("class Reading { public int Raw; }", file: "/src/reading.cs", loadFile: true);
        var outcome = await World.EvaluateAsync(request, Deadline());

        Assert.That(outcome, Is.TypeOf<EvalOutcome.Value>(), outcome.ToString());
        Assert.That(Output.ErrOf(request.EvalId), Does.Contain("Handled by a condition handler: use-value-for-all -1"));
        Assert.That(await Value("readings[0].Raw + \",\" + readings[1].Raw"), Is.EqualTo("\"12,-1\""));
        await Eval("handler.Dispose();");
    }

    [Test]
    public async Task Evaluate_InferredRenameRefusedByHandler_FieldsAreRemovedAndAddedInstead()
    {
        await Value("class Knight { public int Health = 5; public string Name = \"k\"; }");
        await Value("var knight = new Knight { Health = 77 };");
        await Value("var renames = Live.HandleConditions(c => c.Type == \"FieldRenameInferred\" ? \"not-a-rename\" : null);");

        var request = Request("class Knight { public int Stamina = 9; public string Name = \"k\"; }");
        var outcome = await World.EvaluateAsync(request, Deadline());
        await Eval("renames.Dispose();");

        Assert.That(outcome, Is.TypeOf<EvalOutcome.Value>(), outcome.ToString());
        Assert.That(await Value("knight.Stamina"), Is.EqualTo("9"), "Stamina started from its initializer, not from Health");
        Assert.That(await Value("Live.Discarded(knight)[\"Health\"]"), Is.EqualTo("77"));
        Assert.That(Output.ErrOf(request.EvalId), Does.Not.Contain("FieldRenameInferred").And.Contain("FieldDataDiscarded"));
    }

    [Test]
    public async Task Evaluate_WarningMuffledByHandler_IsNotWritten()
    {
        await Value("class Lamp { public int Watts = 40; }");
        await Value("var muffle = Live.HandleConditions(c => c.Type == \"InitializerNotRerun\" ? \"muffle-warning\" : null);");

        var request = Request("class Lamp { public int Watts = 60; }");
        await World.EvaluateAsync(request, Deadline());
        await Eval("muffle.Dispose();");
        var unmuffled = Request("class Lamp { public int Watts = 75; }");
        await World.EvaluateAsync(unmuffled, Deadline());

        Assert.That(Output.ErrOf(request.EvalId), Does.Not.Contain("InitializerNotRerun"));
        Assert.That(Output.ErrOf(unmuffled.EvalId), Does.Contain("InitializerNotRerun: Lamp.Watts has a new initializer (75)"));
    }

    [Test]
    public async Task Evaluate_InstancesCreatedWhileConditionWaits_AreMigratedAtCommit()
    {
        await Value("class Spawn { public long Id; }");
        await Value("var spawned = new System.Collections.Concurrent.ConcurrentQueue<Spawn>(); var spawning = 0;");
        await Eval("spawned.Enqueue(new Spawn { Id = long.MaxValue });");
        // A timer does not pause for migrations: it keeps making instances with the old constructor
        // while the user decides; the prepare that follows the answer covers them.
        var timer = Request("var spawner = new Timer(_ => { if (spawning == 1) { spawned.Enqueue(new Spawn()); Console.WriteLine(\"spawned\"); } }, null, 0, 3);");
        await World.EvaluateAsync(timer, Deadline());
        await Eval("spawning = 1;");

        var redefining = World.EvaluateAsync(Request("class Spawn { public int Id; public int Tag = 7; }", session: "cond-spawn"), Deadline());
        await Output.NextConditionAsync("cond-spawn", Deadline());
        var before = Output.OutOf(timer.EvalId).Count(c => c == '\n');
        await Output.WaitForOutputLinesAsync(timer.EvalId, before + 2, Deadline()); // instances made while the user decides
        World.Stdin("cond-spawn", "use-default\n");
        var outcome = await redefining;
        await Eval("spawning = 0; spawner.Dispose();");

        Assert.That(outcome, Is.TypeOf<EvalOutcome.Value>(), outcome.ToString());
        Assert.That(await Value("spawned.Count(s => s.Tag != 7)"), Is.EqualTo("0"), "every instance, those created while waiting included, ran the initializer");
    }

    [Test]
    public async Task LoadFile_MigrationProblem_NoOneToAskSoTheDefaultAbortApplies()
    {
        await Value("class Cell { public long V; }");
        await Value("var cell = new Cell { V = long.MinValue };");

        var outcome = await World.EvaluateAsync(Request("class Cell { public int V; }", file: "/src/cell.cs", loadFile: true), Deadline());

        Assert.That(outcome, Is.TypeOf<EvalOutcome.Failed>());
        Assert.That(((EvalOutcome.Failed)outcome).ErrorText, Does.Contain("FieldConversionError Cell.V"));
        Assert.That(await Value("cell.V"), Is.EqualTo("-9223372036854775808"));
    }

    [Test]
    public async Task Evaluate_RemovedField_ValueKeptInDiscardedBag()
    {
        await Value("class Note { public string Text = \"\"; public int Priority; }");
        await Value("var note = new Note { Text = \"hi\", Priority = 3 };");

        await Value("class Note { public string Text = \"\"; }");

        Assert.That(await Value("Live.Discarded(note)[\"Priority\"]"), Is.EqualTo("3"));
        Assert.That(await Value("note.Text"), Is.EqualTo("\"hi\""));
    }

    [Test]
    public async Task Evaluate_RecordRedefinedWithLiveInstances_MigratedIncludingWithCopies()
    {
        await Value("record Hero(string Name) { public int Hp = 100; }");
        await Value("var hero = new Hero(\"ada\"); var clone = hero with { Hp = 5 };");

        var redefined = await Value("record Hero(string Name) { public int Hp = 100; public int Mana = 50; }");

        Assert.That(redefined, Does.Contain("Hero: 2 live instances migrated"), "the `with` copy was registered too");
        Assert.That(await Value("hero"), Is.EqualTo("Hero { Name = ada, Hp = 100, Mana = 50 }"), "ToString lists the new field");
        Assert.That(await Value("clone.Hp + clone.Mana"), Is.EqualTo("55"));
        Assert.That(await Value("hero == (hero with { })"), Is.EqualTo("true"), "equality covers the new field consistently");
        Assert.That(await Value("hero == (hero with { Mana = 1 })"), Is.EqualTo("false"));
    }

    [Test]
    public async Task Evaluate_ClassWithPrimaryConstructorRedefined_InstancesMigratedKeepingTheirValues()
    {
        await Value("class Goblin(string name, int hp) { public string Name = name; public int Hp = hp; public override string ToString() => $\"{Name}:{Hp}\"; }");
        await Value("var mobs = new List<Goblin> { new Goblin(\"orc\", 30), new Goblin(\"elf\", 20) };");

        var redefined = await Value("class Goblin(string name, int hp) { public string Name = name; public long Hp = hp; public int Mana = 5; public override string ToString() => $\"{Name}:{Hp}:{Mana}\"; }");

        Assert.That(redefined, Does.Contain("Goblin: 2 live instances migrated"));
        Assert.That(await Value("string.Join(\",\", mobs)"), Is.EqualTo("\"orc:30:5,elf:20:5\""));
        Assert.That(await Value("new Goblin(\"imp\", 1).ToString()"), Is.EqualTo("\"imp:1:5\""), "the new shape is constructed from the primary constructor");
    }

    [Test]
    public async Task Evaluate_RecordFieldInitializedFromParameter_AddingAFieldMigratesInstances()
    {
        await Value("record Crate(int Size) { public int Area = Size * Size; }");
        await Value("var crate = new Crate(3);");

        var redefined = await Value("record Crate(int Size) { public int Area = Size * Size; public string Label = \"box\"; }");

        Assert.That(redefined, Does.Contain("Crate: 1 live instance migrated"));
        Assert.That(await Value("crate"), Is.EqualTo("Crate { Size = 3, Area = 9, Label = box }"));
    }

    [Test]
    public async Task Evaluate_AddedFieldInitializedFromConstructorParameter_LiveInstancesGetDefaultWithWarning()
    {
        await Value("record Carton(int Size);");
        await Value("var carton = new Carton(3);");

        var request = Request("record Carton(int Size) { public int Area = Size * Size; }");
        await World.EvaluateAsync(request, Deadline());

        Assert.That(Output.ErrOf(request.EvalId), Does.Contain("InitializerNotRerun: Carton.Area is initialized from the primary constructor's parameter `Size`"));
        Assert.That(await Value("carton.Area"), Is.EqualTo("0"), "the live instance was not made with a Size argument the initializer could read");
        Assert.That(await Value("new Carton(4).Area"), Is.EqualTo("16"), "new instances run the initializer");
    }

    [Test]
    public async Task Evaluate_AddedNonNullableReferenceInitializedFromParameter_MissingInitialValueAnsweredWithAValue()
    {
        await Value("class Sticker(string text) { public int Uses; }");
        await Value("var stickers = new List<Sticker> { new Sticker(\"x\"), new Sticker(\"y\") { Uses = 3 } };");

        var request = Request("class Sticker(string text) { public int Uses; public string Text = text; }", session: "missing-1");
        var redefining = World.EvaluateAsync(request, Deadline());
        var condition = await Output.NextConditionAsync("missing-1", Deadline());
        World.Stdin("missing-1", "use-value-for-all \"uses \" + self.Uses\n");
        var outcome = await redefining;

        var described = (IReadOnlyDictionary<string, object?>)condition["condition"]!;
        Assert.That((described["type"], described["field"], described["failing"]), Is.EqualTo(("MissingInitialValue", "Text", 2L)));
        Assert.That(Output.ErrOf(request.EvalId), Does.Contain("parameter `text`").And.Contain("[use-default] *"));
        Assert.That(outcome, Is.TypeOf<EvalOutcome.Value>(), outcome.ToString());
        Assert.That(await Value("string.Join(\",\", stickers.Select(s => s.Text))"), Is.EqualTo("\"uses 0,uses 3\""));
        Assert.That(await Value("new Sticker(\"z\").Text"), Is.EqualTo("\"z\""), "new instances run the initializer");
    }

    [Test]
    public async Task LoadFile_MissingInitialValue_NoOneToAskSoUseDefaultApplies()
    {
        await Value("class Memo { public int Id = 1; }");
        await Value("var memo = new Memo();");

        var request = Request("class Memo { public int Id = 1; public string Body; }", file: "/src/memo.cs", loadFile: true);
        var outcome = await World.EvaluateAsync(request, Deadline());

        Assert.That(outcome, Is.TypeOf<EvalOutcome.Value>(), outcome.ToString());
        Assert.That(Output.ErrOf(request.EvalId), Does.Contain("MissingInitialValue: Memo.Body").And.Contain("default restart use-default applies"));
        Assert.That(await Value("memo.Body is null && memo.Id == 1"), Is.EqualTo("true"));
    }

    [Test]
    public async Task Evaluate_PrimaryConstructorClassDerivedFromWorldClass_TrackedThroughItsBase()
    {
        await Value("class Beast { public int Legs = 4; }");
        await Value("class Hound(string name) : Beast { public string Name = name; }");
        await Value("var hound = new Hound(\"rex\");");

        var redefined = await Value("class Hound(string name) : Beast { public string Name = name; public bool Good = true; }");

        Assert.That(redefined, Does.Contain("Hound: 1 live instance migrated"));
        Assert.That(await Value("$\"{hound.Name} {hound.Legs} {hound.Good}\""), Is.EqualTo("\"rex 4 True\""));
    }

    [Test]
    public async Task Evaluate_RecordDerivedFromWorldRecord_MigratedIncludingWithCopies()
    {
        await Value("record Shape(string Name);");
        await Value("record Square(string Name, int Side) : Shape(Name);");
        await Value("var square = new Square(\"sq\", 2); var copy = square with { Side = 3 };");

        var redefined = await Value("record Square(string Name, int Side) : Shape(Name) { public string Color = \"red\"; }");

        Assert.That(redefined, Does.Contain("Square: 2 live instances migrated"));
        Assert.That(await Value("copy"), Is.EqualTo("Square { Name = sq, Side = 3, Color = red }"));
    }

    [Test]
    public async Task Evaluate_BaseListAddedToClassWithoutOne_ConditionSaysTheBaseChanges_AbortRefuses()
    {
        await Value("class Bare { public int V = 1; }");

        var request = Request("class Bare : IComparable { public int V = 1; public int CompareTo(object? o) => 0; }", session: "bare");
        var redefining = World.EvaluateAsync(request, Deadline());
        var condition = await Output.NextConditionAsync("bare", Deadline());
        Assert.That(World.InvokeRestart((string)condition["condition-id"]!, "abort-redefinition", null), Is.Null);
        var failed = await redefining as EvalOutcome.Failed;

        Assert.That(Output.ErrOf(request.EvalId), Does.Contain("IncompatibleShapeChange").And.Contain("base type cannot change").And.Not.Contain("LiveObject"));
        Assert.That(failed, Is.Not.Null);
        Assert.That(failed!.ErrorText, Does.Contain("base type cannot change").And.Contain("aborted"));
    }

    [Test]
    public async Task Evaluate_FieldAddedToRecordWithDeclaredBase_IncompatibleShapeThenAbortLeavesWorldUnchanged()
    {
        await Value("record Mob : IDisposable { public int Hp = 10; public int Twice() => Hp * 2; public void Dispose() { } }");
        await Value("var mob = new Mob();");

        var redefining = World.EvaluateAsync(Request("record Mob : IDisposable { public int Hp = 10; public int Mana = 5; public int Twice() => Hp * 200; public void Dispose() { } }", session: "mob"), Deadline());
        var condition = await Output.NextConditionAsync("mob", Deadline());
        World.Stdin("mob", "abort-redefinition\n");
        var failed = await redefining as EvalOutcome.Failed;

        Assert.That(failed, Is.Not.Null);
        Assert.That(failed!.ErrorText, Does.Contain("Mob.Mana").And.Contain("not tracked yet"));
        Assert.That(await Value("mob.Twice()"), Is.EqualTo("20"), "the refused redefinition changed nothing");
    }

    [Test]
    public async Task Evaluate_StaticFieldAddedToLiveType_GetsItsInitializerAndOthersKeepTheirValues()
    {
        await Value("class Settings { public static int Level = 1; public static int Get() => Level; }");
        await Eval("Settings.Level = 7;");

        await Value("class Settings { public static int Level = 1; public static List<string> Names = new() { \"a\" }; public static int Get() => Level + Names.Count; }");

        Assert.That(await Value("Settings.Get()"), Is.EqualTo("8"), "Level kept 7; Names was initialized");
    }

    [Test]
    public async Task Evaluate_StaticFieldRetyped_ValueConvertedAndUsersRecompiled()
    {
        await Value("class Score { static int total = 3; public static int Add(int v) => total += v; }");
        await Value("Score.Add(39)");

        var redefined = await Value("class Score { static long total = 3; public static long Add(long v) => total += v; }");

        Assert.That(redefined, Does.Contain("static total converted"));
        Assert.That(await Value("Score.Add(5_000_000_000)"), Is.EqualTo("5000000042"), "42 kept, now a long");
    }

    [Test]
    public async Task Evaluate_StaticFieldNarrowedAndValueDoesNotFit_ConditionThenAbortKeepsIt()
    {
        await Value("class Big { public static long Value = long.MaxValue; }");

        var redefining = World.EvaluateAsync(Request("class Big { public static int Value = 1; }", session: "cond-static"), Deadline());
        var condition = await Output.NextConditionAsync("cond-static", Deadline());
        World.Stdin("cond-static", "abort-redefinition\n");
        var outcome = await redefining;

        Assert.That(((IReadOnlyDictionary<string, object?>)condition["condition"]!)["field"], Is.EqualTo("Value"));
        Assert.That(outcome, Is.TypeOf<EvalOutcome.Failed>());
        Assert.That(await Value("Big.Value"), Is.EqualTo("9223372036854775807"));
    }

    [Test]
    public async Task Evaluate_SignatureChange_CallersUseTheNewDefinition()
    {
        await Value("int Sq(int v) => v * v;");
        await Value("long SqPlus(int v) => Sq(v) + 1;");

        await Value("long Sq(long v) => v * v * 10;");

        Assert.That(await Value("SqPlus(3)"), Is.EqualTo("91"));
    }

    [Test]
    public async Task LoadFile_DefinitionsBecomeTheFileContent()
    {
        var first = await World.EvaluateAsync(Request("int Lf1() => 1;\nint Lf2() => 2;\nLf1() + Lf2()", file: "/src/lf.cs", loadFile: true), Deadline());
        Assert.That(first, Is.EqualTo(new EvalOutcome.Value("3", false)));

        await World.EvaluateAsync(Request("int Lf1() => 10;", file: "/src/lf.cs", loadFile: true), Deadline());

        Assert.That(await Value("Lf1()"), Is.EqualTo("10"));
        Assert.That(await Eval("Lf2()"), Is.TypeOf<EvalOutcome.Failed>(), "Lf2 left the file, so it left the world");
    }
}
