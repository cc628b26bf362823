namespace NRepl.Runtime;

/// <summary>
/// A condition of a live migration, as a handler registered with <see cref="Live.HandleConditions"/> sees it.
/// </summary>
/// <param name="Type">The condition's type, e.g. <c>FieldConversionError</c>.</param>
/// <param name="Class">The type being redefined (full name).</param>
/// <param name="Field">The field whose value cannot be computed.</param>
/// <param name="FailingInstances">How many live instances are affected.</param>
/// <param name="Instances">How many live instances the type has.</param>
/// <param name="Samples">A few of the failing instances with their old values.</param>
/// <param name="Restarts">The restarts that can be picked, by name.</param>
public sealed record LiveCondition(string Type, string Class, string Field, int FailingInstances, int Instances,
    IReadOnlyList<string> Samples, IReadOnlyList<string> Restarts);
