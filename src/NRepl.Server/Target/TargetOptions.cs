namespace NRepl.Server.Target;

/// <summary>How the target process is launched and supervised.</summary>
public sealed class TargetOptions
{
    /// <summary>The target's entry assembly, run as <c>dotnet &lt;RuntimePath&gt;</c>. Its runtimeconfig.json must sit beside it.</summary>
    public string RuntimePath { get; set; } = Path.Combine(AppContext.BaseDirectory, "NRepl.Runtime.dll");

    /// <summary>
    /// The <c>dotnet</c> host to launch it with. Null: the host running this server when it was started
    /// through <c>dotnet</c>, else <c>DOTNET_HOST_PATH</c>, else <c>$DOTNET_ROOT/dotnet</c>, else <c>dotnet</c> on PATH.
    /// </summary>
    public string? DotnetHostPath { get; set; }

    /// <summary>How long the target may take to connect and say Hello.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an interrupted eval may take to stop before the target abandons its thread.</summary>
    public TimeSpan InterruptGrace { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long <see cref="TargetSupervisor.DisposeAsync"/> waits for a clean exit before killing the target.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the server pings the target's control loop.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long the target may leave a ping unanswered before it counts as unresponsive and the evals waiting
    /// on it are offered a restart of the target. <see cref="TimeSpan.Zero"/> turns the watch off.
    /// </summary>
    public TimeSpan UnresponsiveAfter { get; set; } = TimeSpan.FromSeconds(10);
}
