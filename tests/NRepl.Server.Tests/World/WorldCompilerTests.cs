using NRepl.Runtime.Contract;
using NRepl.Server.World;
using NRepl.Server.World.Parsing;
using NRepl.Server.World.Rendering;

namespace NRepl.Server.Tests.World;

/// <summary>
/// The world compiler on its own: what it accepts, what it refuses and how it reports errors.
/// Deltas are committed without a target (the EnC chain lives in the compiler), so these run fast.
/// </summary>
public sealed class WorldCompilerTests
{
    private WorldCompiler _compiler = null!;

    [SetUp]
    public void CreateWorld()
    {
        _compiler = new WorldCompiler(WorldReferences.Create(typeof(NRepl.Runtime.Repl).Assembly.Location));
        _compiler.Initialize();
    }

    private CompileResult Compile(string code, string ns = "user", SourceOrigin? origin = null, string? loadedFrom = null) =>
        _compiler.Compile(SubmissionParser.Parse(code, ns, origin ?? SourceOrigin.Repl), loadedFrom, "session-1");

    private CompileResult.Delta Apply(string code, string ns = "user", string? loadedFrom = null)
    {
        var result = Compile(code, ns, loadedFrom: loadedFrom);
        if (result is CompileResult.Failed failed) Assert.Fail("Expected the code to compile, got:\n" + failed.ErrorText);
        var delta = (CompileResult.Delta)result;
        _compiler.Commit(delta);
        return delta;
    }

    private string Refused(string code, string ns = "user", SourceOrigin? origin = null)
    {
        var generation = _compiler.Current.Generation;
        var result = Compile(code, ns, origin);
        Assert.That(result, Is.TypeOf<CompileResult.Failed>(), "expected the compile to fail");
        Assert.That(_compiler.Current.Generation, Is.EqualTo(generation), "a failed compile must leave the world unchanged");
        return ((CompileResult.Failed)result).ErrorText;
    }

    [Test]
    public void Compile_TrailingExpression_DefinesEvalMethodInDelta()
    {
        var delta = Apply("1 + 2");

        Assert.That(delta.EvalMethodToken, Is.Not.Null);
        Assert.That(delta.EvalMethodToken!.Value >> 24, Is.EqualTo(0x06), "a MethodDef token");
        Assert.That(delta.DefinitionSummary, Is.Null);
    }

    [Test]
    public void Compile_OnlyDefinitions_RunsNothingAndSummarizesSignatures()
    {
        var delta = Apply("int Ggg(int v) => v + 48;\nrecord Point(int X, int Y);");

        Assert.That(delta.EvalMethodToken, Is.Null);
        Assert.That(delta.DefinitionSummary, Is.EqualTo("int Ggg(int v)\nrecord Point"));
    }

    [Test]
    public void Compile_VarState_FieldGetsTheInitializersType()
    {
        var delta = Apply("var xs = new List<int> { 1, 2 };");

        Assert.That(delta.EvalMethodToken, Is.Not.Null, "the initializer runs as the eval");
        Assert.That(delta.DefinitionSummary, Is.EqualTo("List<int> xs"));
        Apply("xs.Add(3); xs.Count");
    }

    [Test]
    public void Compile_VoidTrailingCall_IsAStatementNotAValue()
    {
        Assert.That(Compile("Console.WriteLine(\"hi\")"), Is.TypeOf<CompileResult.Delta>());
    }

    [Test]
    public void Compile_UnknownName_ReportsUserFileLineAndColumn()
    {
        var text = Refused("var a = 1;\n  Undefined(a)", origin: new SourceOrigin("/src/game.cs", 10, 5));

        Assert.That(text, Does.StartWith("/src/game.cs:11:3: error CS0103: The name 'Undefined' does not exist"));
    }

