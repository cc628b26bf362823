using NRepl.Server.Evaluation;

namespace NRepl.Server.Tests.World;

/// <summary>
/// IncompatibleShapeChange with a real target: a redefinition EnC cannot apply to a live type (another
/// base, interfaces, class into record) raises the condition; replace-type makes the new definition a new
/// type and moves the instances the world's variables lead to into it, keeping their values and sharing.
/// </summary>
[NonParallelizable]
public sealed class ReplaceTypeTests : LiveWorldFixture
{
    [Test]
    public async Task BaseTypeAdded_ReplaceType_MovesTheInstancesTheVariablesHold()
    {
        await Value("class Entity { public int Id = 7; public string Kind() => \"entity\"; }");
        await Value("class Knight { public string Name = \"anon\"; public int Hp = 100; }");
        await Value("var knights = Enumerable.Range(0, 3).Select(i => new Knight { Name = $\"k{i}\", Hp = i }).ToList(); var champion = knights[2];");
        await Value("string Greet(Knight k) => \"hi \" + k.Name;");

        var request = Request("class Knight : Entity { public string Name = \"anon\"; public long Hp = 100; public int Level = 1; }", session: "shape-1");
        var redefining = World.EvaluateAsync(request, Deadline());
        var condition = await Output.NextConditionAsync("shape-1", Deadline());
        var described = (IReadOnlyDictionary<string, object?>)condition["condition"]!;
        var restarts = ((IEnumerable<object?>)condition["restarts"]!).Cast<IReadOnlyDictionary<string, object?>>().Select(r => r["name"]).ToList();
        World.Stdin("shape-1", "0\n");
        var outcome = await redefining;

        Assert.That(described["type"], Is.EqualTo("IncompatibleShapeChange"));
        Assert.That(restarts, Is.EqualTo(new[] { "replace-type", "abort-redefinition" }));
        Assert.That(Output.ErrOf(request.EvalId), Does.Contain("the base type cannot change"));
        Assert.That(outcome, Is.TypeOf<EvalOutcome.Value>(), outcome.ToString());
        Assert.That(Output.ErrOf(request.EvalId), Does.Contain("Knight: 3 live instances moved to the new type"));
        Assert.That(await Value("knights.Count(k => k is Entity) + \",\" + string.Join(\",\", knights.Select(k => k.Name + \":\" + k.Hp + \":\" + k.Level + \":\" + k.Id))"),
            Is.EqualTo("\"3,k0:0:0:0,k1:1:0:0,k2:2:0:0\""), "values kept by name (Hp now a long); fields the old type lacked hold their defaults");
        Assert.That(await Value("ReferenceEquals(champion, knights[2])"), Is.EqualTo("true"), "an instance two variables share is replaced once");
        Assert.That(await Value("Greet(knights[1])"), Is.EqualTo("\"hi k1\""), "functions taking the type take the new one");
        Assert.That(await Value("new Knight().Kind()"), Is.EqualTo("\"entity\""));
    }

    [Test]
    public async Task FieldsOfOtherTypesAndTypedVariables_FollowTheReplacement_ThenTheNewTypeRedefinesNormally()
    {
        await Value("class Squire { public string Name = \"s\"; }");
        await Value("class Party { public Squire? Leader; public List<Squire> Members = new(); public Dictionary<string, Squire> ByName = new(); }");
        await Value("var squires = new List<Squire> { new Squire { Name = \"a\" }, new Squire { Name = \"b\" } }; List<Squire> roster = squires; var party = new Party { Leader = squires[0] }; party.Members.AddRange(squires); party.ByName[\"b\"] = squires[1];");
        // Only a closure holds this one: nothing the migration walks leads to it, and it is reported.
        await Value("Func<string> MakePeek() { var h = new Squire { Name = \"h\" }; return () => h.Name; }");
        await Value("var peek = MakePeek();");

        var (outcome, _, request) = await Answered("record class Squire { public string Name = \"s\"; }", "shape-3", "replace-type");

        Assert.That(outcome, Is.TypeOf<EvalOutcome.Value>(), outcome.ToString());
        Assert.That(Output.ErrOf(request.EvalId), Does.Contain("Squire: 2 live instances moved to the new type; 1 not reachable"));
        Assert.That(await Value("ReferenceEquals(party.Leader, squires[0]) && ReferenceEquals(party.Members[1], squires[1]) && ReferenceEquals(party.ByName[\"b\"], squires[1]) && ReferenceEquals(roster, squires)"),
            Is.EqualTo("true"), "fields of other types, dictionaries and a variable with a declared type all lead to the same new instances; the shared list stays shared");
        Assert.That(await Value("squires[0].ToString()"), Is.EqualTo("\"Squire { Name = a }\""), "it is a record now");

        Assert.That(await Value("record class Squire { public string Name = \"s\"; public int Age = 12; }"), Does.Contain("2 live instances migrated"));
        Assert.That(await Value("party.Leader!.Age + squires[1].Age"), Is.EqualTo("24"), "the replacing type takes later redefinitions in place");
    }

