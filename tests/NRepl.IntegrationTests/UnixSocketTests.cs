using NRepl.IntegrationTests.Support;

namespace NRepl.IntegrationTests;

/// <summary>The optional Unix domain socket listener (NRepl:UnixSocket): mode 0600, the same protocol, removed at shutdown.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class UnixSocketTests
{
    [Test]
    public async Task UnixSocket_OnlyThisUserCanConnect_EvalsWork_AndTheFileGoesAtShutdown()
    {
        var directory = Directory.CreateTempSubdirectory("nrepl-sock-").FullName;
        var path = Path.Combine(directory, "nrepl.sock");
        File.WriteAllBytes(path, []); // as a crashed server would leave it: replaced

        try
        {
            await using var server = await ServerProcess.StartAsync("--port", "0", "--unix-socket", path);

            Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            await using (var client = await NReplTestClient.ConnectUnixAsync(path))
            {
                var session = (await client.RequestAsync(("op", "clone"))).Single().GetString("new-session");
                var replies = await client.RequestAsync(("op", "eval"), ("session", session), ("code", "6 * 7"));
                Assert.That(replies.Single(m => m.Has("value")).GetString("value"), Is.EqualTo("42"));
            }

            await server.TerminateAsync();
            Assert.That(File.Exists(path), Is.False, "the socket file is removed at shutdown");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
