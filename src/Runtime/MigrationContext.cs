namespace NRepl.Runtime;

/// <summary>
/// What an explicit migration hook is told about the step its instance is taking (research/migration.md
/// §7.6). A world class declares the hook on its new version, and it runs once per live instance after
/// the implicit rules filled the new fields:
/// <code>
/// void OnRedefined(MigrationContext ctx) { Mana = (int)ctx.Old["Hp"]! / 2; }
/// </code>
/// Records may use the static form, which returns the values the instance takes (often a <c>with</c> copy;
/// the live instance keeps its identity and receives the copy's fields):
/// <code>
/// static Point Migrate(Point migrated, MigrationContext ctx) => migrated with { Z = 1 };
/// </code>
/// If the hook throws, the instance gets back the values the implicit rules gave it and the user is
/// offered <c>retry</c> (after fixing the hook, or what it calls) or <c>skip-instance</c>.
/// </summary>
public sealed class MigrationContext
{
    internal MigrationContext(Type type, int fromVersion, int toVersion, IReadOnlyList<string> added,
        IReadOnlyDictionary<string, object?> old, IReadOnlyDictionary<string, object?> discarded)
    {
        Type = type;
        FromVersion = fromVersion;
        ToVersion = toVersion;
        Added = added;
        Old = old;
        Discarded = discarded;
    }

    /// <summary>The world type whose redefinition this step is (the instance may be of a subclass).</summary>
    public Type Type { get; }

    /// <summary>The shape version the instance had before this redefinition.</summary>
    public int FromVersion { get; }

    /// <summary>The shape version it has now.</summary>
    public int ToVersion { get; }

    /// <summary>Names of the fields this version added (they hold their initializer's value or their default).</summary>
    public IReadOnlyList<string> Added { get; }

    /// <summary>
    /// The instance's fields as the previous version declared them, by name (auto-properties by the
    /// property's name), with the values they had before this step. Read-only: writing happens on the instance.
    /// </summary>
    public IReadOnlyDictionary<string, object?> Old { get; }

    /// <summary>The non-default values of the fields this version removed or retyped away, by name.</summary>
    public IReadOnlyDictionary<string, object?> Discarded { get; }

    /// <summary>The previous version's value of <paramref name="field"/>, as <typeparamref name="T"/>.</summary>
    /// <exception cref="KeyNotFoundException">The previous version had no such field.</exception>
    public T OldValue<T>(string field) => Old.TryGetValue(field, out var value)
        ? (T)value!
        : throw new KeyNotFoundException($"The previous version of {Type.Name} has no field {field} (it had: {string.Join(", ", Old.Keys)}).");
}
