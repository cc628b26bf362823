using NRepl.Runtime.Contract;
using NRepl.Runtime.Tests.Support;
using NRepl.Server.Target;

namespace NRepl.Runtime.Tests.EndToEnd;

/// <summary>
/// Live type migration against a real target: a first delta inserts the new fields and initializer
/// helpers, prepare computes the values, commit writes them together with the method-body delta.
/// </summary>
[TestFixture]
public sealed class MigrationTests
{
    private const string PlayerV1 = """
        public class Player
        {
            public string Name = "anon";
            public int Hp = 100;
            public Player() { InstanceRegistry.Register(this); }
        }
        """;

    // Delta 1 declares only the new shape; the old int Hp stays in metadata with the data.
    private const string PlayerV2 = """
        public class Player
        {
            public string Name = "anon";
            public long Hp = 100;
            public int Mana = 50;
            public List<string> Tags = new List<string>();
            private static int __init_Mana() => 50;
            private static List<string> __init_Tags() => new List<string>();
            public Player() { InstanceRegistry.Register(this); }
        }
        """;

    private const string Defs = """
        public class Monster : Player
        {
            public int Level = 7;
            public Monster() { InstanceRegistry.Register(this); }
        }

        public static partial class __Defs
        {
            public static List<Player> Players = new List<Player>();
            public static Player Kept;
            public static IDisposable Loop;

            public static object __Eval_Create1000() => Create(1000);

            public static object __Eval_Create100k() => Create(100000);

            public static object __Eval_CreateMixed()
            {
                for (var i = 0; i < 10; i++) Players.Add(new Player());
                for (var i = 0; i < 5; i++) Players.Add(new Monster());
                return Players.Count;
            }

            public static object Create(int count)
            {
                for (var i = 0; i < count; i++) { var p = new Player(); p.Hp = i; p.Name = "p" + i; Players.Add(p); }
                Kept = Players[0];
                return Players.Count;
            }

            public static object __Eval_Report() => Report();

            public static string Report()
            {
                long sum = 0;
                foreach (var p in Players) sum += p.Hp;
                return "old sum=" + sum;
            }

            public static object __Eval_StartLoop()
            {
                Loop = Live.Every(TimeSpan.FromMilliseconds(1), () => Console.WriteLine("tick " + Report()));
                return Repl.NoValue;
            }

            public static int Calls;

            public static List<Player> Spawned = new List<Player>();
            public static System.Threading.Timer Spawner;

            // A timer thread does not pause for a migration: it goes on making players with whichever constructor is current.
            public static object __Eval_StartSpawner()
            {
                Spawner = new System.Threading.Timer(_ =>
                {
                    lock (Spawned)
                    {
                        if (Spawned.Count >= 100000) return;
                        Spawned.Add(new Player());
                        Console.WriteLine("spawned " + Spawned.Count);
                    }
                }, null, 0, 1);
                return Repl.NoValue;
            }

            public static object __Eval_StartFailingLoop()
            {
                Loop = Live.Every(TimeSpan.FromMilliseconds(1), () =>
                {
                    Calls++;
                    if (Calls == 1) throw new InvalidOperationException("first tick failed");
                    if (Calls == 2) Console.WriteLine("second tick ran");
                });
                return Repl.NoValue;
            }

            public static object __Eval_Drop()
            {
                Players.Clear();
                Kept = null;
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                return Repl.NoValue;
            }
        }
        """;

    // Delta 2: code compiled against the new shape.
    private const string NewReport = """
            public static string Report()
            {
                long sum = 0;
                long mana = 0;
                var lists = new HashSet<object>(ReferenceEqualityComparer.Instance);
                foreach (var p in Players) { sum += p.Hp; mana += p.Mana; if (p.Tags != null) lists.Add(p.Tags); }
                return "new sum=" + sum + " mana=" + mana + " lists=" + lists.Count + " kept=" + ReferenceEquals(Kept, Players[0]);
            }

            public static object __Eval_Grow() { Players[0].Hp += 3000000000L; Players[0].Tags.Add("x"); return Players[0].Hp + " " + Players[1].Tags.Count; }
        """;

