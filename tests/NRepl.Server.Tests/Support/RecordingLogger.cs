using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.Extensions.Logging;

namespace NRepl.Server.Tests.Support;

/// <summary>A logger that records each entry with the scopes active when it was written.</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly AsyncLocal<ImmutableStack<object>> _scopes = new();

    public ConcurrentQueue<Entry> Entries { get; } = new();

    public IDisposable BeginScope<TState>(TState state)
        where TState : notnull
    {
        var previous = _scopes.Value ?? ImmutableStack<object>.Empty;
        _scopes.Value = previous.Push(state);
        return new Pop(() => _scopes.Value = previous);
    }

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue(new Entry(logLevel, eventId, formatter(state, exception), (_scopes.Value ?? ImmutableStack<object>.Empty).ToArray()));

    internal sealed record Entry(LogLevel Level, EventId EventId, string Message, object[] Scopes)
    {
        public object? ScopeValue(string key) => Scopes
            .OfType<IEnumerable<KeyValuePair<string, object>>>()
            .SelectMany(s => s)
            .Where(kv => kv.Key == key)
            .Select(kv => kv.Value)
            .FirstOrDefault();
    }

    private sealed class Pop(Action pop) : IDisposable
    {
        public void Dispose() => pop();
    }
}
