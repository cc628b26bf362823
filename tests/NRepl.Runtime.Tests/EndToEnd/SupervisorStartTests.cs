using Microsoft.Extensions.Logging.Abstractions;
using NRepl.Runtime.Tests.Support;
using NRepl.Server.Target;

namespace NRepl.Runtime.Tests.EndToEnd;

/// <summary>Start failures, with a shell script standing in for the runtime.</summary>
[TestFixture]
public sealed class SupervisorStartTests
{
    private string _directory = null!;

    [SetUp]
    public void SetUp() => _directory = Directory.CreateTempSubdirectory("nrepl-start-test-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_directory, recursive: true);

    [Test]
    public void StartAsync_ProcessExitsBeforeConnecting_TargetDiedWithStderr()
    {
        var options = ScriptOptions("echo 'cannot start: missing thing' >&2\nexit 5\n");
        var supervisor = new TargetSupervisor(options, new RecordingSink(), NullLogger<TargetSupervisor>.Instance);

        var died = Assert.ThrowsAsync<TargetDiedException>(() => supervisor.StartAsync(CancellationToken.None));

        Assert.That(died!.Exit.ExitCode, Is.EqualTo(5));
        Assert.That(died.Exit.StderrTail, Does.Contain("cannot start: missing thing"));
        Assert.That(supervisor.IsRunning, Is.False);
    }

    [Test]
    public void StartAsync_ProcessNeverConnects_TimeoutAndNotRunning()
    {
        var options = ScriptOptions("exec tail -f /dev/null\n");
        options.StartTimeout = TimeSpan.FromMilliseconds(300);
        var supervisor = new TargetSupervisor(options, new RecordingSink(), NullLogger<TargetSupervisor>.Instance);

        Assert.ThrowsAsync<TimeoutException>(() => supervisor.StartAsync(CancellationToken.None));
        Assert.That(supervisor.IsRunning, Is.False);
    }

    [Test]
    public void StartAsync_MissingRuntime_FileNotFound()
    {
        var options = new TargetOptions { RuntimePath = Path.Combine(_directory, "absent.dll") };
        var supervisor = new TargetSupervisor(options, new RecordingSink(), NullLogger<TargetSupervisor>.Instance);

        Assert.ThrowsAsync<FileNotFoundException>(() => supervisor.StartAsync(CancellationToken.None));
    }

    [Test]
    public void RunEvalAsync_NotStarted_InvalidOperation()
    {
        var supervisor = new TargetSupervisor(new TargetOptions(), new RecordingSink(), NullLogger<TargetSupervisor>.Instance);

        Assert.ThrowsAsync<InvalidOperationException>(() =>
            supervisor.RunEvalAsync(new Runtime.Contract.StartEval(1, "s", 0x06000001, false, Runtime.Contract.PrintSettings.Default), CancellationToken.None));
    }

    private TargetOptions ScriptOptions(string body)
    {
        var script = Path.Combine(_directory, "fake-runtime.sh");
        File.WriteAllText(script, "#!/bin/sh\n" + body);
        return new TargetOptions { DotnetHostPath = "/bin/sh", RuntimePath = script };
    }
}
