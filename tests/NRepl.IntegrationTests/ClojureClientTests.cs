using System.Diagnostics;
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
        if (!File.Exists(NReplJar))
        {
            Assert.Ignore($"{NReplJar} is missing: install Debian's 'clojure libnrepl-clojure' to run this test.");
        }

        await using var server = await ServerProcess.StartAsync();

        var facts = await RunClientAsync(server.Port);

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

    private static async Task<Dictionary<string, string>> RunClientAsync(int port)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Clients", "nrepl_core_client.clj");
        var startInfo = new ProcessStartInfo("java")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-cp", $"{ClojureJar}:{NReplJar}", "clojure.main", script, port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        using var deadline = new CancellationTokenSource(Deadline.Process);
        var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("The Clojure client did not finish in time.");
        }

        var output = await stdout;
        Assert.That(process.ExitCode, Is.Zero, $"Clojure client failed:{Environment.NewLine}{output}{Environment.NewLine}{await stderr}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => parts[1]);
    }
}
