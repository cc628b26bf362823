using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NRepl.Server.Evaluation;
using NRepl.Server.Target;
using NRepl.Server.World;

namespace NRepl.Server.Hosting;

public static partial class LiveWorldRegistration
{
    static partial void AddLiveWorldCore(IServiceCollection services)
    {
        services.AddSingleton(provider =>
        {
            var section = provider.GetRequiredService<IConfiguration>().GetSection("NRepl:Target");
            var options = new TargetOptions();
            if (section.GetValue<double?>("StartTimeoutSeconds") is { } start) options.StartTimeout = TimeSpan.FromSeconds(start);
            if (section.GetValue<double?>("InterruptGraceMilliseconds") is { } grace) options.InterruptGrace = TimeSpan.FromMilliseconds(grace);
            if (section.GetValue<double?>("UnresponsiveAfterSeconds") is { } silent) options.UnresponsiveAfter = TimeSpan.FromSeconds(silent);
            if (section.GetValue<string?>("RuntimePath") is { Length: > 0 } path) options.RuntimePath = path;
            return options;
        });
        services.AddSingleton<LiveWorld>();
        services.AddSingleton<ILiveEvaluator>(provider => provider.GetRequiredService<LiveWorld>());
        services.AddHostedService(provider => provider.GetRequiredService<LiveWorld>());
    }
}
