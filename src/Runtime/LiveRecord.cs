namespace NRepl.Runtime;

/// <summary>
/// The base the world compiler gives records that declare none: its constructors register every
/// instance in the <see cref="InstanceRegistry"/>, so records can be migrated when redefined. A
/// record's primary constructor has no body to put the registration in, and objects made by
/// <c>with</c> come from the copy constructor, which this base's copy constructor also covers.
/// </summary>
/// <remarks>It declares no members, so equality, hashing and ToString of the derived record are unchanged.</remarks>
public abstract record LiveRecord
{
    /// <summary>Registers the new instance.</summary>
    protected LiveRecord() => InstanceRegistry.Register(this);

    /// <summary>Registers the copy a <c>with</c> expression makes.</summary>
    protected LiveRecord(LiveRecord original) => InstanceRegistry.Register(this);
}