    [Test]
    public void Compile_ErrorOnFirstLine_OffsetsColumnByEvalColumn()
    {
        var text = Refused("int F() => Nope;", origin: new SourceOrigin("/src/a.cs", 3, 9));

        Assert.That(text, Does.StartWith("/src/a.cs:3:20: error CS0103"));
    }

    [Test]
    public void Compile_AddInstanceFieldToRecordWithDeclaredBase_IncompatibleShapeNamingTypeAndMember()
    {
        Apply("record Player : IDisposable { public string Name = \"anon\"; public int Hp = 100; public void Dispose() { } }");

        var text = ShapeChanges("record Player : IDisposable { public string Name = \"anon\"; public int Hp = 100; public int Mana = 50; public void Dispose() { } }");

        Assert.That(text, Does.Contain("Player.Mana"));
        Assert.That(text, Does.Contain("not tracked yet"));
    }

    [Test]
    public void Compile_RetypeStructField_IncompatibleShapeNamingOldAndNewType()
    {
        Apply("struct Cell { public int Hp; }");

        var text = ShapeChanges("struct Cell { public long Hp; }");

        Assert.That(text, Does.Contain("Cell.Hp"));
        Assert.That(text, Does.Contain("int").And.Contain("long"));
    }

    [Test]
    public void Compile_RetypeFieldOfNestedStruct_RefusedNamingOldAndNewType()
    {
        Apply("class Grid { public struct Cell { public int Hp; } }");

        var text = Refused("class Grid { public struct Cell { public long Hp; } }");

        Assert.That(text, Does.Contain("Cell.Hp").And.Contain("int").And.Contain("long"));
    }

    /// <summary>The reasons of an IncompatibleShapeChange (nothing applied), one per line.</summary>
    private string ShapeChanges(string code)
    {
        var generation = _compiler.Current.Generation;
        var result = Compile(code, "user");
        Assert.That(result, Is.TypeOf<CompileResult.IncompatibleShape>(), (result as CompileResult.Failed)?.ErrorText);
        Assert.That(_compiler.Current.Generation, Is.EqualTo(generation));
        return string.Join("\n", ((CompileResult.IncompatibleShape)result).Changes.Select(c => c.Reason));
    }

    [Test]
    public void Compile_ClassLayoutChange_PlansMigrationInTwoDeltas()
    {
        Apply("class Player { public string Name = \"anon\"; public int Hp = 100; }");

        var delta = Apply("class Player { public string Name = \"anon\"; public long Hp = 100; public int Mana = 50; public List<string> Tags = new(); public bool Flag; }");

        Assert.That(delta.Migration, Is.Not.Null);
        var migration = delta.Migration!.Migrations.Single();
        Assert.That(migration.TypeName, Is.EqualTo("user.Player"));
        var steps = migration.Steps.ToDictionary(s => s.NewField.Name);
        Assert.That(steps.Keys, Is.EquivalentTo(new[] { "Hp", "Mana", "Tags", "Flag" }));
        Assert.That(steps["Hp"].NewField, Is.EqualTo(new FieldRef("Hp", "System.Int64")));
        Assert.That(steps["Hp"].OldField, Is.EqualTo(new FieldRef("Hp", "System.Int32")));
        Assert.That(steps["Hp"].Source, Is.EqualTo(FieldSource.OldField));
        Assert.That(steps["Hp"].Conversion, Is.EqualTo(Conversion.NumericWidening));
        Assert.That(steps["Mana"].Source, Is.EqualTo(FieldSource.Initializer));
        Assert.That(steps["Mana"].InitializerMethodToken >> 24, Is.EqualTo(0x06), "the initializer helper is a method of the first delta");
        Assert.That(steps["Tags"].NewField.TypeName, Is.EqualTo("System.Collections.Generic.List`1[System.String]"));
        Assert.That(steps["Flag"].Source, Is.EqualTo(FieldSource.Default));
        Assert.That(delta.Migration.Metadata, Is.Not.Empty);
    }

