// Entry point of the target process: `dotnet NRepl.Runtime.dll --ipc <unix-socket-path> [--interrupt-grace-ms N]`.
// It connects to the server's socket and serves it until Shutdown or end of stream. Only fatal
// diagnostics go to the real stderr; everything else travels over the socket.
using System.Net.Sockets;
using NRepl.Runtime.Hosting;

var options = TargetHostOptions.Parse(args, out var error);
if (options is null)
{
    Console.Error.WriteLine($"NRepl.Runtime: {error}");
    return 2;
}

NetworkStream connection;
try
{
    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    socket.Connect(new UnixDomainSocketEndPoint(options.IpcPath));
    connection = new NetworkStream(socket, ownsSocket: true);
}
catch (Exception e)
{
    Console.Error.WriteLine($"NRepl.Runtime: cannot connect to {options.IpcPath}: {e.Message}");
    return 3;
}

var exitCode = new TargetHost(connection, options).Run();
connection.Dispose();
// Foreground threads started by user code must not keep a target the server let go of alive.
Environment.Exit(exitCode);
return exitCode;
