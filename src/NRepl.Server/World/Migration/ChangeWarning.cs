namespace NRepl.Server.World.Migration;

/// <summary>
/// A warning about a redefinition (FieldRenameInferred, PossibleRename, FieldDataDiscarded,
/// InitializerNotRerun). It does not stop the change: it is written to the eval's err, and handlers
/// registered by world code see it first and may muffle it, refuse an inferred rename, or abort.
/// </summary>
internal sealed record ChangeWarning(string Kind, string TypeName, string Field, string Message)
{
    public const string RenameInferred = "FieldRenameInferred";
    public const string MuffleWarning = "muffle-warning";
    public const string Continue = "continue";
    public const string NotARename = "not-a-rename";

    /// <summary>The restarts a handler can pick for this warning.</summary>
    public string[] Restarts => Kind == RenameInferred
        ? new[] { Continue, NotARename, MuffleWarning, MigrationCondition.Abort }
        : new[] { Continue, MuffleWarning, MigrationCondition.Abort };

    public override string ToString() => Message;
}
