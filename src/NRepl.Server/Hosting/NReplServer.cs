using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NRepl.Server.Connections;
using NRepl.Server.Logging;
using NRepl.Server.Sessions;

namespace NRepl.Server.Hosting;

/// <summary>
/// The TCP listener and the server's lifecycle. Binds in <see cref="StartAsync"/> (a bind failure fails host
/// start, and the port is known before the banner), accepts in <see cref="ExecuteAsync"/>, and shuts down in
/// bounded phases in <see cref="StopAsync"/>.
/// </summary>
internal sealed class NReplServer : BackgroundService
{
    // Used when the host's shutdown token has already fired: the last phases still get a short, fixed bound.
    private static readonly TimeSpan LastPhaseGrace = TimeSpan.FromSeconds(2);

    private readonly NReplOptions _options;
    private readonly ConnectionManager _connections;
    private readonly SessionRegistry _sessions;
    private readonly EvaluatorAccessor _evaluator;
    private readonly ILogger<NReplServer> _logger;
    private readonly PortFile? _portFile;
    private Socket? _listener;
    private Socket? _unixListener;
    private int _stopping;

    public NReplServer(
        IOptions<NReplOptions> options,
        ConnectionManager connections,
        SessionRegistry sessions,
        EvaluatorAccessor evaluator,
        ILogger<NReplServer> logger)
    {
        _options = options.Value;
        _connections = connections;
        _sessions = sessions;
        _evaluator = evaluator;
        _logger = logger;
        _portFile = string.IsNullOrWhiteSpace(_options.PortFile) ? null : new PortFile(_options.PortFile, logger);
    }

    /// <summary>The bound endpoint once started.</summary>
    public IPEndPoint? EndPoint { get; private set; }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var address = await ResolveAsync(_options.Host, cancellationToken).ConfigureAwait(false);
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(address, _options.Port));
            listener.Listen(backlog: 128);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        _listener = listener;
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
        if (!IPAddress.IsLoopback(address))
        {
            ServerLog.RemoteAccessAllowed(_logger, address.ToString());
        }

        ServerLog.Listening(_logger, EndPoint.ToString());
        if (!string.IsNullOrWhiteSpace(_options.UnixSocket) && !OperatingSystem.IsWindows())
        {
            _unixListener = UnixSocketListener.Bind(Path.GetFullPath(_options.UnixSocket));
            ServerLog.Listening(_logger, "unix:" + Path.GetFullPath(_options.UnixSocket));
        }

        // Port file first: whoever reads the banner (jack-in tools, tests) may look for the file at once.
        _portFile?.Write(EndPoint.Port);
        Console.Out.WriteLine(Banner.Format(EndPoint));
        Console.Out.Flush();
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        _unixListener is { } unix
            ? Task.WhenAll(AcceptAsync(_listener!, stoppingToken), AcceptAsync(unix, stoppingToken))
            : AcceptAsync(_listener!, stoppingToken);

    private async Task AcceptAsync(Socket listener, CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                Socket socket;
                try
                {
                    socket = await listener.AcceptAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsUnbound(ex, stoppingToken))
                {
                    return; // unbound by StopAsync
                }

                _connections.Start(socket);
            }
        }
        catch (Exception ex)
        {
            // REVIEW: an accept loop that dies stops the host (BackgroundServiceExceptionBehavior.StopHost),
            // which is what we want: a server that silently stops accepting would look alive to its user.
            ServerLog.AcceptLoopFailed(_logger, ex);
            throw;
        }
    }

    /// <summary>
    /// Graceful shutdown, idempotent: unbind (and delete the port file, so no client finds a dead port),
    /// interrupt running evals and answer queued ones, close connections, stop the evaluator. Every phase is
    /// bounded by <paramref name="cancellationToken"/> (the host's shutdown timeout).
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopping, 1) == 1)
        {
            return;
        }

        ServerLog.ShutdownStarted(_logger);
        _listener?.Dispose();
        if (!OperatingSystem.IsWindows()) UnixSocketListener.Close(_unixListener, _options.UnixSocket);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        ServerLog.ShutdownUnbound(_logger);
        _portFile?.Delete();

        await StopSessionsAsync(cancellationToken).ConfigureAwait(false);
        await _connections.CloseAllAsync(cancellationToken).ConfigureAwait(false);
        await DisposeEvaluatorAsync(cancellationToken).ConfigureAwait(false);
        ServerLog.ShutdownCompleted(_logger);
    }

    public override void Dispose()
    {
        _listener?.Dispose();
        if (!OperatingSystem.IsWindows()) UnixSocketListener.Close(_unixListener, _options.UnixSocket);
        _portFile?.Delete();
        base.Dispose();
    }

    private async Task StopSessionsAsync(CancellationToken cancellationToken)
    {
        var count = _sessions.Sessions.Count;
        try
        {
            await _sessions.CloseAllAsync(cancellationToken).ConfigureAwait(false);
            ServerLog.ShutdownSessionsStopped(_logger, count);
        }
        catch (OperationCanceledException)
        {
            ServerLog.ShutdownSessionsTimedOut(_logger);
        }
    }

    private async Task DisposeEvaluatorAsync(CancellationToken cancellationToken)
    {
        if (_evaluator.EvaluatorIfCreated is not IAsyncDisposable disposable)
        {
            return;
        }

        try
        {
            var disposing = disposable.DisposeAsync().AsTask();
            await (cancellationToken.IsCancellationRequested
                ? disposing.WaitAsync(LastPhaseGrace)
                : disposing.WaitAsync(cancellationToken)).ConfigureAwait(false);
            ServerLog.ShutdownEvaluatorDisposed(_logger);
        }
        catch (Exception ex)
        {
            ServerLog.ShutdownEvaluatorDisposeFailed(_logger, ex);
        }
    }

    private static async Task<IPAddress> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var address))
        {
            return address;
        }

        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.Loopback;
        }

        var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? addresses.FirstOrDefault()
            ?? throw new InvalidOperationException($"NRepl:Host '{host}' does not resolve to any address.");
    }

    private static bool IsUnbound(Exception ex, CancellationToken stoppingToken) =>
        ex is ObjectDisposedException
        || (ex is OperationCanceledException && stoppingToken.IsCancellationRequested)
        || ex is SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted };
}
