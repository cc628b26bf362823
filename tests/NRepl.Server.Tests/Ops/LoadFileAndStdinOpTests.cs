using NRepl.Server.Evaluation;
using NRepl.Server.Tests.Support;

namespace NRepl.Server.Tests.Ops;

public sealed class LoadFileAndStdinOpTests
{
    [Test]
    public async Task LoadFile_CiderKeys_LoadFileRequestWithPath()
    {
        using var server = ServerHarness.Create();

        var replies = await server.RequestAsync(("op", "load-file"), ("file", "int F() => 1;\nF()"), ("file-path", "/p/a.cs"), ("file-name", "a.cs"));

        var request = server.Eval.Requests.Single();
        Assert.That(request.IsLoadFile, Is.True);
        Assert.That(request.FilePath, Is.EqualTo("/p/a.cs"));
        Assert.That(request.Code, Is.EqualTo("int F() => 1;\nF()"));
        Assert.That(replies[0].Str("value"), Is.EqualTo("42"));
        Assert.That(replies[1].Statuses(), Is.EqualTo(new[] { "done" }));
    }

    [Test]
    public async Task LoadFile_CalvaZeroPathsAndCamelCase_UsesCamelCasePath()
    {
        using var server = ServerHarness.Create();

        await server.RequestAsync(("op", "load-file"), ("file", "1"), ("file-path", 0), ("file-name", 0), ("filePath", "/w/b.cs"), ("fileName", "b.cs"));

        Assert.That(server.Eval.Requests.Single().FilePath, Is.EqualTo("/w/b.cs"));
    }

    [Test]
    public async Task LoadFile_OnlyFileName_UsesFileName()
    {
        using var server = ServerHarness.Create();

        await server.RequestAsync(("op", "load-file"), ("file", "1"), ("file-name", "c.cs"));

        Assert.That(server.Eval.Requests.Single().FilePath, Is.EqualTo("c.cs"));
    }

    [Test]
    public async Task LoadFile_Failure_RepliesLikeEval()
    {
        using var server = ServerHarness.Create();
        server.Eval.Outcome = _ => new EvalOutcome.Failed("a.cs(1,1): error CS1002: ; expected", "CompilationError", "CompilationError");

        var replies = await server.RequestAsync(("op", "load-file"), ("file", "int x ="));

        Assert.That(replies.Select(r => r.Statuses()), Is.EqualTo(new string[][] { [], ["eval-error"], ["done"] }));
    }

    [Test]
    public async Task Stdin_TextWithoutId_ForwardedAndDoneWithoutId()
    {
        using var server = ServerHarness.Create();
        var session = await server.CloneAsync();

        await server.Send(Req.Of(("op", "stdin"), ("stdin", "Ada\n"), ("session", session)));

        var reply = server.Channel.Messages.Last();
        Assert.That(reply.Statuses(), Is.EqualTo(new[] { "done" }));
        Assert.That(reply.ContainsKey("id"), Is.False);
        Assert.That(server.Eval.StdinReceived.Single(), Is.EqualTo((session, "Ada\n")));
    }

    [Test]
    public async Task Stdin_EmptyString_ForwardedAsEndOfInput()
    {
        using var server = ServerHarness.Create();
        var session = await server.CloneAsync();

        await server.RequestAsync(("op", "stdin"), ("stdin", ""), ("session", session));

        Assert.That(server.Eval.StdinReceived.Single(), Is.EqualTo((session, "")));
    }
}
