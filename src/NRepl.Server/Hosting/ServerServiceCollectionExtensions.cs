using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NRepl.Server.Connections;
using NRepl.Server.Dispatch;
using NRepl.Server.Evaluation;
using NRepl.Server.Ops;
using NRepl.Server.Sessions;

namespace NRepl.Server.Hosting;

/// <summary>The server's services: options, sessions, op handlers, dispatcher, connections, listener.</summary>
internal static class ServerServiceCollectionExtensions
{
    public static IServiceCollection AddNReplServer(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<NReplOptions>().Bind(configuration.GetSection(NReplOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NReplOptions>, NReplOptionsValidator>());

        // Resolved on first use: the evaluator depends on ISessionOutput, and may be absent.
        services.AddSingleton(sp => new EvaluatorAccessor(() => sp.GetService<ILiveEvaluator>()));
        services.AddSingleton<SessionRegistry>();
        services.AddSingleton<OutputSubscriptions>();
        services.AddSingleton<SessionOutputRouter>();
        services.AddSingleton<ISessionOutput>(sp => sp.GetRequiredService<SessionOutputRouter>());

        services.AddSingleton<EvalRunner>();
        services.AddOpHandler<DescribeOp>();
        services.AddOpHandler<CloneOp>();
        services.AddOpHandler<CloseOp>();
        services.AddOpHandler<LsSessionsOp>();
        services.AddOpHandler<EvalOp>();
        services.AddOpHandler<LoadFileOp>();
        services.AddOpHandler<InterruptOp>();
        services.AddOpHandler<StdinOp>();
        services.AddOpHandler<LiveRestartOp>();
        services.AddOpHandler<CompletionsOp>();
        services.AddOpHandler<CompleteOp>();
        services.AddOpHandler<LookupOp>();
        services.AddOpHandler<InfoOp>();
        services.AddOpHandler<EldocOp>();
        services.AddOpHandler<OutSubscribeOp>();
        services.AddOpHandler<OutUnsubscribeOp>();
        services.AddSingleton<OpDispatcher>();

        services.AddSingleton<ConnectionManager>();
        services.AddHostedService<NReplServer>();
        return services;
    }

    /// <summary>Registers an op handler; <c>describe</c> advertises exactly the registered handlers.</summary>
    public static IServiceCollection AddOpHandler<THandler>(this IServiceCollection services)
        where THandler : class, IOpHandler
    {
        services.AddSingleton<IOpHandler, THandler>();
        return services;
    }
}
