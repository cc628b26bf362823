using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace NRepl.Server.Hosting;

/// <summary>Checks the configuration at start, so a bad value fails with a message instead of a later surprise.</summary>
internal sealed class NReplOptionsValidator : IValidateOptions<NReplOptions>
{
    public ValidateOptionsResult Validate(string? name, NReplOptions options)
    {
        var failures = new List<string>();
        if (options.Port is < 0 or > 65535)
        {
            failures.Add($"NRepl:Port must be 0 (any free port) to 65535, not {options.Port}.");
        }

        if (options.ShutdownTimeoutSeconds < 0)
        {
            failures.Add($"NRepl:ShutdownTimeoutSeconds must not be negative, not {options.ShutdownTimeoutSeconds}.");
        }

        var limits = options.Limits;
        if (limits.MaxMessageBytes <= 0 || limits.MaxStringBytes <= 0 || limits.MaxDepth <= 0 || limits.MaxQueuedReplies <= 0)
        {
            failures.Add("NRepl:Limits values (MaxMessageBytes, MaxStringBytes, MaxDepth, MaxQueuedReplies) must be positive.");
        }

        if (string.IsNullOrWhiteSpace(options.Host))
        {
            failures.Add("NRepl:Host must name an address to listen on, e.g. 127.0.0.1.");
        }
        else if (!options.AllowRemote && !IsLoopback(options.Host))
        {
            failures.Add(
                $"NRepl:Host is '{options.Host}', which is not a loopback address. An nREPL server runs any code sent to it, " +
                "so listening beyond this machine must be asked for explicitly: set NRepl:AllowRemote=true (or use an SSH tunnel).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>True if every address <paramref name="host"/> stands for is a loopback address.</summary>
    internal static bool IsLoopback(string host)
    {
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (IPAddress.TryParse(host, out var address))
        {
            return IPAddress.IsLoopback(address);
        }

        try
        {
            var addresses = Dns.GetHostAddresses(host);
            return addresses.Length > 0 && addresses.All(IPAddress.IsLoopback);
        }
        catch (SocketException)
        {
            return false; // unresolvable: binding will fail with its own message
        }
    }
}