    [Test]
    public void Compile_NarrowingRetype_PlansACheckedConversion()
    {
        Apply("class Meter { public long Reading; }");

        var step = Apply("class Meter { public int Reading; }").Migration!.Migrations.Single().Steps.Single();

        Assert.That(step.Conversion, Is.EqualTo(Conversion.NumericChecked));
    }

    [Test]
    public void Compile_StringToNumberRetype_PlannedWithNoImplicitConversionForTheRestarts()
    {
        Apply("class Form { public string Age = \"3\"; }");

        var result = Compile("class Form { public int Age; }", "user");

        Assert.That(result, Is.TypeOf<CompileResult.Delta>(), (result as CompileResult.Failed)?.ErrorText);
        var step = ((CompileResult.Delta)result).Migration!.Migrations.Single().Steps.Single();
        Assert.That((step.NewField.Name, step.Source, step.Conversion), Is.EqualTo(("Age", FieldSource.OldField, Conversion.None)));
    }

    [Test]
    public void Compile_NonNullableReferenceFieldWithoutInitializer_PlannedAsMissingValueForTheRestarts()
    {
        Apply("class Doc { public int Pages; }");

        var result = Compile("class Doc { public int Pages; public string Title; }", "user");

        Assert.That(result, Is.TypeOf<CompileResult.Delta>(), (result as CompileResult.Failed)?.ErrorText);
        var step = ((CompileResult.Delta)result).Migration!.Migrations.Single().Steps.Single();
        Assert.That((step.NewField.Name, step.Source), Is.EqualTo(("Title", FieldSource.Missing)));
    }

    [Test]
    public void Compile_SingleRemovedAndAddedOfSameType_IsAnInferredRenameWithAWarning()
    {
        Apply("class Unit { public int Health = 5; public string Tag = \"x\"; }");

        var stage = Apply("class Unit { public int Hp = 5; public string Tag = \"x\"; }").Migration!;

        var step = stage.Migrations.Single().Steps.Single();
        Assert.That((step.NewField, step.OldField, step.Conversion), Is.EqualTo((new FieldRef("Hp", "System.Int32"), new FieldRef("Health", "System.Int32"), Conversion.Identity)));
        Assert.That(stage.Plans.Single().Warnings.Single().Message, Does.StartWith("FieldRenameInferred"));
    }

    [Test]
    public void Compile_RenamedFromAttribute_WinsOverNames()
    {
        Apply("class Acct { public int A = 1; public int B = 2; }");

        var stage = Apply("class Acct { [RenamedFrom(\"A\")] public int X = 1; public int B = 2; }").Migration!;

        Assert.That(stage.Migrations.Single().Steps.Single().OldField!.Name, Is.EqualTo("A"));
        Assert.That(stage.Plans.Single().Warnings, Is.Empty);
    }

    [Test]
    public void Compile_RemovedField_ItsValuesAreDiscardedWithAWarning()
    {
        Apply("class Bag { public int Keep = 1; public int Drop = 2; }");

        var stage = Apply("class Bag { public int Keep = 1; }").Migration!;

        Assert.That(stage.Migrations.Single().DiscardedFields.Single(), Is.EqualTo(new FieldRef("Drop", "System.Int32")));
        Assert.That(stage.Plans.Single().Warnings.Single().Message, Does.StartWith("FieldDataDiscarded"));
    }

    [Test]
    public void CommitAborted_AfterAbortedMigration_TheSameRedefinitionCompilesAgain()
    {
        Apply("class Player { public int Hp = 100; }");
        var aborted = (CompileResult.Delta)Compile("class Player { public int Hp = 100; public int Mana = 50; }");

        _compiler.CommitAborted(aborted.Migration!);

        Assert.That(Apply("1 + 1").EvalMethodToken, Is.Not.Null, "the world still takes deltas");
        Assert.That(Apply("class Player { public int Hp = 100; public int Mana = 50; }").Migration, Is.Not.Null);
    }

