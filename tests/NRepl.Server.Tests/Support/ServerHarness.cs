using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using NRepl.Protocol.Messages;
using NRepl.Server.Dispatch;
using NRepl.Server.Evaluation;
using NRepl.Server.Hosting;
using NRepl.Server.Sessions;

namespace NRepl.Server.Tests.Support;

/// <summary>
/// The server's real services (as <see cref="ServerServiceCollectionExtensions.AddNReplServer"/> registers them)
/// without sockets: requests go straight to the dispatcher, replies land in <see cref="RecordingChannel"/>s.
/// </summary>
internal sealed class ServerHarness : IDisposable
{
    private readonly ServiceProvider _services;
    private long _lastId;

    private ServerHarness(ServiceProvider services, FakeEvaluator? evaluator)
    {
        _services = services;
        Evaluator = evaluator;
    }

    public FakeEvaluator? Evaluator { get; }

    /// <summary>The evaluator of a harness made with one.</summary>
    public FakeEvaluator Eval => Evaluator ?? throw new InvalidOperationException("This harness has no evaluator.");

    public RecordingChannel Channel { get; } = new();

    public IServiceProvider Services => _services;

    public OpDispatcher Dispatcher => _services.GetRequiredService<OpDispatcher>();

    public SessionRegistry Sessions => _services.GetRequiredService<SessionRegistry>();

    public ISessionOutput Output => _services.GetRequiredService<ISessionOutput>();

    public static ServerHarness Create(bool withEvaluator = true, Action<IServiceCollection>? configure = null)
    {
        var evaluator = withEvaluator ? new FakeEvaluator() : null;
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddNReplServer(new ConfigurationBuilder().Build());
        if (evaluator is not null)
        {
            services.AddSingleton<ILiveEvaluator>(evaluator);
        }

        configure?.Invoke(services);
        return new ServerHarness(services.BuildServiceProvider(), evaluator);
    }

    public string NextId() => Interlocked.Increment(ref _lastId).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Dispatches a request as a connection's reader loop does: started, not awaited.</summary>
    public Task Send(NReplMessage request, RecordingChannel? channel = null) =>
        Dispatcher.DispatchAsync(request, channel ?? Channel, CancellationToken.None);

    /// <summary>Sends a request with a fresh id and returns every reply up to and including <c>done</c>.</summary>
    public async Task<IReadOnlyList<IReadOnlyDictionary<string, object?>>> RequestAsync(params (string Key, object Value)[] fields)
    {
        var id = NextId();
        _ = Send(Req.Of([.. fields, ("id", id)]));
        return await Channel.UntilDoneAsync(id).ConfigureAwait(false);
    }

    public async Task<string> CloneAsync(string? from = null)
    {
        var replies = from is null ? await RequestAsync(("op", "clone")) : await RequestAsync(("op", "clone"), ("session", from));
        return replies.Single().Str("new-session")!;
    }

    public void Dispose() => _services.Dispose();
}
