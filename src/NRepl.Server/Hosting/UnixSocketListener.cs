using System.Net.Sockets;
using System.Runtime.Versioning;

namespace NRepl.Server.Hosting;

/// <summary>
/// The optional Unix domain socket listener: a stale socket file left by a crash is replaced, and the new
/// one gets mode 0600 before it listens, so no other user can ever connect to it.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal static class UnixSocketListener
{
    public static Socket Bind(string path)
    {
        if (File.Exists(path))
        {
            if (Answers(path)) throw new IOException($"NRepl:UnixSocket {path}: another server is listening there.");
            // A socket file is empty; anything with content is somebody's file, which is not ours to delete.
            if (new FileInfo(path).Length > 0) throw new IOException($"NRepl:UnixSocket {path} exists and is not a socket.");
            File.Delete(path);
        }
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            // Before Listen: until then a connect is refused, so the mode holds from the first connection on.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            socket.Listen(backlog: 128);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static void Close(Socket? socket, string path)
    {
        if (socket is null) return;
        socket.Dispose();
        try
        {
            File.Delete(Path.GetFullPath(path));
        }
        catch (IOException)
        {
            // Already gone, or replaced: nothing of ours to remove.
        }
    }

    private static bool Answers(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