    private const string CheckSpawned = """
            public static object __Eval_CheckSpawned()
            {
                Spawner.Dispose();
                lock (Spawned)
                {
                    var unmigrated = 0;
                    foreach (var p in Spawned) if (p.Hp != 100 || p.Mana != 50 || p.Tags == null) unmigrated++;
                    return unmigrated + " of " + Spawned.Count + " not migrated";
                }
            }
        """;

    private const string OldReport = """
            public static string Report()
            {
                long sum = 0;
                foreach (var p in Players) sum += p.Hp;
                return "old sum=" + sum;
            }
        """;

    private static string World(string player) => $$"""
        using System;
        using System.Collections.Generic;
        using NRepl.Runtime;

        namespace user
        {
        {{player}}
        {{Defs}}
        }
        """;

    private TargetHarness _target = null!;

    [SetUp]
    public async Task SetUp() => _target = await TargetHarness.StartAsync(World(PlayerV1));

    [TearDown]
    public async Task TearDown() => await _target.DisposeAsync();

    [Test]
    public async Task Commit_IntToLongPlusInitializers_SameObjectsWithMigratedValues()
    {
        await CreateAsync("__Eval_Create1000", "1000");
        var (delta1, migration) = await InsertV2FieldsAsync();

        var prepared = await _target.PrepareAsync(migration);
        var committed = await _target.CommitAsync(_target.World.Emit(World(PlayerV2).Replace(OldReport, NewReport), Edit.Update("Report"), Edit.Insert("__Eval_Grow")));
        var report = await _target.EvalAsync("__Eval_Report");

        Assert.That(prepared.Error, Is.Null);
        Assert.That(prepared.Problems, Is.Empty);
        Assert.That(prepared.InstanceCounts, Is.EqualTo(new[] { 1000 }));
        Assert.That(committed.Error, Is.Null);
        Assert.That(report.Value, Is.EqualTo("\"new sum=499500 mana=50000 lists=1000 kept=True\""), "identity kept, Hp copied, one Tags list per instance");
        Assert.That(delta1.AddedFields.Keys, Is.SupersetOf(new[] { "Hp", "Mana", "Tags" }));
    }

    [Test]
    public async Task Commit_RetypedField_NewCodeUsesLongRangeAndOwnLists()
    {
        await CreateAsync("__Eval_Create1000", "1000");
        var (_, migration) = await InsertV2FieldsAsync();
        await _target.PrepareAsync(migration);
        var delta2 = _target.World.Emit(World(PlayerV2).Replace(OldReport, NewReport), Edit.Update("Report"), Edit.Insert("__Eval_Grow"));
        await _target.CommitAsync(delta2);

        var grown = await _target.EvalTokenAsync(delta2.AddedMethods["__Eval_Grow"]);

        Assert.That(grown.Value, Is.EqualTo("\"3000000000 0\""), "Hp holds a long; adding to Players[0].Tags left Players[1].Tags empty");
    }