    [Test]
    public async Task LoadFile_HandlerPicksReplaceType_SubclassesAreReplacedWithTheirBase()
    {
        await Value("class Beast { public int Legs = 4; }");
        await Value("class Wolf : Beast { public string Pack = \"north\"; }");
        await Value("var beasts = new List<Beast> { new Beast(), new Wolf { Legs = 3 } }; var shapeHandler = Live.HandleConditions(c => c.Type == \"IncompatibleShapeChange\" ? \"replace-type\" : null);");

        var request = Request("interface INamed { string Name { get; } }\nclass Beast : INamed { public int Legs = 4; public string Name => \"beast\" + Legs; }", file: "/src/beast.cs", loadFile: true);
        var outcome = await World.EvaluateAsync(request, Deadline());
        await Eval("shapeHandler.Dispose();");

        Assert.That(outcome, Is.TypeOf<EvalOutcome.Value>(), outcome.ToString());
        Assert.That(Output.ErrOf(request.EvalId), Does.Contain("Handled by a condition handler: replace-type").And.Contain("Replaced as well, since their base type is replaced: Wolf"));
        Assert.That(await Value("string.Join(\",\", beasts.Select(b => ((INamed)b).Name + (b is Wolf w ? \"/\" + w.Pack : \"\")))"), Is.EqualTo("\"beast4,beast3/north\""));
    }

    [Test]
    public async Task StructLayoutChange_ReplaceType_ConvertsTheValuesVariablesAndListsHold()
    {
        await Value("struct Vec { public int X; public int Y; }");
        await Value("var origin = new Vec { X = 1, Y = 2 }; var path = new List<Vec> { origin, new Vec { X = 3, Y = 4 } };");

        var (outcome, _, request) = await Answered("struct Vec { public long X; public int Y; public int Z; public long Sum() => X + Y + Z; }", "shape-struct", "0");

        Assert.That(Output.ErrOf(request.EvalId), Does.Contain("Vec.Z: adding an instance field (int) needs its live instances migrated, and a struct's instances are values"));
        Assert.That(outcome, Is.TypeOf<EvalOutcome.Value>(), outcome.ToString());
        Assert.That(await Value("origin.Sum() + \",\" + string.Join(\",\", path.Select(p => p.Sum())) + \",\" + path[1].Z"), Is.EqualTo("\"3,3,7,0\""));
    }

    [Test]
    public async Task ReplaceType_SlotsOfWiderTypes_ObjectVariablesListsDictionariesAndFields_HoldTheNewInstances()
    {
        await Value("class Gem { public int Carats = 1; }");
        await Value("class Pouch { public object? Any; public List<object> Loose = new(); }");
        await Value("var gems = new List<Gem> { new Gem { Carats = 2 }, new Gem { Carats = 3 }, new Gem { Carats = 4 } };");
        await Value("object first = gems[0]; var bag = new List<object> { gems[1], 5 }; var byName = new Dictionary<string, object> { [\"x\"] = gems[2] }; var pouch = new Pouch { Any = gems[0] }; pouch.Loose.Add(gems[2]); object[] arr = { gems[1] };");

        var (outcome, _, request) = await Answered("class Gem : IComparable<Gem> { public int Carats = 1; public int CompareTo(Gem? g) => Carats.CompareTo(g?.Carats); }", "shape-slots", "0");

        Assert.That(outcome, Is.TypeOf<EvalOutcome.Value>(), outcome.ToString());
        Assert.That(Output.ErrOf(request.EvalId), Does.Contain("Gem: 3 live instances moved to the new type").And.Not.Contain("not reachable"));
        Assert.That(await Value("ReferenceEquals(first, gems[0]) && ReferenceEquals(bag[0], gems[1]) && ReferenceEquals(byName[\"x\"], gems[2]) && ReferenceEquals(pouch.Any, gems[0]) && ReferenceEquals(pouch.Loose[0], gems[2]) && ReferenceEquals(arr[0], gems[1])"),
            Is.EqualTo("true"));
        Assert.That(await Value("new object[] { first, bag[0], byName[\"x\"], pouch.Any!, arr[0] }.All(o => o is IComparable<Gem>) && (int)bag[1] == 5"), Is.EqualTo("true"));
    }

