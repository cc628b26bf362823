using NRepl.IntegrationTests.Support;

namespace NRepl.IntegrationTests;

/// <summary>
/// deploy/: the systemd unit's settings, and deploy/install.sh followed by the unit's own command line
/// (as systemd would run it: its working and state directory, its configuration file), serving evals.
/// </summary>
[NonParallelizable]
public sealed class DeployTests
{
    private static string Root => Repository.Root;

    private static Dictionary<string, string> UnitSettings(string unitText) =>
        unitText.Split('\n').Select(l => l.Trim()).Where(l => l.Contains('=') && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2)).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.Last()[1]);

    [Test]
    public void Unit_RunsThePublishedServerAsAnUnprivilegedUser_WithTheHardeningTheIssueAsks()
    {
        var unit = UnitSettings(File.ReadAllText(Path.Combine(Root, "deploy", "nrepl.service")));

        Assert.Multiple(() =>
        {
            Assert.That(unit["ExecStart"], Does.StartWith("/opt/nrepl/NRepl.Server --config /etc/nrepl/appsettings.json"));
            Assert.That((unit["User"], unit["Restart"], unit["StateDirectory"], unit["WorkingDirectory"]), Is.EqualTo(("nrepl", "on-failure", "nrepl", "/var/lib/nrepl")));
            Assert.That((unit["NoNewPrivileges"], unit["ProtectSystem"], unit["ProtectHome"], unit["PrivateTmp"]), Is.EqualTo(("yes", "strict", "yes", "yes")));
            Assert.That(unit["RestrictAddressFamilies"], Is.EqualTo("AF_UNIX AF_INET AF_INET6"));
            Assert.That(unit, Does.ContainKey("MemoryMax"));
        });
    }

    [Test]
    public async Task InstallScript_ThenTheUnitsCommandLine_ServesEvalsAndWritesTheRollingLog()
    {
        var temp = Directory.CreateTempSubdirectory("nrepl-deploy-").FullName;
        try
        {
            var prefix = Path.Combine(temp, "opt");
            var config = Path.Combine(temp, "etc");
            var state = Path.Combine(temp, "state");
            var logs = Path.Combine(temp, "logs");
            Directory.CreateDirectory(state);
            await ChildProcess.RunAsync("bash", [Path.Combine(Root, "deploy", "install.sh"), "--prefix", prefix, "--config-dir", config, "--no-systemd", "--no-user"], TimeSpan.FromMinutes(5), "install.sh");
            // Idempotent: a second run updates in place and keeps the configuration.
            File.AppendAllText(Path.Combine(config, "environment"), "# edited by the administrator\n");
            await ChildProcess.RunAsync("bash", [Path.Combine(Root, "deploy", "install.sh"), "--prefix", prefix, "--config-dir", config, "--no-systemd", "--no-user"], TimeSpan.FromMinutes(5), "install.sh");
            Assert.That(File.ReadAllText(Path.Combine(config, "environment")), Does.Contain("edited by the administrator"));

            // The rendered unit's ExecStart, with the directories systemd would give it (StateDirectory, LogsDirectory).
            var exec = UnitSettings(File.ReadAllText(Path.Combine(prefix, "nrepl.service")))["ExecStart"].Replace("/var/lib/nrepl", state).Split(' ');
            Assert.That(File.Exists(exec[0]), Is.True, $"ExecStart {exec[0]} resolves to the published server");
            var environment = new Dictionary<string, string>
            {
                ["NREPL_NRepl__Port"] = "0", // the configured 7888 may be taken on a test machine
                ["NREPL_Serilog__WriteTo__1__Args__path"] = Path.Combine(logs, "nrepl-.log"),
            };
            await using var server = await ServerProcess.StartCommandAsync(exec[0], exec[1..], state, environment);
            await using (var client = await NReplTestClient.ConnectAsync(server.Port))
            {
                var session = (await client.RequestAsync(("op", "clone"))).Single().GetString("new-session");
                var replies = await client.RequestAsync(("op", "eval"), ("session", session), ("code", "1 + 2"));
                Assert.That(replies.Single(m => m.Has("value")).GetString("value"), Is.EqualTo("3"));
            }
            Assert.That(File.ReadAllText(Path.Combine(state, ".nrepl-port")).Trim(), Is.EqualTo(server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(Directory.GetFiles(logs, "nrepl-*.log"), Is.Not.Empty, "the rolling log file of the configuration");
            await server.TerminateAsync();
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }
}
