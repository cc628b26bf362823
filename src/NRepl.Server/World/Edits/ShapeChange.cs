namespace NRepl.Server.World.Edits;

/// <summary>
/// A change EnC cannot make to a live type (IncompatibleShapeChange) but replace-type can: the definition
/// (by key), the type as the user names it, and why it cannot change in place.
/// </summary>
internal sealed record ShapeChange(string Key, string TypeName, string Reason);
