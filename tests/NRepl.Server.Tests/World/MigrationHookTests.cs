using NRepl.Runtime.Contract;
using NRepl.Server.Evaluation;
using NRepl.Server.World;

namespace NRepl.Server.Tests.World;

/// <summary>
/// Explicit migration hooks (research/migration.md §7.6) with a real target: OnRedefined and the static
/// Migrate run once per live instance after the implicit rules; a hook that throws leaves its instance as
/// the implicit rules made it and raises MigrationHookFailed, answered with retry (after fixing the hook
/// from another session) or skip-instance.
/// </summary>
[NonParallelizable]
public sealed class MigrationHookTests : LiveWorldFixture
{
    [Test]
    public async Task InstanceHook_RunsOncePerInstanceAfterTheImplicitRules_WithTheOldValuesAndTheDiscardedOnes()
    {
        await Value("class Hero { public string Name = \"h\"; public int Hp = 100; public int Gold; }");
        await Value("var heroes = Enumerable.Range(1, 3).Select(i => new Hero { Name = \"h\" + i, Hp = i * 10, Gold = i }).ToList(); var firstHero = heroes[0];");

        var outcome = await Eval("""
            class Hero
            {
                public string Name = "h";
                public long Hp = 100;
                public int Mana = 5;
                public List<string> Log = new();
                void OnRedefined(MigrationContext ctx)
                {
                    Mana += ctx.OldValue<int>("Hp") * 2 + (int)ctx.Discarded["Gold"]!;
                    Log.Add($"v{ctx.FromVersion}->v{ctx.ToVersion} added {string.Join(",", ctx.Added.Order())}; old Hp {ctx.Old["Hp"]!.GetType().Name}");
                }
            }
            """);

        Assert.That(outcome, Is.TypeOf<EvalOutcome.Value>(), outcome.ToString());
        Assert.That(((EvalOutcome.Value)outcome).Printed, Does.Contain("3 live instances migrated, OnRedefined run"));
        Assert.That(await Value("string.Join(\",\", heroes.Select(h => h.Mana))"), Is.EqualTo("\"26,47,68\""), "initializer 5, then the hook added 2×Hp + Gold");
        Assert.That(await Value("heroes[1].Log.Single()"), Is.EqualTo("\"v1->v2 added Log,Mana; old Hp Int32\""));
        Assert.That(await Value("ReferenceEquals(firstHero, heroes[0]) && heroes[0].Hp == 10L"), Is.EqualTo("true"));
    }

    [Test]
    public async Task StaticHookOfRecord_InstanceTakesTheReturnedCopysValuesAndKeepsItsIdentity()
    {
        await Value("record Pin(int X) { public int Y = 1; }");
        await Value("var pins = new List<Pin> { new Pin(1), new Pin(2) { Y = 5 } }; var pinned = pins[1];");

        var outcome = await Eval("record Pin(int X) { public int Y = 1; public string Tag = \"\"; static Pin Migrate(Pin migrated, MigrationContext ctx) => migrated with { Tag = $\"{migrated.X}/{migrated.Y}\" }; }");

        Assert.That(outcome, Is.TypeOf<EvalOutcome.Value>(), outcome.ToString());
        Assert.That(await Value("string.Join(\",\", pins.Select(p => p.Tag))"), Is.EqualTo("\"1/1,2/5\""));
        Assert.That(await Value("ReferenceEquals(pinned, pins[1]) && pinned.Tag == \"2/5\""), Is.EqualTo("true"));
    }

    [Test]
    public async Task HookThatThrows_ConditionThenRetryAfterFixingItFromAnotherSession_Completes()
    {
        await Value("class Mage { public int Hp; }");
        await Value("var mages = Enumerable.Range(0, 4).Select(i => new Mage { Hp = i }).ToList();");
        await Value("static int ManaFor(int hp) => 100 / hp;");

        // The hook changes the instance before it throws: that change must be undone for the failing instance.
        var request = Request("class Mage { public int Hp; public int Mana = -1; void OnRedefined(MigrationContext ctx) { Hp += 1000; Mana = ManaFor(ctx.OldValue<int>(\"Hp\")); } }", session: "hook-1");
        var redefining = World.EvaluateAsync(request, Deadline());
        var condition = await Output.NextConditionAsync("hook-1", Deadline());
        await Output.NextNeedInputAsync("hook-1", Deadline());

        var described = (IReadOnlyDictionary<string, object?>)condition["condition"]!;
        Assert.That((described["type"], described["class"], described["field"], described["failing"], described["instances"]),
            Is.EqualTo(("MigrationHookFailed", "Mage", "OnRedefined", 1L, 4L)));
        var restarts = ((IEnumerable<object?>)condition["restarts"]!).Cast<IReadOnlyDictionary<string, object?>>().Select(r => r["name"]).ToList();
        Assert.That(restarts, Is.EqualTo(new[] { "retry", "skip-instance", "abort-redefinition" }));
        Assert.That(Output.ErrOf(request.EvalId), Does.Contain("DivideByZeroException").And.Contain("2: [abort-redefinition] *"));

        // While the condition waits the world takes redefinitions that change no field (the fix), and refuses ones that do.
        var refused = await Eval("class Mage { public int Hp; public int Mana = -1; public int Extra; }", session: "hook-fix");
        Assert.That(refused, Is.TypeOf<EvalOutcome.Failed>());
        Assert.That(((EvalOutcome.Failed)refused).ErrorText, Does.Contain("waiting for its failed hooks"));
        var fixedIt = await Eval("static int ManaFor(int hp) => hp == 0 ? 7 : 100 / hp;", session: "hook-fix");
        Assert.That(fixedIt, Is.Not.TypeOf<EvalOutcome.Failed>(), fixedIt.ToString());

        World.Stdin("hook-1", "0\n");
        var outcome = await redefining;

        Assert.That(outcome, Is.TypeOf<EvalOutcome.Value>(), outcome.ToString());
        Assert.That(Output.ErrOf(request.EvalId), Does.Contain("succeeded on retry"));
        Assert.That(await Value("string.Join(\",\", mages.Select(m => m.Hp + \":\" + m.Mana))"), Is.EqualTo("\"1000:7,1001:100,1002:50,1003:33\""),
            "the hook ran exactly once on each instance: the failed run's change was undone before the retry");
    }

