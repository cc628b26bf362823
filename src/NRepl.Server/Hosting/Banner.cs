using System.Net;
using System.Net.Sockets;

namespace NRepl.Server.Hosting;

/// <summary>
/// The startup line nREPL's cmdline prints; tools (Calva jack-in, CIDER's regexps, our tests) parse it to
/// learn the port. It is the only thing this server writes to stdout.
/// </summary>
internal static class Banner
{
    public static string Format(IPEndPoint endPoint)
    {
        var host = endPoint.Address.ToString();
        var uriHost = endPoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{host}]" : host;
        return $"nREPL server started on port {endPoint.Port} on host {host} - nrepl://{uriHost}:{endPoint.Port}";
    }
}
