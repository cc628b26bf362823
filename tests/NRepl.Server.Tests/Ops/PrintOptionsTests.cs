using NRepl.Runtime.Contract;
using NRepl.Server.Ops;
using NRepl.Server.Tests.Support;

namespace NRepl.Server.Tests.Ops;

public sealed class PrintOptionsTests
{
    [Test]
    public void FromRequest_CalvaIntegers_RightMarginAndLength()
    {
        var request = Req.Of(
            ("nrepl.middleware.print/print", "cider.nrepl.pprint/pprint"),
            ("nrepl.middleware.print/options", Req.Dict(("right-margin", 120), ("length", 50))),
            ("pprint", 1));

        Assert.That(PrintOptions.FromRequest(request), Is.EqualTo(new PrintSettings(120, 50, 0, 0)));
    }

    [Test]
    public void FromRequest_CiderStringsAndQuota_AllLimitsRead()
    {
        var request = Req.Of(
            ("nrepl.middleware.print/print", "cider.nrepl.pprint/clojure-pprint"),
            ("nrepl.middleware.print/stream?", "1"),
            ("nrepl.middleware.print/buffer-size", 4096),
            ("nrepl.middleware.print/quota", "1048576"),
            ("nrepl.middleware.print/options", Req.Dict(("right-margin", "80"), ("level", "4"))));

        Assert.That(PrintOptions.FromRequest(request), Is.EqualTo(new PrintSettings(80, 0, 4, 1048576)));
    }

    [Test]
    public void FromRequest_NothingOrGarbage_Defaults()
    {
        Assert.That(PrintOptions.FromRequest(Req.Of()), Is.EqualTo(PrintSettings.Default));
        Assert.That(
            PrintOptions.FromRequest(Req.Of(("nrepl.middleware.print/options", "not a map"), ("nrepl.middleware.print/quota", new object[0]))),
            Is.EqualTo(PrintSettings.Default));
        Assert.That(
            PrintOptions.FromRequest(Req.Of(("nrepl.middleware.print/options", Req.Dict(("right-margin", -3), ("length", "lots"))))),
            Is.EqualTo(PrintSettings.Default));
    }

    [Test]
    public async Task Eval_UnknownPrinterAndPprint_EvalStillRunsWithLimits()
    {
        using var server = ServerHarness.Create();

        var replies = await server.RequestAsync(("op", "eval"), ("code", "new[] {1, 2}"),
            ("nrepl.middleware.print/print", "my.printer/does-not-exist"), ("pprint", "true"),
            ("nrepl.middleware.print/options", Req.Dict(("right-margin", 100))));

        Assert.That(replies[0].Str("value"), Is.EqualTo("42"));
        Assert.That(server.Eval.Requests.Single().Print, Is.EqualTo(new PrintSettings(100, 0, 0, 0)));
    }
}