    [Test]
    public async Task ReplaceType_RunsTheNewTypesHook_StaticFormForStructs_InstanceFormForClasses()
    {
        await Value("struct Temp { public double C; }");
        await Value("class Probe { public string Site = \"\"; public int Reads; }");
        await Value("var temps = new List<Temp> { new Temp { C = 20 }, new Temp { C = 100 } }; var probes = new List<Probe> { new Probe { Site = \"roof\", Reads = 4 } };");

        var (structOutcome, _, _) = await Answered("struct Temp { public double C; public double F; static Temp Migrate(Temp t, MigrationContext ctx) => t with { F = ctx.OldValue<double>(\"C\") * 9 / 5 + 32 }; }", "hook-struct", "replace-type");

        var (classOutcome, _, _) = await Answered("class Probe : IDisposable { public string Label = \"\"; public int Reads; public void Dispose() { } void OnRedefined(MigrationContext ctx) => Label = $\"{ctx.Discarded[\"Site\"]}:{Reads} v{ctx.FromVersion}->v{ctx.ToVersion} +{string.Join(\",\", ctx.Added)}\"; }", "hook-class", "replace-type");

        Assert.That(structOutcome, Is.TypeOf<EvalOutcome.Value>(), structOutcome.ToString());
        Assert.That(await Value("string.Join(\",\", temps.Select(t => t.F))"), Is.EqualTo("\"68,212\""));
        Assert.That(classOutcome, Is.TypeOf<EvalOutcome.Value>(), classOutcome.ToString());
        Assert.That(await Value("probes[0].Label"), Is.EqualTo("\"roof:4 v1->v2 +Label\""));
    }

    [Test]
    public async Task ClassBecomesStruct_ReplaceType_ValuesCopiedIntoTheStruct()
    {
        await Value("class Pixel { public int X; public int Y; }");
        await Value("var pixels = new List<Pixel> { new Pixel { X = 1, Y = 2 } }; Pixel corner = pixels[0];");

        var (outcome, _, request) = await Answered("struct Pixel { public int X; public int Y; }", "shape-kind", "0");

        Assert.That(Output.ErrOf(request.EvalId), Does.Contain("changing a class into a struct"));
        Assert.That(outcome, Is.TypeOf<EvalOutcome.Value>(), outcome.ToString());
        Assert.That(await Value("pixels[0].X + pixels[0].Y + corner.Y + \",\" + typeof(Pixel).IsValueType"), Is.EqualTo("\"5,True\""));
    }

    [Test]
    public async Task MemberAddedToGenericClass_ReplaceType_ConvertsEachConstructedType()
    {
        await Value("class Crate<T> { public T? Content; }");
        await Value("var crates = new List<Crate<int>> { new Crate<int> { Content = 5 } }; var labelled = new Dictionary<string, Crate<string>> { [\"a\"] = new Crate<string> { Content = \"x\" } }; object loose = labelled[\"a\"];");

        var (outcome, _, request) = await Answered("class Crate<T> { public T? Content; public int Opened; public T? Open() { Opened++; return Content; } }", "shape-generic", "0");

        Assert.That(Output.ErrOf(request.EvalId), Does.Contain("cannot be added to a live generic type").Or.Contain("generic types are not tracked"));
        Assert.That(outcome, Is.TypeOf<EvalOutcome.Value>(), outcome.ToString());
        Assert.That(Output.ErrOf(request.EvalId), Does.Contain("Crate<T>: 2 live instances moved to the new type"));
        Assert.That(await Value("crates[0].Open() + labelled[\"a\"].Open() + crates[0].Opened + \",\" + ReferenceEquals(loose, labelled[\"a\"])"), Is.EqualTo("\"5x1,True\""));
    }

    [Test]
    public async Task InterfaceAdded_AbortLeavesEverythingAsItWas()
    {
        await Value("class Lamp { public int Watts = 40; }");
        await Value("var lamp = new Lamp();");

        var request = Request("class Lamp : IComparable<Lamp> { public int Watts = 40; public int CompareTo(Lamp? other) => 0; }", session: "shape-2");
        var redefining = World.EvaluateAsync(request, Deadline());
        var condition = await Output.NextConditionAsync("shape-2", Deadline());
        World.Interrupt("shape-2", request.EvalId);
        var outcome = await redefining;

        Assert.That(outcome, Is.TypeOf<EvalOutcome.Failed>().Or.TypeOf<EvalOutcome.Interrupted>(), outcome.ToString());
        Assert.That(await Value("lamp.Watts + \",\" + (lamp is IComparable<Lamp>)"), Is.EqualTo("\"40,False\""));
    }
}
