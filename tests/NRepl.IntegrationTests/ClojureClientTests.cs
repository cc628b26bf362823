using NRepl.IntegrationTests.Support;

namespace NRepl.IntegrationTests;

/// <summary>Clojure's own client library (nrepl.core) against the real server: the reference peer.</summary>
public sealed class ClojureClientTests
{
    private const string ClojureJar = "/usr/share/java/clojure.jar";
    private const string NReplJar = "/usr/share/java/nrepl.jar";

    [Test]
    public async Task NReplCore_CloneDescribeLsSessionsClose_AllAsTheReferenceClientExpects()
    {
        await using var server = await ServerProcess.StartAsync();
        var facts = await RunScriptAsync(server, "nrepl_core_client.clj");

        Assert.That(facts["end"], Is.EqualTo("true"), string.Join(Environment.NewLine, facts));
        Assert.That(facts["describe-status"], Is.EqualTo("(\"done\")"));
        Assert.That(facts["ops"], Does.Contain("\"eval\"").And.Contain("\"clone\"").And.Contain("\"ls-sessions\""));
        Assert.That(facts["versions"], Does.Not.Contain("clojure"));
        Assert.That(facts["current-ns"], Is.EqualTo("\"user\""));
        Assert.That(facts["listed-contains-both"], Is.EqualTo("true"));
        Assert.That(facts["ns-probe"], Is.EqualTo("[\"user\"]"));
        Assert.That(facts["interrupt-idle"], Is.EqualTo("(\"done\" \"session-idle\")"));
        Assert.That(facts["close-status"], Is.EqualTo("(\"done\" \"session-closed\")"));
        Assert.That(facts["listed-after-close"], Is.EqualTo("false"));
    }

    [Test]
    public async Task NReplCore_EditorOps_CompletionDocsAndBackgroundOutput_AsCiderAndCalvaSendThem()
    {
        await using var server = await ServerProcess.StartAsync();
        var facts = await RunScriptAsync(server, "editor_client.clj");

        Assert.That(facts.GetValueOrDefault("end"), Is.EqualTo("true"), string.Join(Environment.NewLine, facts) + Environment.NewLine + server.Log);
        Assert.Multiple(() =>
        {
            Assert.That(facts["cider-writeline"], Is.EqualTo("{:candidate \"WriteLine\", :ns \"System.Console\", :type \"method\"}"));
            Assert.That(facts["cider-keys"], Is.EqualTo("(\"completions\" \"id\" \"session\" \"status\")"));
            Assert.That(facts["cider-status"], Is.EqualTo("[\"done\"]"));
            Assert.That(facts["cider-variable"], Is.EqualTo("{:candidate \"crews\", :ns \"user\", :type \"local\"}"));
            Assert.That(facts["calva-size"], Is.EqualTo("{:candidate \"Size\", :ns \"user.Crew\", :type \"field\"}"));
            Assert.That(facts["calva-status"], Is.EqualTo("[\"done\"]"));
            Assert.That(facts["advertised"], Is.EqualTo("(\"complete\" \"completions\" \"eldoc\" \"info\" \"lookup\" \"out-subscribe\" \"out-unsubscribe\")"));
            Assert.That(facts["subscribed-out"], Is.EqualTo("\"beep\\n\""));
            Assert.That(facts["lookup-info"], Is.EqualTo("{:arglists-str \"int Count(Crew c)\", :column 5, :doc \"Counts the crew.\", :file \"file:///tmp/crew.cs\", :line 2, :name \"Count\", :ns \"user\", :type \"method\"}"));
            Assert.That(facts["lookup-status"], Is.EqualTo("[\"done\"]"));
            Assert.That(facts["info-name"], Is.EqualTo("{:name \"WriteLine\", :ns \"System.Console\", :type \"method\"}"));
            Assert.That(facts["info-doc"], Is.EqualTo("true"), "the framework's XML documentation");
            Assert.That(int.Parse(facts["info-overloads"]), Is.GreaterThan(5), "one signature per overload");
            Assert.That(facts["info-missing"], Is.EqualTo("[\"no-info\" \"done\"]"));
            Assert.That(facts["eldoc"], Is.EqualTo("{:doc \"Counts the crew.\", :docstring \"Counts the crew.\", :eldoc [[\"Crew c\"]], :file \"file:///tmp/crew.cs\", :line 2, :name \"Count\", :type \"function\"}"));
        });
    }

