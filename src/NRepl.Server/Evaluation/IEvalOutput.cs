namespace NRepl.Server.Evaluation;

/// <summary>
/// Where an eval's streamed replies go. The server implements it per session: it tags each
/// message with the eval's id and the session and sends it on the connection that last used
/// the session, so output of background threads started by an eval still reaches the user.
/// </summary>
public interface ISessionOutput
{
    /// <summary><c>out</c>/<c>err</c> text for <paramref name="evalId"/> in <paramref name="sessionId"/>.</summary>
    void Write(string sessionId, string evalId, bool isError, string text);

    /// <summary>The eval is blocked on stdin: send status exactly <c>["need-input"]</c>.</summary>
    void NeedInput(string sessionId, string evalId);

    /// <summary>
    /// A condition the eval waits on (research/migration.md §7.9): one message with the structured
    /// keys (<c>condition</c>, <c>restarts</c>, <c>condition-id</c>, <c>level</c>) for clients that show buttons.
    /// </summary>
    void Condition(string sessionId, string evalId, IReadOnlyDictionary<string, object?> fields);

    /// <summary>
    /// Output of a thread no running eval owns: a timer or thread an eval started that has since ended
    /// (<paramref name="sessionId"/> and <paramref name="evalId"/> name that eval), or code no eval started
    /// (both null). It goes to the sessions that asked for it with out-subscribe; without one, to the eval
    /// that started the thread, if any.
    /// </summary>
    void Background(string? sessionId, string? evalId, bool isError, string text);
}
