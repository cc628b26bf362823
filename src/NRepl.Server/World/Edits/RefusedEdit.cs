namespace NRepl.Server.World.Edits;

/// <summary>
/// A change the live world cannot apply in place (yet): the message names the type and member and
/// says why, and the world stays exactly as it was.
/// </summary>
internal sealed record RefusedEdit(string TypeName, string? MemberName, string Reason)
{
    public override string ToString() =>
        MemberName is null ? $"{TypeName}: {Reason}" : $"{TypeName}.{MemberName}: {Reason}";
}
