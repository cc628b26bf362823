using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NRepl.Protocol.Bencode;
using NRepl.Server.Dispatch;
using NRepl.Server.Hosting;
using NRepl.Server.Logging;
using NRepl.Server.Sessions;

namespace NRepl.Server.Connections;

/// <summary>
/// Owns the live connections: starts each accepted socket's <see cref="Connection"/> (registered before it
/// runs, as Kestrel does) and closes them all at shutdown, gracefully first and then by abort.
/// </summary>
internal sealed class ConnectionManager
{
    // Grace for aborted connections to finish once their sockets are gone.
    private static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<long, Connection> _connections = new();
    private readonly OpDispatcher _dispatcher;
    private readonly SessionRegistry _sessions;
    private readonly BencodeReaderOptions _readerOptions;
    private readonly int _outboundCapacity;
    private readonly ILogger<Connection> _connectionLogger;
    private readonly ILogger<ConnectionManager> _logger;
    private readonly int _maxConnections;
    private readonly TimeSpan _endOfInputGrace;
    private long _lastConnectionId;

    public ConnectionManager(OpDispatcher dispatcher, SessionRegistry sessions, IOptions<NReplOptions> options, ILogger<Connection> connectionLogger, ILogger<ConnectionManager> logger)
    {
        _dispatcher = dispatcher;
        _sessions = sessions;
        var limits = options.Value.Limits;
        _readerOptions = new BencodeReaderOptions
        {
            MaxDepth = limits.MaxDepth,
            MaxStringLength = limits.MaxStringBytes,
            MaxMessageSize = limits.MaxMessageBytes,
        };
        _outboundCapacity = limits.MaxQueuedReplies;
        _maxConnections = limits.MaxConnections;
        _endOfInputGrace = TimeSpan.FromSeconds(limits.EndOfInputGraceSeconds);
        _connectionLogger = connectionLogger;
        _logger = logger;
    }

    public int Count => _connections.Count;

    /// <summary>Takes ownership of <paramref name="socket"/> and runs its connection on the thread pool.</summary>
    public void Start(Socket socket)
    {
        if (_maxConnections > 0 && _connections.Count >= _maxConnections)
        {
            Refuse(socket);
            return;
        }
        if (socket.ProtocolType == ProtocolType.Tcp)
        {
            socket.NoDelay = true; // replies are small separate writes: without it, Nagle + delayed ACK add ~40 ms a round trip
            EnableKeepAlive(socket);
        }
        var id = Interlocked.Increment(ref _lastConnectionId);
        var connection = new Connection(id, socket, _dispatcher, _readerOptions, _outboundCapacity, _endOfInputGrace, _connectionLogger);
        _connections[id] = connection;
        _ = Task.Run(async () =>
        {
            await connection.RunAsync().ConfigureAwait(false);
            _connections.TryRemove(id, out _);
            try
            {
                await _sessions.CloseAbandonedAsync(connection, c => _connections.ContainsKey(c.ConnectionId)).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                ServerLog.ConnectionFailed(_logger, id, ex);
            }
        });
    }

    /// <summary>
    /// A laptop that sleeps or leaves the network sends no FIN: without probes its connection, and the
    /// sessions and evals it holds, would stay forever. Probes after 60 s idle find it gone within ~90 s.
    /// </summary>
    private static void EnableKeepAlive(Socket socket)
    {
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 60);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 10);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
        }
        catch (SocketException)
        {
            // A platform without these options keeps the OS defaults.
        }
    }

    /// <summary>One message saying why, then close: a client sees an error rather than a connection that just drops.</summary>
    private void Refuse(Socket socket)
    {
        ServerLog.ConnectionRefused(_logger, socket.RemoteEndPoint?.ToString() ?? "a local socket", _connections.Count);
        try
        {
            socket.Send(NRepl.Protocol.Messages.NReplMessageWriter.ToBytes(new Dictionary<string, object?>
            {
                ["status"] = new[] { "error", "too-many-connections" },
                ["err"] = $"The server has {_connections.Count} connections open, its limit (NRepl:Limits:MaxConnections); close one and connect again.\n",
            }));
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // The client is already gone.
        }
        finally
        {
            socket.Dispose();
        }
    }

    /// <summary>Asks every connection to close and waits (bounded by <paramref name="cancellationToken"/>), then aborts the rest.</summary>
    public async Task CloseAllAsync(CancellationToken cancellationToken)
    {
        var all = _connections.Values.ToArray();
        foreach (var connection in all)
        {
            connection.RequestClose();
        }

        var closed = Task.WhenAll(all.Select(c => c.Completion));
        try
        {
            await closed.WaitAsync(cancellationToken).ConfigureAwait(false);
            ServerLog.ShutdownConnectionsClosed(_logger, all.Length);
            return;
        }
        catch (OperationCanceledException)
        {
            ServerLog.NotAllConnectionsClosedGracefully(_logger);
        }

        foreach (var connection in all)
        {
            connection.Abort();
        }

        try
        {
            await closed.WaitAsync(AbortGrace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Logged above; the process is going away.
        }
    }
}