    [Test]
    public async Task Prepare_NarrowingValueDoesNotFit_ProblemAndAbortLeavesOldData()
    {
        // Start from long Hp, one value beyond int, and narrow it to int.
        var longWorld = World(PlayerV1.Replace("public int Hp", "public long Hp"));
        await using var target = await TargetHarness.StartAsync(longWorld);
        _ = await target.EvalAsync("__Eval_Create1000");
        var setBig = target.World.Emit(
            longWorld.Replace("public static object __Eval_Report() => Report();", "public static object __Eval_Report() => Report();\npublic static object __Eval_Big() { Players[7].Hp = 3000000000L; return Repl.NoValue; }"),
            Edit.Insert("__Eval_Big"));
        await target.ApplyAsync(setBig);
        await target.EvalTokenAsync(setBig.AddedMethods["__Eval_Big"]);
        var narrowed = World(PlayerV1);
        var delta1 = target.World.Emit(narrowed, Edit.Insert("Hp", "user.Player"));
        await target.ApplyAsync(delta1);
        var migration = new TypeMigration("user.Player", 1, 2,
            [new FieldStep(new FieldRef("Hp", "System.Int32"), FieldSource.OldField, new FieldRef("Hp", "System.Int64"), 0, Conversion.NumericChecked)], []);

        var prepared = await target.PrepareAsync(migration);
        var commit = Assert.ThrowsAsync<TargetUpdateException>(() => target.CommitAsync(null));
        await target.AbortAsync();
        var oldView = await target.EvalAsync("__Eval_Report");
        // Code compiled against the new shape reads the new int Hp: still default everywhere.
        await target.ApplyAsync(target.World.Emit(narrowed.Replace("return \"old sum=\" + sum;", "return \"new sum=\" + sum;"), Edit.Update("Report", "user.__Defs")));
        var newView = await target.EvalAsync("__Eval_Report");

        Assert.That(prepared.Error, Is.Null);
        Assert.That(prepared.Problems, Has.Length.EqualTo(1));
        var problem = prepared.Problems[0];
        Assert.That((problem.Kind, problem.FieldName, problem.FailingInstances), Is.EqualTo(("FieldConversionError", "Hp", 1)));
        Assert.That(problem.Samples, Is.EqualTo(new[] { "Player#7 Hp = 3000000000" }));
        Assert.That(commit!.Message, Does.Contain("problems"));
        Assert.That(oldView.Value, Is.EqualTo($"\"old sum={499500 - 7 + 3_000_000_000L}\""));
        Assert.That(newView.Value, Is.EqualTo("\"new sum=0\""), "abort wrote nothing into the new field");
    }

    [Test]
    public async Task Prepare_InitializerThrows_InitializerFailedProblemForEveryInstance()
    {
        await CreateAsync("__Eval_Create1000", "1000");
        var throwing = PlayerV1.Replace("public int Hp = 100;", "public int Hp = 100;\npublic List<string> Tags = new List<string>();\nprivate static List<string> __init_Tags() => throw new InvalidOperationException(\"no tags today\");");
        var delta1 = _target.World.Emit(World(throwing), Edit.Insert("Tags", "user.Player"), Edit.Insert("__init_Tags", "user.Player"));
        await _target.ApplyAsync(delta1);
        var migration = new TypeMigration("user.Player", 1, 2,
            [new FieldStep(new FieldRef("Tags", "System.Collections.Generic.List`1[System.String]"), FieldSource.Initializer, null, delta1.AddedMethods["__init_Tags"], Conversion.Identity)], []);

        var prepared = await _target.PrepareAsync(migration);
        await _target.AbortAsync();

        Assert.That(prepared.Problems, Has.Length.EqualTo(1));
        Assert.That((prepared.Problems[0].Kind, prepared.Problems[0].FailingInstances), Is.EqualTo(("InitializerFailed", 1000)));
        Assert.That(prepared.Problems[0].Samples, Has.Length.EqualTo(5));
        Assert.That(prepared.Problems[0].Samples[0], Is.EqualTo("Player#0: System.InvalidOperationException: no tags today"));
    }

    [Test]
    public async Task Prepare_BadToken_ErrorAndTargetKeepsRunning()
    {
        await CreateAsync("__Eval_Create1000", "1000");

        var prepared = await _target.PrepareAsync(new TypeMigration("user.Player", 1, 2,
            [new FieldStep(new FieldRef("Nope", "System.Int32"), FieldSource.OldField, new FieldRef("NoSuchField", "System.Int32"), 0, Conversion.Identity)], []));
        var report = await _target.EvalAsync("__Eval_Report");

        Assert.That(prepared.Error, Does.Contain("NoSuchField"));
        Assert.That(report.Value, Is.EqualTo("\"old sum=499500\""), "an Error prepare leaves the gate open");
    }

