using NRepl.Server.Tests.Support;

namespace NRepl.Server.Tests.Ops;

public sealed class DescribeOpTests
{
    [Test]
    public async Task Describe_Default_OneDoneMessageWithOpsDictOfEveryHandler()
    {
        using var server = ServerHarness.Create();

        var reply = (await server.RequestAsync(("op", "describe"))).Single();

        Assert.That(reply.Statuses(), Is.EqualTo(new[] { "done" }));
        var ops = reply.Dict("ops");
        Assert.That(ops.Keys, Is.EquivalentTo(server.Dispatcher.Descriptors.Select(d => d.Name)));
        Assert.That(ops.Keys, Is.SupersetOf(new[] { "clone", "close", "describe", "eval", "interrupt", "load-file", "ls-sessions", "stdin" }));
        Assert.That(ops.Values, Has.All.InstanceOf<IReadOnlyDictionary<string, object?>>().And.Empty);
    }

    [TestCase("verbose?", "true")]
    [TestCase("verbose", 1)]
    public async Task Describe_Verbose_EveryOpHasDescriptorWithDoc(string key, object value)
    {
        using var server = ServerHarness.Create();

        var reply = (await server.RequestAsync(("op", "describe"), (key, value))).Single();

        foreach (var (name, descriptor) in reply.Dict("ops"))
        {
            var map = (IReadOnlyDictionary<string, object?>)descriptor!;
            Assert.That(map.Str("doc"), Is.Not.Empty, name);
            Assert.That(map.Keys, Is.SupersetOf(new[] { "requires", "optional", "returns" }), name);
        }
    }

    [TestCase("verbose?", 0)]
    [TestCase("verbose?", "false")]
    public async Task Describe_VerboseFalsy_OpsAreEmptyMaps(string key, object value)
    {
        using var server = ServerHarness.Create();

        var reply = (await server.RequestAsync(("op", "describe"), (key, value))).Single();

        Assert.That(reply.Dict("ops").Values, Has.All.Empty);
    }

    [Test]
    public async Task Describe_Versions_NoClojureKeyAndServerDotnetCsharpMaps()
    {
        using var server = ServerHarness.Create();

        var versions = (await server.RequestAsync(("op", "describe"))).Single().Dict("versions");

        Assert.That(versions.Keys, Is.EquivalentTo(new[] { "nrepl", "dotnet", "csharp" }));
        Assert.That(versions.ContainsKey("clojure"), Is.False);
        var dotnet = versions.Dict("dotnet");
        Assert.That(dotnet["major"], Is.EqualTo((long)Environment.Version.Major));
        Assert.That(dotnet.Str("version-string"), Does.StartWith($"{Environment.Version.Major}.{Environment.Version.Minor}."));
        Assert.That((long)versions.Dict("csharp")["major"]!, Is.GreaterThanOrEqualTo(14));
        Assert.That(versions.Dict("nrepl").Str("version-string"), Does.Match(@"^\d+\.\d+\.\d+$"));
    }

    [Test]
    public async Task Describe_InSessionWithNs_AuxCurrentNsIsSessionNs()
    {
        using var server = ServerHarness.Create();
        var session = await server.CloneAsync();
        await server.RequestAsync(("op", "eval"), ("code", "1"), ("ns", "Game.Logic"), ("session", session));

        var reply = (await server.RequestAsync(("op", "describe"), ("session", session))).Single();

        Assert.That(reply.Dict("aux").Str("current-ns"), Is.EqualTo("Game.Logic"));
    }

    [Test]
    public async Task Describe_WithoutSession_AuxCurrentNsIsUser()
    {
        using var server = ServerHarness.Create();

        var reply = (await server.RequestAsync(("op", "describe"))).Single();

        Assert.That(reply.Dict("aux").Str("current-ns"), Is.EqualTo("user"));
    }
}
