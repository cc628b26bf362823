using System.Collections.Concurrent;

namespace NRepl.Server.Sessions;

/// <summary>
/// The sessions that asked, with out-subscribe, for output no running eval owns (Calva subscribes when
/// describe lists the op), each with the id of its out-subscribe request: that output is sent to each
/// of them under that id until out-unsubscribe or the session closes.
/// </summary>
internal sealed class OutputSubscriptions
{
    private readonly ConcurrentDictionary<string, string> _requestIdBySession = new(StringComparer.Ordinal);

    public void Subscribe(string sessionId, string requestId) => _requestIdBySession[sessionId] = requestId;

    public bool Unsubscribe(string sessionId) => _requestIdBySession.TryRemove(sessionId, out _);

    public IReadOnlyList<(string SessionId, string RequestId)> Current => [.. _requestIdBySession.Select(p => (p.Key, p.Value))];
}