    [Test]
    public async Task HookThatThrows_SkipInstance_LeavesTheImplicitValuesAndTheOthersHooked()
    {
        await Value("class Rogue { public int Hp; }");
        await Value("var rogues = Enumerable.Range(0, 3).Select(i => new Rogue { Hp = i }).ToList();");

        var request = Request("class Rogue { public int Hp; public int Stealth = 9; void OnRedefined(MigrationContext ctx) { Stealth = 0; if (Hp == 1) throw new InvalidOperationException(\"no stealth for \" + Hp); Stealth = Hp * 3; } }", session: "hook-2");
        var redefining = World.EvaluateAsync(request, Deadline());
        var condition = await Output.NextConditionAsync("hook-2", Deadline());
        Assert.That(World.InvokeRestart((string)condition["condition-id"]!, "skip-instance", null), Is.Null);
        var outcome = await redefining;

        Assert.That(outcome, Is.TypeOf<EvalOutcome.Value>(), outcome.ToString());
        Assert.That(Output.ErrOf(request.EvalId), Does.Contain("no stealth for 1").And.Contain("skipped OnRedefined"));
        Assert.That(await Value("string.Join(\",\", rogues.Select(r => r.Stealth))"), Is.EqualTo("\"0,9,6\""), "the skipped instance holds its initializer's value");
    }

    [Test]
    public async Task HookThatKeepsFailing_RetryRaisesTheConditionOneLevelDeeper_InterruptAbortsAndPutsEverythingBack()
    {
        await Value("class Druid { public int Hp; public List<string> Notes = new(); public string Show() => $\"{Hp}/{Notes.Count}\"; }");
        await Value("var druids = new List<Druid> { new Druid { Hp = 1 }, new Druid { Hp = 2 } }; druids[0].Notes.Add(\"a\"); var firstDruid = druids[0];");

        // The hook succeeds for the first druid, changing a field both versions have; that must be undone too.
        var request = Request("class Druid { public long Hp; public List<string> Notes = new(); public int Bark; public string Show() => \"new\"; void OnRedefined(MigrationContext ctx) { Notes = new List<string> { \"hooked\" }; Hp *= 100; Bark = Hp == 200 ? throw new InvalidOperationException(\"bark\") : 5; } }", session: "hook-3");
        var redefining = World.EvaluateAsync(request, Deadline());
        await Output.NextConditionAsync("hook-3", Deadline());
        World.Stdin("hook-3", "retry\n");
        var second = await Output.NextConditionAsync("hook-3", Deadline());
        World.Interrupt("hook-3", request.EvalId);
        var outcome = await redefining;

        Assert.That(second["level"], Is.EqualTo(2L));
        Assert.That(outcome, Is.TypeOf<EvalOutcome.Failed>(), outcome.ToString());
        Assert.That(((EvalOutcome.Failed)outcome).ErrorText, Does.Contain("was aborted").And.Contain("values it had before"));
        Assert.That(await Value("string.Join(\",\", druids.Select(d => d.Show()))"), Is.EqualTo("\"1/1,2/0\""), "old methods, old values (Hp back from 100, the Notes lists the instances had)");
        Assert.That(await Value("ReferenceEquals(firstDruid, druids[0]) && druids[0].Notes.Single() == \"a\""), Is.EqualTo("true"));
        Assert.That(await Value("druids[0].Hp.GetType().Name"), Is.EqualTo("\"Int32\""));
        Assert.That(await Value("new Druid { Hp = 3 }.Show()"), Is.EqualTo("\"3/0\""), "new instances are made by the previous definition");
    }

