namespace NRepl.Runtime;

/// <summary>
/// Marks a field or auto-property of a world class as the renamed form of an older one, so a
/// redefinition moves each live instance's value across instead of dropping it and starting the
/// new member from its initializer: <c>[RenamedFrom("Health")] public int Hp;</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false)]
public sealed class RenamedFromAttribute : Attribute
{
    /// <summary>Names the member of the previous version this one continues.</summary>
    public RenamedFromAttribute(string oldName) => OldName = oldName;

    /// <summary>The member's name in the previous version of the type.</summary>
    public string OldName { get; }
}
