using NRepl.IntegrationTests.Support;

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
        File.Copy(Path.Combine(Repository.Root, "editors", "emacs", "nrepl-csharp.el"), snippet);
        var test = Path.Combine(AppContext.BaseDirectory, "Editors", "emacs_snippet_test.el");

        var facts = ChildProcess.Facts(await ChildProcess.RunAsync(emacs!, ["-Q", "--batch", "-l", test, snippet], TimeSpan.FromMinutes(1), "Emacs"));

        Assert.Multiple(() =>
        {
            Assert.That(facts["method"], Is.EqualTo("\"int Twice(int x)\\n{\\n    return x * 2;\\n}\\n\""));
            Assert.That(facts["class"], Is.EqualTo("\"class Player\\n{\\n    public int Hp = 100;\\n}\\n\""));
            Assert.That(facts["binding"], Is.EqualTo("nrepl-csharp-send-declaration"));
            Assert.That(facts["unconnected"], Does.Contain("Connect first"));
        });
    }
}
