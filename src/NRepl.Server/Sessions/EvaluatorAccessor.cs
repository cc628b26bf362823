using NRepl.Server.Evaluation;

namespace NRepl.Server.Sessions;

/// <summary>
/// Resolves the <see cref="ILiveEvaluator"/> on first use rather than at construction: the evaluator
/// itself depends on <see cref="ISessionOutput"/> (which depends on the sessions), and a host without a
/// registered evaluator must still run and answer evals with an error.
/// </summary>
internal sealed class EvaluatorAccessor
{
    // PublicationOnly: a failed resolution is retried on the next use instead of being cached.
    private readonly Lazy<ILiveEvaluator?> _evaluator;

    public EvaluatorAccessor(Func<ILiveEvaluator?> resolve) =>
        _evaluator = new Lazy<ILiveEvaluator?>(resolve, LazyThreadSafetyMode.PublicationOnly);

    /// <summary>The evaluator, or null when none is registered.</summary>
    public ILiveEvaluator? Evaluator => _evaluator.Value;

    /// <summary>The evaluator if it was already resolved; never triggers its construction (used at shutdown).</summary>
    public ILiveEvaluator? EvaluatorIfCreated => _evaluator.IsValueCreated ? _evaluator.Value : null;
}
