using NRepl.Server.Dispatch;

namespace NRepl.Server.Ops;

/// <summary>
/// <c>describe</c>: the ops this server answers (generated from the registered handlers), versions, and the
/// session's namespace, all in ONE message with <c>done</c>: Calva keeps the first reply, Neat the last.
/// </summary>
internal sealed class DescribeOp : IOpHandler
{
    public OpDescriptor Descriptor { get; } = new(
        "describe",
        "Produce a machine- and human-readable directory and documentation for the operations supported by this server.",
        OpDescriptor.None,
        new Dictionary<string, string>
        {
            ["verbose?"] = "Include informational detail for each op in the response (Calva's \"verbose\" is accepted too).",
        },
        new Dictionary<string, string>
        {
            ["ops"] = "Map of op name to {} (or to its descriptor {doc, requires, optional, returns} when verbose).",
            ["versions"] = "Map of component name to version map {major, minor, incremental, version-string}: nrepl (this server), dotnet, csharp.",
            ["aux"] = "Map of auxiliary data: current-ns, the session's namespace.",
        });

    public Task HandleAsync(ResponseContext context, CancellationToken cancellationToken)
    {
        var verbose = context.Request.GetBool("verbose?") || context.Request.GetBool("verbose");
        var ops = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var op in context.AvailableOps)
        {
            ops[op.Name] = verbose ? Verbose(op) : new Dictionary<string, object?>();
        }

        var reply = new Dictionary<string, object?>
        {
            ["ops"] = ops,
            ["versions"] = ServerVersions.Describe(),
            ["aux"] = new Dictionary<string, object?> { ["current-ns"] = context.Session.Ns },
        };
        return context.DoneWithAsync(reply).AsTask();
    }

    private static Dictionary<string, object?> Verbose(OpDescriptor op) => new()
    {
        ["doc"] = op.Doc,
        ["requires"] = Table(op.Requires),
        ["optional"] = Table(op.Optional),
        ["returns"] = Table(op.Returns),
    };

    private static Dictionary<string, object?> Table(IReadOnlyDictionary<string, string> docs) =>
        docs.ToDictionary(kv => kv.Key, kv => (object?)kv.Value, StringComparer.Ordinal);
}
