using NRepl.Server.Tests.Support;

namespace NRepl.Server.Tests.Ops;

public sealed class LiveRestartOpTests
{
    [Test]
    public async Task LiveRestart_PendingCondition_PassesChoiceToEvaluatorAndAnswersDone()
    {
        using var server = ServerHarness.Create();

        var replies = await server.RequestAsync(("op", "live/restart"), ("condition-id", "c-1"), ("restart", "use-default"));

        Assert.That(server.Eval.Restarts.Single(), Is.EqualTo(("c-1", "use-default", (string?)null)));
        Assert.That(replies.Single().Statuses(), Is.EqualTo(new[] { "done" }));
    }

    [Test]
    public async Task LiveRestart_StaleCondition_ErrorWithTheEvaluatorsReason()
    {
        using var server = ServerHarness.Create();
        server.Eval.RestartAnswer = id => $"condition {id} is not pending";

        var replies = await server.RequestAsync(("op", "live/restart"), ("condition-id", "old"), ("restart", "2"));

        Assert.That(replies.Single().Statuses(), Is.EquivalentTo(new[] { "error", "unknown-condition", "done" }));
        Assert.That(replies.Single().Str("message"), Is.EqualTo("condition old is not pending"));
    }

    [Test]
    public async Task LiveRestart_MissingConditionId_ErrorAndEvaluatorNotCalled()
    {
        using var server = ServerHarness.Create();

        var replies = await server.RequestAsync(("op", "live/restart"), ("restart", "use-default"));

        Assert.That(replies.Single().Statuses(), Does.Contain("error"));
        Assert.That(server.Eval.Restarts, Is.Empty);
    }

    [Test]
    public async Task Describe_ListsLiveRestart()
    {
        using var server = ServerHarness.Create();

        var replies = await server.RequestAsync(("op", "describe"));

        Assert.That(replies.Single().Dict("ops").Keys, Does.Contain("live/restart"));
    }
}