    [Test]
    public async Task NReplCore_EvaluatesCSharpAsAnEditorWould()
    {
        await using var server = await ServerProcess.StartAsync();
        var facts = await RunScriptAsync(server, "eval_client.clj");

        Assert.That(facts.GetValueOrDefault("end"), Is.EqualTo("true"), string.Join(Environment.NewLine, facts) + Environment.NewLine + server.Log);
        Assert.Multiple(() =>
        {
            Assert.That(facts["sum"], Is.EqualTo("\"3\""));
            Assert.That(facts["out"], Is.EqualTo("\"hi\\n\""));
            Assert.That(facts["out-value"], Is.EqualTo("\"42\""));
            Assert.That(facts["defn"], Is.EqualTo("\"int Ggg(int v)\""));
            Assert.That(facts["call"], Is.EqualTo("\"58\""));
            Assert.That(facts["state"], Is.EqualTo("\"int counter\""));
            Assert.That(facts["state-after"], Is.EqualTo("\"2\""));
            Assert.That(facts["record"], Is.EqualTo("\"record Point\""));
            Assert.That(facts["record-value"], Is.EqualTo("\"Point { X = 1, Y = 2 }\""));
            Assert.That(facts["shared-call"], Is.EqualTo("\"49\""), "sessions share definitions");
            Assert.That(facts["s1-last"], Is.EqualTo("\"Point { X = 1, Y = 2 }\""));
            Assert.That(facts["s2-last"], Is.EqualTo("\"49\""), "each session has its own _1");
            Assert.That(facts["ex"], Is.EqualTo("\"System.InvalidOperationException\""));
            Assert.That(facts["err-has-boom"], Is.EqualTo("true"));
            Assert.That(facts["error-status"], Is.EqualTo("(\"done\" \"eval-error\")"));
            Assert.That(facts["compile-err"], Does.StartWith("\"/tmp/demo.cs:11:1: error CS0103"));
            Assert.That(facts["load-file"], Is.EqualTo("\"42\""));
            Assert.That(facts["need-input"], Is.EqualTo("[\"need-input\"]"), "need-input comes alone");
            Assert.That(facts["stdin-value"], Is.EqualTo("\"\\\"from clojure\\\"\""));
            Assert.That(facts["interrupted"], Is.EqualTo("(\"done\" \"interrupted\")"));
            Assert.That(facts["after-interrupt"], Is.EqualTo("\"48\""));
            Assert.That(facts["condition-err"], Is.EqualTo("true"), "the condition is reported as err text");
            Assert.That(facts["condition-restart"], Is.EqualTo("true"), "with numbered restarts");
            Assert.That(facts["migrated"], Is.EqualTo("\"class Probe\\nProbe: 2 live instances migrated (version 1 -> 2)\""));
            Assert.That(facts["probe-values"], Is.EqualTo("\"\\\"1,0\\\"\""), "use-default gave the value that did not fit its default");
            Assert.That(facts["shape-condition"], Is.EqualTo("true"), "a base change raises IncompatibleShapeChange");
            Assert.That(facts["shape-done"], Is.EqualTo("true"));
            Assert.That(facts["marker-values"], Is.EqualTo("\"\\\"True,7\\\"\""), "replace-type chosen on stdin moved the instance to the new type");
        });
    }

    /// <summary>Runs a client script against <paramref name="server"/> (ignored without Debian's Clojure packages); its facts by key.</summary>
    private static async Task<Dictionary<string, string>> RunScriptAsync(ServerProcess server, string scriptName)
    {
        if (!File.Exists(NReplJar))
        {
            Assert.Ignore($"{NReplJar} is missing: install Debian's 'clojure libnrepl-clojure' to run this test.");
        }
        return await RunClientAsync(server.Port, scriptName);
    }

    private static async Task<Dictionary<string, string>> RunClientAsync(int port, string scriptName)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Clients", scriptName);
        var output = await ChildProcess.RunAsync("java",
            ["-cp", $"{ClojureJar}:{NReplJar}", "clojure.main", script, port.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            Deadline.Process, "The Clojure client");
        return ChildProcess.Facts(output);
    }
}
