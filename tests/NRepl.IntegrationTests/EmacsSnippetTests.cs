using System.Diagnostics;

namespace NRepl.IntegrationTests;

/// <summary>The elisp the repository ships (editors/emacs/nrepl-csharp.el), byte-compiled and run in Emacs.</summary>
public sealed class EmacsSnippetTests
{
    [Test]
    public async Task NreplCsharp_ByteCompiles_FindsTheDeclarationAtPoint_AndBindsCcCc()
    {
        var emacs = new[] { "/usr/bin/emacs", "/usr/local/bin/emacs" }.FirstOrDefault(File.Exists);
        if (emacs is null) Assert.Ignore("Emacs is not installed (apt-get install emacs-nox; .ci/run does).");
        var snippet = Path.Combine(Path.GetTempPath(), $"nrepl-csharp-{Guid.NewGuid():N}.el");
        File.Copy(Path.Combine(RepositoryRoot(), "editors", "emacs", "nrepl-csharp.el"), snippet);
        var test = Path.Combine(AppContext.BaseDirectory, "Editors", "emacs_snippet_test.el");

        var start = new ProcessStartInfo(emacs!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-Q", "--batch", "-l", test, snippet }) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        await process.WaitForExitAsync(deadline.Token);
        var output = await stdout;
        var facts = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);

        Assert.That(process.ExitCode, Is.Zero, output + await stderr);
        Assert.Multiple(() =>
        {
            Assert.That(facts["method"], Is.EqualTo("\"int Twice(int x)\\n{\\n    return x * 2;\\n}\\n\""));
            Assert.That(facts["class"], Is.EqualTo("\"class Player\\n{\\n    public int Hp = 100;\\n}\\n\""));
            Assert.That(facts["binding"], Is.EqualTo("nrepl-csharp-send-declaration"));
            Assert.That(facts["unconnected"], Does.Contain("Connect first"));
        });
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "nrepl.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("nrepl.sln not found above " + AppContext.BaseDirectory);
    }
}
