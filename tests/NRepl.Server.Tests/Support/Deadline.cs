namespace NRepl.Server.Tests.Support;

/// <summary>How long a test waits for something that should happen at once: a bound for hangs, never a sleep.</summary>
internal static class Deadline
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(10);

    public static CancellationTokenSource Start() => new(Default);
}
