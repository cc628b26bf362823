using NRepl.Runtime.Contract;

namespace NRepl.Runtime.Migration;

/// <summary>The condition handlers world code registered (<see cref="Live.HandleConditions"/>), newest first.</summary>
internal static class ConditionHandlers
{
    private static readonly List<Func<LiveCondition, string?>> s_handlers = new();

    public static IDisposable Add(Func<LiveCondition, string?> handler)
    {
        lock (s_handlers) s_handlers.Insert(0, handler);
        return new Registration(handler);
    }

    /// <summary>Asks each handler in turn; the first non-null answer wins. A handler that throws is skipped and reported.</summary>
    public static RestartChosen Choose(ChooseRestart request)
    {
        Func<LiveCondition, string?>[] handlers;
        lock (s_handlers) handlers = s_handlers.ToArray();
        var condition = new LiveCondition(request.ConditionType, request.TypeName, request.FieldName, request.FailingInstances, request.Instances,
            request.Samples, request.Restarts);
        string? errors = null;
        foreach (var handler in handlers)
        {
            try
            {
                if (handler(condition) is { } answer) return new RestartChosen(request.RequestId, answer, errors);
            }
            catch (Exception e)
            {
                errors += $"A condition handler threw {e.GetType().FullName}: {e.Message}\n";
            }
        }
        return new RestartChosen(request.RequestId, null, errors);
    }

    private sealed class Registration(Func<LiveCondition, string?> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (s_handlers) s_handlers.Remove(handler);
        }
    }
}
