using NRepl.Server.Evaluation;

namespace NRepl.Server.Tests.World;

/// <summary>Completion over the live world (issue 4): what an eval in the session's namespace could name, and members after a dot.</summary>
[NonParallelizable]
public sealed class CompletionTests : LiveWorldFixture
{
    [OneTimeSetUp]
    public async Task DefineAWorld()
    {
        await Value("class Squad { public string Name = \"\"; public int Hp { get; set; } public void Heal() { } public static Squad Empty() => new(); }");
        await World.EvaluateAsync(Request("/// <summary>Doubles <paramref name=\"x\"/>, see <see cref=\"Math\"/>.</summary>\nint Half(int x) => x / 2;", file: "/src/maths.cs", loadFile: true), Deadline());
        await Value("var squads = new List<Squad> { new Squad() };");
        await Value("int Twice(int x) => x * 2;");
    }

    private async Task<IReadOnlyList<Completion>> Complete(string prefix, string session = "c1") =>
        await World.CompleteAsync(session, "user", prefix, Deadline());

    [Test]
    public async Task AfterADot_MembersOfAFrameworkType()
    {
        var found = await Complete("Console.Wr");

        Assert.That(found, Does.Contain(new Completion("WriteLine", "method", "System.Console")));
        Assert.That(found, Does.Contain(new Completion("Write", "method", "System.Console")));
        Assert.That(found.Select(c => c.Candidate), Has.All.StartWith("Wr"));
    }

    [Test]
    public async Task WithoutADot_TheNamespacesVariablesFunctionsTypesAndKeywords()
    {
        Assert.That(await Complete("squ"), Does.Contain(new Completion("squads", "local", "user")));
        Assert.That(await Complete("Squ"), Does.Contain(new Completion("Squad", "class", "user")));
        Assert.That(await Complete("Twi"), Does.Contain(new Completion("Twice", "method", "user")));
        Assert.That(await Complete("Sys"), Does.Contain(new Completion("System", "namespace", null)));
        Assert.That(await Complete("whi"), Does.Contain(new Completion("while", "keyword", null)));
        Assert.That((await Complete("__")).Select(c => c.Candidate), Is.Empty, "the world compiler's own helpers are hidden");
    }

    [Test]
    public async Task AfterADot_InstanceMembersOfAValue_StaticMembersOfAType_ExtensionMethods_AndNamespaces()
    {
        Assert.That(await Complete("squads[0].H"), Is.SupersetOf(new[] { new Completion("Hp", "property", "user.Squad"), new Completion("Heal", "method", "user.Squad") }));
        Assert.That((await Complete("squads[0].E")).Select(c => c.Candidate), Does.Not.Contain("Empty"), "a static member is not offered on a value");
        Assert.That(await Complete("Squad.Em"), Does.Contain(new Completion("Empty", "method", "user.Squad")));
        Assert.That((await Complete("squads.Whe")).Select(c => (c.Candidate, c.Type)), Does.Contain(("Where", "method")));
        Assert.That(await Complete("System.Collections.Gen"), Does.Contain(new Completion("Generic", "namespace", "System.Collections")));
        Assert.That(await Complete("DateTime.No"), Does.Contain(new Completion("Now", "property", "System.DateTime")));
    }

    [Test]
    public async Task ABareMemberName_IsCompletedAgainstTheSessionsRecentInput()
    {
        Assert.That((await Complete("WriteL", session: "neat")).Select(c => c.Candidate), Does.Not.Contain("WriteLine"));

        await Eval("Console.Write(\"\")", session: "neat");

        Assert.That(await Complete("WriteL", session: "neat"), Does.Contain(new Completion("WriteLine", "method", "System.Console")));
    }

    [Test]
    public async Task Lookup_AFrameworkMethod_EveryOverloadsSignatureAndItsXmlDoc()
    {
        var docs = await World.LookupAsync("user", "Console.WriteLine", Deadline());

        Assert.That(docs, Is.Not.Null);
        Assert.That((docs!.Name, docs.Ns, docs.Type), Is.EqualTo(("WriteLine", "System.Console", "method")));
        Assert.That(docs.Signatures, Does.Contain("void Console.WriteLine(string? value)").And.Contain("void Console.WriteLine(int value)"));
        Assert.That(docs.Parameters, Has.Some.EqualTo(new[] { "string? value" }));
        Assert.That(docs.Doc, Does.StartWith("Writes"));
        Assert.That(docs.File, Is.Null);
    }

    [Test]
    public async Task Lookup_AWorldDefinitionFromAFile_ItsDocCommentAndWhereItWasWritten()
    {
        var docs = await World.LookupAsync("user", "Half", Deadline());

        Assert.That(docs, Is.Not.Null);
        Assert.That((docs!.Name, docs.Ns, docs.Type, docs.Doc), Is.EqualTo(("Half", "user", "method", "Doubles x, see Math.")));
        Assert.That((docs.File, docs.Line, docs.Column), Is.EqualTo(("file:///src/maths.cs", 2, 5)), "the name in the declaration");
        Assert.That(await World.LookupAsync("user", "squads", Deadline()), Has.Property("Type").EqualTo("local"));
        Assert.That(await World.LookupAsync("user", "Squad.Hp", Deadline()), Has.Property("Signatures").EqualTo(new[] { "int Squad.Hp" }));
        Assert.That(await World.LookupAsync("user", "NoSuchThing", Deadline()), Is.Null);
        Assert.That(await World.LookupAsync("user", "1 + ", Deadline()), Is.Null);
    }
}
