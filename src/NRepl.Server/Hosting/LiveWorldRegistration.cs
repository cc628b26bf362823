using Microsoft.Extensions.DependencyInjection;

namespace NRepl.Server.Hosting;

/// <summary>
/// Registers the C# live world as the <see cref="Evaluation.ILiveEvaluator"/>. The World folder supplies
/// <see cref="AddLiveWorldCore"/>; until it does, no evaluator is registered and evals answer with an error.
/// </summary>
public static partial class LiveWorldRegistration
{
    public static IServiceCollection AddLiveWorld(this IServiceCollection services)
    {
        AddLiveWorldCore(services);
        return services;
    }

    static partial void AddLiveWorldCore(IServiceCollection services);
}
