using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Settings.Configuration;

namespace NRepl.Server.Hosting;

/// <summary>Builds and runs the generic host: configuration, Serilog (stderr), the server, the live world.</summary>
internal static class ServerHost
{
    /// <summary>Command-line switches and the configuration keys they set.</summary>
    public static readonly IReadOnlyDictionary<string, string> SwitchMappings = new Dictionary<string, string>
    {
        ["--port"] = "NRepl:Port",
        ["--host"] = "NRepl:Host",
        ["--bind"] = "NRepl:Host",
        ["--port-file"] = "NRepl:PortFile",
        ["--allow-remote"] = "NRepl:AllowRemote",
        ["--unix-socket"] = "NRepl:UnixSocket",
    };

    public static HostApplicationBuilder CreateBuilder(string[] args)
    {
        // Content root = the server's own folder, so appsettings.json is found wherever the server is started
        // from; the current directory stays the project directory the port file is written to.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = null,
        });
        // --config FILE (or NREPL_CONFIG): a JSON file over appsettings.json, e.g. /etc/nrepl/appsettings.json under
        // systemd; environment variables and the command line still override it.
        var (configFile, others) = ConfigFileOf(args);
        configFile ??= Environment.GetEnvironmentVariable("NREPL_CONFIG");
        if (!string.IsNullOrWhiteSpace(configFile)) builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
        builder.Configuration.AddEnvironmentVariables(prefix: "NREPL_");
        builder.Configuration.AddCommandLine(others, SwitchMappings.ToDictionary(kv => kv.Key, kv => kv.Value));

        var logger = new LoggerConfiguration()
            .ReadFrom.Configuration(builder.Configuration, new ConfigurationReaderOptions(typeof(ConsoleLoggerConfigurationExtensions).Assembly, typeof(FileLoggerConfigurationExtensions).Assembly))
            .CreateLogger();
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(logger, dispose: true);

        var shutdownSeconds = builder.Configuration.GetValue($"{NReplOptions.SectionName}:{nameof(NReplOptions.ShutdownTimeoutSeconds)}", 5);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(Math.Max(shutdownSeconds, 0)));

        builder.Services.AddNReplServer(builder.Configuration);
        builder.Services.AddLiveWorld();
        return builder;
    }

    private static (string? ConfigFile, string[] Others) ConfigFileOf(string[] args)
    {
        var at = Array.FindIndex(args, a => a is "--config" or "-c");
        if (at < 0 || at + 1 >= args.Length) return (null, args);
        return (args[at + 1], [.. args[..at], .. args[(at + 2)..]]);
    }

    /// <summary>Runs until SIGTERM or Ctrl-C. Exit codes: 0 after a clean stop, 2 for bad configuration, 1 for a failed start.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        IHost host;
        try
        {
            host = CreateBuilder(args).Build();
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"nREPL server: could not be set up: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        using (host)
        {
            try
            {
                await host.RunAsync().ConfigureAwait(false);
                return 0;
            }
            catch (OptionsValidationException ex)
            {
                await Console.Error.WriteLineAsync("nREPL server: invalid configuration:" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", ex.Failures)).ConfigureAwait(false);
                return 2;
            }
            catch (Exception ex)
            {
                host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("NRepl.Server").LogCritical(ex, "The nREPL server failed to start.");
                await Console.Error.WriteLineAsync($"nREPL server: failed to start: {ex.Message}").ConfigureAwait(false);
                return 1;
            }
        }
    }
}