    [Test]
    public async Task Commit_BaseTypeMigrated_SubtypeInstancesMigratedOnce()
    {
        await CreateAsync("__Eval_CreateMixed", "15");
        var withMana = PlayerV1.Replace("public int Hp = 100;", "public int Hp = 100;\npublic int Mana = 50;\nprivate static int __init_Mana() => Interlocked.Increment(ref Calls) * 0 + 50;\npublic static int Calls;");
        var source = World(withMana).Replace("using System;", "using System;\nusing System.Threading;");
        var delta1 = _target.World.Emit(source, Edit.Insert("Mana", "user.Player"), Edit.Insert("__init_Mana", "user.Player"), Edit.Insert("Calls", "user.Player"));
        await _target.ApplyAsync(delta1);
        var migration = new TypeMigration("user.Player", 1, 2,
            [new FieldStep(new FieldRef("Mana", "System.Int32"), FieldSource.Initializer, null, delta1.AddedMethods["__init_Mana"], Conversion.Identity)], []);

        var prepared = await _target.PrepareAsync(migration);
        await _target.CommitAsync(_target.World.Emit(
            source.Replace("return \"old sum=\" + sum;", "long mana = 0; int monsters = 0; foreach (var p in Players) { mana += p.Mana; if (p is Monster m && m.Level == 7) monsters++; } return \"mana=\" + mana + \" monsters=\" + monsters + \" calls=\" + Player.Calls;"),
            Edit.Update("Report")));
        var report = await _target.EvalAsync("__Eval_Report");

        Assert.That(prepared.InstanceCounts, Is.EqualTo(new[] { 15 }), "a Monster registers in both constructors but counts once");
        Assert.That(report.Value, Is.EqualTo("\"mana=750 monsters=5 calls=15\""));
    }

    [Test]
    public async Task Commit_DiscardedField_ValuesInLiveDiscardedBag()
    {
        await CreateAsync("__Eval_Create1000", "1000");
        // Name leaves the shape; its values go to the bag.
        var noName = PlayerV1.Replace("public string Name = \"anon\";", "");
        var source = World(noName).Replace("p.Name = \"p\" + i; ", "");
        var migration = new TypeMigration("user.Player", 1, 2, [], [new FieldRef("Name", "System.String")]);

        var prepared = await _target.PrepareAsync(migration);
        await _target.CommitAsync(_target.World.Emit(
            source.Replace("return \"old sum=\" + sum;", "return Live.Discarded(Players[3])[\"Name\"] + \" \" + Live.Discarded(Players[3]).Count;"),
            Edit.Update("Report"), Edit.Update("Create")));
        var report = await _target.EvalAsync("__Eval_Report");

        Assert.That(prepared.Problems, Is.Empty);
        Assert.That(report.Value, Is.EqualTo("\"p3 1\""));
    }

    [Test]
    public async Task Prepare_InstancesDroppedAndCollected_CountsOnlyLiveOnes()
    {
        await CreateAsync("__Eval_Create1000", "1000");
        var countOnly = new TypeMigration("user.Player", 1, 1, [], []);
        var before = await _target.PrepareAsync(countOnly);
        await _target.AbortAsync();

        await _target.EvalAsync("__Eval_Drop");
        var after = await _target.PrepareAsync(countOnly);
        await _target.AbortAsync();

        Assert.That(before.InstanceCounts, Is.EqualTo(new[] { 1000 }));
        Assert.That(after.InstanceCounts, Is.EqualTo(new[] { 0 }));
    }