    [Test]
    public async Task LoadFile_HookThatThrows_NoOneToAskSoTheDefaultAbortApplies()
    {
        await Value("class Monk { public int Hp = 3; public int Gold = 9; }");
        await Value("var monk = new Monk { Gold = 11 };");

        var request = Request("class Monk { public int Hp = 3; public int Ki = 1; void OnRedefined(MigrationContext ctx) => throw new InvalidOperationException(\"no ki\"); }", file: "/src/monk.cs", loadFile: true);
        var outcome = await World.EvaluateAsync(request, Deadline());

        Assert.That(outcome, Is.TypeOf<EvalOutcome.Failed>(), outcome.ToString());
        Assert.That(Output.ErrOf(request.EvalId), Does.Contain("MigrationHookFailed").And.Contain("default restart abort-redefinition applies"));
        Assert.That(await Value("monk.Gold + monk.Hp"), Is.EqualTo("14"), "Gold, removed by the aborted redefinition, is back with its value");
        Assert.That(await Value("Live.Discarded(monk).Count"), Is.EqualTo("0"));
    }

    [Test]
    public async Task HookThatThrows_HandlerPicksSkipInstance()
    {
        await Value("class Friar { public int Hp = 3; }");
        await Value("var friar = new Friar(); var friarHandler = Live.HandleConditions(c => c.Type == \"MigrationHookFailed\" ? \"skip-instance\" : null);");

        var request = Request("class Friar { public int Hp = 3; public int Ale = 2; void OnRedefined(MigrationContext ctx) { Ale = 5; throw new InvalidOperationException(\"dry\"); } }", file: "/src/friar.cs", loadFile: true);
        var outcome = await World.EvaluateAsync(request, Deadline());
        await Eval("friarHandler.Dispose();");

        Assert.That(outcome, Is.TypeOf<EvalOutcome.Value>(), outcome.ToString());
        Assert.That(Output.ErrOf(request.EvalId), Does.Contain("Handled by a condition handler: skip-instance"));
        Assert.That(await Value("friar.Ale"), Is.EqualTo("2"), "the initializer's value; the hook's change was undone");
    }

    [Test]
    public async Task HookThatNeverEnds_InterruptStopsItAndTheRedefinitionIsAborted()
    {
        await Value("class Sage { public int Wisdom = 3; }");
        await Value("var sages = new List<Sage> { new Sage(), new Sage { Wisdom = 8 } };");

        var request = Request("class Sage { public int Wisdom = 3; public int Age = 1; void OnRedefined(MigrationContext ctx) { Console.WriteLine(\"pondering \" + Wisdom); while (true) { Age++; } } }", session: "hook-loop");
        var redefining = World.EvaluateAsync(request, Deadline());
        await Output.WaitForOutputAsync(request.EvalId, "pondering 3", Deadline()); // the hook's output reaches the eval while it runs
        World.Interrupt("hook-loop", request.EvalId);
        var outcome = await redefining;

        Assert.That(outcome, Is.TypeOf<EvalOutcome.Failed>(), outcome.ToString());
        Assert.That(((EvalOutcome.Failed)outcome).ErrorText, Does.Contain("was aborted"));
        Assert.That(await Value("string.Join(\",\", sages.Select(s => s.Wisdom))"), Is.EqualTo("\"3,8\""));
        Assert.That(await Value("1 + 1", session: "hook-loop"), Is.EqualTo("2"), "the target is not wedged");
    }

    [Test]
    public async Task InitializerThatNeverEnds_InterruptAbortsTheRedefinitionBeforeAnythingChanges()
    {
        await Value("class Hermit { public int Days = 2; }");
        await Value("var hermit = new Hermit();");
        await Value("static int Forever() { Console.WriteLine(\"counting\"); var n = 0; while (true) { n++; } }");

        var request = Request("class Hermit { public int Days = 2; public int Count = Forever(); }", session: "init-loop");
        var redefining = World.EvaluateAsync(request, Deadline());
        await Output.WaitForOutputAsync(request.EvalId, "counting", Deadline());
        World.Interrupt("init-loop", request.EvalId);
        var outcome = await redefining;

        Assert.That(outcome, Is.TypeOf<EvalOutcome.Interrupted>(), outcome.ToString());
        Assert.That(await Value("hermit.Days"), Is.EqualTo("2"));
        Assert.That(await Value("typeof(Hermit).GetField(\"Count\") is null"), Is.EqualTo("true"), "the redefinition was not applied");
    }

    [Test]
    public async Task HookWithTheWrongShape_RefusedNamingTheExpectedSignature()
    {
        await Value("class Bard { public int Hp; }");
        await Value("var bard = new Bard { Hp = 4 };");

        var outcome = await Eval("class Bard { public int Hp; public int Songs; static void OnRedefined(MigrationContext ctx) { } }");

        Assert.That(outcome, Is.TypeOf<EvalOutcome.Failed>());
        Assert.That(((EvalOutcome.Failed)outcome).ErrorText, Does.Contain("void OnRedefined(MigrationContext ctx)"));
        Assert.That(await Value("bard.Hp"), Is.EqualTo("4"));
    }
}
