namespace NRepl.Runtime;

/// <summary>
/// The base the world compiler gives classes that declare no base list: its constructor registers
/// every instance in the <see cref="InstanceRegistry"/>, so the class can be migrated when
/// redefined. Unlike registration injected into constructor bodies, this also covers classes with a
/// primary constructor (which has no body), and a class keeps the same base whether or not it has one.
/// </summary>
/// <remarks>It declares no members, so equality, hashing and ToString of the derived class are object's.</remarks>
public abstract class LiveObject
{
    /// <summary>Registers the new instance.</summary>
    protected LiveObject() => InstanceRegistry.Register(this);
}