    [Test]
    public void Compile_ChangeBaseType_IsAnIncompatibleShapeChangeThatReplaceTypeCompiles()
    {
        Apply("class Animal { } class Dog { }");
        var generation = _compiler.Current.Generation;

        var result = Compile("class Dog : Animal { }", "user");

        Assert.That(result, Is.TypeOf<CompileResult.IncompatibleShape>());
        var change = ((CompileResult.IncompatibleShape)result).Changes.Single();
        Assert.That((change.TypeName, change.Reason), Is.EqualTo(("Dog", "the base type cannot change on a live type (was object, now user.Animal)")));
        Assert.That(_compiler.Current.Generation, Is.EqualTo(generation), "nothing is applied while the user decides");

        var replaced = _compiler.Compile(SubmissionParser.Parse("class Dog : Animal { }", "user", SourceOrigin.Repl), null, "s", replaceTypes: new HashSet<string> { change.Key });
        Assert.That(replaced, Is.TypeOf<CompileResult.Delta>(), (replaced as CompileResult.Failed)?.ErrorText);
        var stage = ((CompileResult.Delta)replaced).Migration;
        Assert.That(stage?.Replacements.Single().OldTypeName, Is.EqualTo("user.Dog"));
        Assert.That(stage!.Replacements.Single().NewTypeName, Does.StartWith("user.__Live").And.EndWith("_Dog.Dog"));
    }

    [Test]
    public void Compile_ChangeBaseTypeOfNestedType_Refused()
    {
        Apply("class Animal { } class Farm { public class Dog { } }");

        var text = Refused("class Farm { public class Dog : Animal { } }");

        Assert.That(text, Does.Contain("Dog").And.Contain("base type"));
    }

    [Test]
    public void Compile_MethodBodyAndNewMethodOnLiveType_Applied()
    {
        Apply("class Player { public int Hp = 100; public int Twice() => Hp * 2; }");

        Apply("class Player { public int Hp = 100; public int Twice() => Hp * 3; public int Half() => Hp / 2; }");
    }

    [Test]
    public void Compile_StaticFieldWithInitializerAdded_ItsInitializerIsRunAfterTheDelta()
    {
        Apply("class Config { public static int Retries = 3; }");

        var delta = Apply("class Config { public static int Retries = 3; public static string Mode = \"fast\"; }");

        Assert.That(delta.InitializerTokens, Has.Length.EqualTo(1), "only the added field is initialized");
    }

    [Test]
    public void Compile_FieldInitializerChange_AppliedWithInitializerNotRerunWarning()
    {
        Apply("class Counter { public int Start = 1; }");

        var delta = Apply("class Counter { public int Start = 5; }");

        Assert.That(delta.Warnings.Single().Message, Does.StartWith("InitializerNotRerun: Counter.Start has a new initializer (5)"));
        Assert.That(delta.Migration, Is.Null, "no layout change, nothing to migrate");
    }

    [Test]
    public void Compile_SignatureChange_RecompilesCallersInTheSameDelta()
    {
        Apply("int Ggg(int v) => v + 48;");
        Apply("long Caller() => Ggg(1);");

        Apply("long Ggg(long v) => v + 1;");

        var text = Refused("string Ggg(string s) => s;");
        Assert.That(text, Does.Contain("CS1503"), "Caller no longer compiles against the new signature");
    }

    [Test]
    public void Compile_TwoOverloadsInOneEval_BothKept()
    {
        Apply("int Sz(int v) => v; int Sz(string s) => s.Length;");

        Apply("Sz(2) + Sz(\"abc\")");
    }

    [Test]
    public void Compile_RetypedState_RecompilesUsers()
    {
        Apply("var counter = 0;");
        Apply("int Next() => ++counter;");

        var text = Refused("var counter = \"text\";");

        Assert.That(text, Does.Contain("CS0023").Or.Contain("CS0187").Or.Contain("++"), "Next() cannot increment a string");
    }

