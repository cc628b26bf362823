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
    public void Compile_AddInstanceField_RefusedNamingTypeAndMember()
    {
        Apply("class Player { public string Name = \"anon\"; public int Hp = 100; }");

        var text = Refused("class Player { public string Name = \"anon\"; public int Hp = 100; public int Mana = 50; }");

        Assert.That(text, Does.Contain("Player.Mana"));
        Assert.That(text, Does.Contain("instance field"));
    }

    [Test]
    public void Compile_RetypeInstanceField_RefusedNamingOldAndNewType()
    {
        Apply("class Player { public int Hp = 100; }");

        var text = Refused("class Player { public long Hp = 100; }");

        Assert.That(text, Does.Contain("Player.Hp"));
        Assert.That(text, Does.Contain("int").And.Contain("long"));
    }

    [Test]
    public void Compile_ChangeBaseType_Refused()
    {
        Apply("class Animal { } class Dog { }");

        var text = Refused("class Dog : Animal { }");

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
    public void Compile_FieldInitializerChange_Applied()
    {
        Apply("class Counter { public int Start = 1; }");

        Apply("class Counter { public int Start = 5; }");
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