    [Test]
    public async Task Commit_LiveEveryLoopRunning_LoopPausesThenRunsNewCode()
    {
        using var deadline = new CancellationTokenSource(TargetHarness.Deadline);
        await CreateAsync("__Eval_Create1000", "1000");
        var loop = await _target.EvalAsync("__Eval_StartLoop", evalId: 900);
        await _target.Sink.WaitForAsync<Output>(o => o.Text == "tick old sum=499500\n", deadline.Token);
        var (_, migration) = await InsertV2FieldsAsync();

        await _target.PrepareAsync(migration);
        // Everything the target wrote before its MigrationPrepared reply is in the sink now.
        var oldTicksAtPrepare = OldTicks();
        await _target.CommitAsync(_target.World.Emit(World(PlayerV2).Replace(OldReport, NewReport), Edit.Update("Report"), Edit.Insert("__Eval_Grow")));
        var after = await _target.Sink.WaitForAsync<Output>(o => o.Text.StartsWith("tick new", StringComparison.Ordinal), deadline.Token);

        Assert.That(loop.Status, Is.EqualTo(EvalStatus.NoValue));
        // An iteration between prepare and commit would have printed the old report (the new one came with the commit).
        Assert.That(OldTicks(), Is.EqualTo(oldTicksAtPrepare), "no iteration ran between prepare and commit");
        Assert.That(after.Text, Is.EqualTo("tick new sum=499500 mana=50000 lists=1000 kept=True\n"));
        Assert.That(after.EvalId, Is.EqualTo(900), "loop output stays with the eval that started it");
    }

    [Test]
    public async Task Commit_InstancesMadeBetweenPrepareAndCommit_MigratedToo()
    {
        using var deadline = new CancellationTokenSource(TargetHarness.Deadline);
        await CreateAsync("__Eval_Create1000", "1000");
        await _target.EvalAsync("__Eval_StartSpawner");
        await _target.Sink.WaitForAsync<Output>(o => o.Text == "spawned 1\n", deadline.Token);
        var (_, migration) = await InsertV2FieldsAsync();

        var prepared = await _target.PrepareAsync(migration);
        var spawnedAtPrepare = prepared.InstanceCounts[0] - 1000;
        // Player number k > spawnedAtPrepare registered after the snapshot (registration comes before
        // the count goes up) and before the commit is sent: at least three such players exist.
        await _target.Sink.WaitForAsync<Output>(o => o.Text == $"spawned {spawnedAtPrepare + 3}\n", deadline.Token);
        var delta2 = _target.World.Emit(World(PlayerV2).Replace(OldReport, NewReport + CheckSpawned),
            Edit.Update("Report"), Edit.Insert("__Eval_Grow"), Edit.Insert("__Eval_CheckSpawned"),
            Edit.Update(".ctor", "user.Player")); // players made after the commit run the new initializers
        var committed = await _target.CommitAsync(delta2);
        var check = await _target.EvalTokenAsync(delta2.AddedMethods["__Eval_CheckSpawned"]);

        Assert.That(committed.Error, Is.Null);
        Assert.That(check.Value, Does.StartWith("\"0 of ").And.EndWith(" not migrated\""));
    }

    [Test]
    public async Task Eval_StartedBetweenPrepareAndCommit_RunsAfterCommitOnNewCode()
    {
        await CreateAsync("__Eval_Create1000", "1000");
        var (_, migration) = await InsertV2FieldsAsync();
        await _target.PrepareAsync(migration);

        var parked = _target.EvalAsync("__Eval_Report");
        var delta2 = _target.World.Emit(World(PlayerV2).Replace(OldReport, NewReport), Edit.Update("Report"), Edit.Insert("__Eval_Grow"));
        await _target.CommitAsync(delta2);
        var report = await parked;

        Assert.That(report.Value, Is.EqualTo("\"new sum=499500 mana=50000 lists=1000 kept=True\""));
    }

    [Test]
    public async Task Every_ActionThrows_ErrorOnStartingEvalAndLoopContinues()
    {
        using var deadline = new CancellationTokenSource(TargetHarness.Deadline);

        await _target.EvalAsync("__Eval_StartFailingLoop", evalId: 700);
        var error = await _target.Sink.WaitForAsync<Output>(o => o.Stream == OutputStream.Err && o.EvalId == 700, deadline.Token);
        var next = await _target.Sink.WaitForAsync<Output>(o => o.Text == "second tick ran\n", deadline.Token);

        Assert.That(error.Text, Does.StartWith("Live.Every: the action threw System.InvalidOperationException: first tick failed"));
        Assert.That(next.EvalId, Is.EqualTo(700));
    }