    [Test]
    public void Compile_NamespacesAreSeparate()
    {
        Apply("int OnlyInFoo() => 1;", ns: "foo");

        Assert.That(Refused("OnlyInFoo()"), Does.Contain("CS0103"));
        Apply("OnlyInFoo()", ns: "foo");
    }

    [Test]
    public void Compile_UsingDirective_PersistsForTheNamespace()
    {
        Apply("using System.Text.RegularExpressions;");

        Apply("Regex.IsMatch(\"abc\", \"b\")");
    }

    [Test]
    public void Compile_UnknownUsing_RefusedAndNotKept()
    {
        var text = Refused("using No.Such.Namespace;");

        Assert.That(text, Does.Contain("CS0246"));
        Apply("1 + 1");
    }

    [Test]
    public void Compile_LoadFileAgain_RemovesDefinitionsNoLongerInTheFile()
    {
        Apply("int A() => 1; int B() => 2;", loadedFrom: "/src/file.cs");

        Apply("int A() => 10;", loadedFrom: "/src/file.cs");

        Assert.That(Refused("B()"), Does.Contain("CS0103"));
    }

    [Test]
    public void Compile_LoadFileAgainWithOneFunctionChanged_OnlyThatDefinitionIsCompiledAgain()
    {
        const string rest = "\nrecord Item(int Id);\nclass Cart { public int Count() => 2; }\nint Other() => 3;";
        var first = Apply("int A() => 1;" + rest, loadedFrom: "/src/file.cs").Candidate;

        var second = Apply("int A() => 10;" + rest, loadedFrom: "/src/file.cs").Candidate;

        var changed = first.Definitions.Keys.Where(key => !ReferenceEquals(second.Definitions[key].Tree, first.Definitions[key].Tree)).ToList();
        Assert.That(first.Definitions, Has.Count.EqualTo(4));
        Assert.That(changed, Has.Count.EqualTo(1), "only A's definition is compiled again: " + string.Join(", ", changed));
        Assert.That(changed[0], Does.Contain("|A|"));
        Apply("A() + Other() + new Cart().Count()");
    }

    [Test]
    public void Compile_FileScopedNamespace_DefinesTypesInThatNamespace()
    {
        Apply("using System;\nnamespace Game;\npublic class Board { public int Size = 3; }", loadedFrom: "/src/Board.cs");

        Apply("new Game.Board().Size");
    }

    [Test]
    public void Compile_LambdaInEval_Compiles()
    {
        Apply("var f = (int x) => x * 2;");

        Apply("Enumerable.Range(0, 3).Select(i => f(i)).Sum()");
    }

    [Test]
    public void Compile_FunctionWithLambda_RedefinedWithSyntaxMap()
    {
        Apply("Func<int, int> Make(int k) => x => x + k;");

        Apply("Func<int, int> Make(int k) => x => x * k;");
    }

    [Test]
    public void Compile_AwaitInEval_MakesAsyncEval()
    {
        Apply("await Task.Delay(1); 42");
    }

    [Test]
    public void Compile_LastValues_AreAvailable()
    {
        Apply("_1");
        Apply("_e?.Message");
    }

    [Test]
    public void Parse_ReferenceDirective_IsRejectedClearly()
    {
        var parsed = SubmissionParser.Parse("#r \"x.dll\"\n1", "user", SourceOrigin.Repl);

        Assert.That(parsed.Errors, Is.Not.Empty);
    }

    [TestCase("1 +", false)]
    [TestCase("if (x) {", false)]
    [TestCase("class C {", false)]
    [TestCase("\"abc", false)]
    [TestCase("1 + 2", true)]
    [TestCase("int F() => 1;", true)]
    public void IsComplete_DetectsUnfinishedInput(string code, bool complete)
    {
        Assert.That(SubmissionParser.IsComplete(code), Is.EqualTo(complete));
    }
}
