namespace NRepl.IntegrationTests.Support;

/// <summary>Bounds on waiting for the real server and clients: deadlines for hangs, never sleeps.</summary>
internal static class Deadline
{
    /// <summary>For replies and connection events.</summary>
    public static readonly TimeSpan Reply = TimeSpan.FromSeconds(15);

    /// <summary>For a process to start (JIT, config, bind) or to exit.</summary>
    public static readonly TimeSpan Process = TimeSpan.FromSeconds(60);
}