    [Test]
    public async Task Commit_HundredThousandInstances_AllMigrated()
    {
        await CreateAsync("__Eval_Create100k", "100000");
        var (_, migration) = await InsertV2FieldsAsync();

        var prepared = await _target.PrepareAsync(migration);
        await _target.CommitAsync(_target.World.Emit(World(PlayerV2).Replace(OldReport, NewReport), Edit.Update("Report"), Edit.Insert("__Eval_Grow")));
        var report = await _target.EvalAsync("__Eval_Report");

        Assert.That(prepared.InstanceCounts, Is.EqualTo(new[] { 100_000 }));
        Assert.That(report.Value, Is.EqualTo("\"new sum=4999950000 mana=5000000 lists=100000 kept=True\""));
    }

    [Test]
    public async Task Prepare_InitializerExitsProcess_ThrowsTargetDiedException()
    {
        await CreateAsync("__Eval_Create1000", "1000");
        var exiting = PlayerV1.Replace("public int Hp = 100;", "public int Hp = 100;\npublic int Mana = 50;\nprivate static int __init_Mana() { Environment.Exit(3); return 50; }");
        var delta1 = _target.World.Emit(World(exiting), Edit.Insert("Mana", "user.Player"), Edit.Insert("__init_Mana", "user.Player"));
        await _target.ApplyAsync(delta1);
        var migration = new TypeMigration("user.Player", 1, 2,
            [new FieldStep(new FieldRef("Mana", "System.Int32"), FieldSource.Initializer, null, delta1.AddedMethods["__init_Mana"], Conversion.Identity)], []);

        var error = Assert.ThrowsAsync<TargetDiedException>(() => _target.PrepareAsync(migration));

        Assert.That(error!.Exit.ExitCode, Is.EqualTo(3));
    }

    [Test]
    public void Commit_NothingPrepared_ThrowsTargetUpdateException()
    {
        var error = Assert.ThrowsAsync<TargetUpdateException>(() => _target.CommitAsync(null));

        Assert.That(error!.Message, Does.Contain("No migration is prepared"));
    }

    private int OldTicks() => _target.Sink.Outputs.Count(o => o.EvalId == 900 && o.Text.StartsWith("tick old", StringComparison.Ordinal));

    private async Task CreateAsync(string eval, string expected)
    {
        var created = await _target.EvalAsync(eval);
        Assert.That(created.Value, Is.EqualTo(expected));
    }

    /// <summary>Delta 1: inserts long Hp, Mana, Tags and the two initializer helpers; returns the migration plan for them.</summary>
    private async Task<(Delta Delta, TypeMigration Migration)> InsertV2FieldsAsync()
    {
        var delta1 = _target.World.Emit(World(PlayerV2),
            Edit.Insert("Hp", "user.Player"), Edit.Insert("Mana", "user.Player"), Edit.Insert("Tags", "user.Player"),
            Edit.Insert("__init_Mana", "user.Player"), Edit.Insert("__init_Tags", "user.Player"));
        var applied = await _target.ApplyAsync(delta1);
        Assert.That(applied.InitializerErrors, Is.Empty);
        var migration = new TypeMigration("user.Player", 1, 2,
        [
            new FieldStep(new FieldRef("Hp", "System.Int64"), FieldSource.OldField, new FieldRef("Hp", "System.Int32"), 0, Conversion.NumericWidening),
            new FieldStep(new FieldRef("Mana", "System.Int32"), FieldSource.Initializer, null, delta1.AddedMethods["__init_Mana"], Conversion.Identity),
            new FieldStep(new FieldRef("Tags", "System.Collections.Generic.List`1[System.String]"), FieldSource.Initializer, null, delta1.AddedMethods["__init_Tags"], Conversion.Identity),
        ], []);
        return (delta1, migration);
    }
}
