namespace NRepl.Server.Dispatch;

/// <summary>
/// What an op is, as <c>describe</c> reports it (nREPL's <c>set-descriptor!</c> <c>:handles</c> entry).
/// The descriptors are the protocol documentation: <c>describe</c> with <c>verbose?</c> sends them as they are.
/// </summary>
/// <param name="Name">The op name clients send in <c>op</c>.</param>
/// <param name="Doc">One or two sentences on what the op does.</param>
/// <param name="Requires">Required request keys → doc.</param>
/// <param name="Optional">Optional request keys → doc.</param>
/// <param name="Returns">Reply keys → doc.</param>
internal sealed record OpDescriptor(
    string Name,
    string Doc,
    IReadOnlyDictionary<string, string> Requires,
    IReadOnlyDictionary<string, string> Optional,
    IReadOnlyDictionary<string, string> Returns)
{
    /// <summary>An empty key → doc table, for descriptors that take or return nothing extra.</summary>
    public static IReadOnlyDictionary<string, string> None { get; } = new Dictionary<string, string>();
}
