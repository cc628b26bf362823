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
        builder.Configuration.AddEnvironmentVariables(prefix: "NREPL_");
        builder.Configuration.AddCommandLine(args, SwitchMappings.ToDictionary(kv => kv.Key, kv => kv.Value));

        var logger = new LoggerConfiguration()
            .ReadFrom.Configuration(builder.Configuration, new ConfigurationReaderOptions(typeof(ConsoleLoggerConfigurationExtensions).Assembly))
            .CreateLogger();
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(logger, dispose: true);

        var shutdownSeconds = builder.Configuration.GetValue($"{NReplOptions.SectionName}:{nameof(NReplOptions.ShutdownTimeoutSeconds)}", 5);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(Math.Max(shutdownSeconds, 0)));

        builder.Services.AddNReplServer(builder.Configuration);
        builder.Services.AddLiveWorld();
        return builder;
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
