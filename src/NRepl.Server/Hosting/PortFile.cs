using Microsoft.Extensions.Logging;
using NRepl.Server.Logging;

namespace NRepl.Server.Hosting;

/// <summary>
/// The <c>.nrepl-port</c> file CIDER and Calva read to find the server: the port's digits, no newline
/// (as nREPL's cmdline writes it). Deleted at shutdown only if it still holds our port, so a second server
/// started in the same directory keeps its file.
/// </summary>
internal sealed class PortFile
{
    private readonly string _path;
    private readonly ILogger _logger;
    private string? _written;

    public PortFile(string path, ILogger logger)
    {
        _path = Path.GetFullPath(path, Environment.CurrentDirectory);
        _logger = logger;
    }

    public string FullPath => _path;

    public void Write(int port)
    {
        var content = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            File.WriteAllText(_path, content);
            _written = content;
            ServerLog.PortFileWritten(_logger, _path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ServerLog.PortFileWriteFailed(_logger, _path, ex);
        }
    }

    /// <summary>Deletes the file if this server wrote it and it was not replaced since. Idempotent.</summary>
    public void Delete()
    {
        var written = Interlocked.Exchange(ref _written, null);
        if (written is null)
        {
            return;
        }

        try
        {
            if (File.Exists(_path) && File.ReadAllText(_path) == written)
            {
                File.Delete(_path);
                ServerLog.PortFileDeleted(_logger, _path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ServerLog.PortFileDeleteFailed(_logger, _path, ex);
        }
    }
}
