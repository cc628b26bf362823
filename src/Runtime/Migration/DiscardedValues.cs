using System.Collections.Concurrent;
using System.Collections.ObjectModel;
using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace NRepl.Runtime.Migration;

/// <summary>
/// The discarded-value bags (research/migration.md §7.5): per instance, the non-default values of the
/// fields its type's last migration dropped. Weakly keyed, so a bag never keeps its instance alive.
/// </summary>
internal static class DiscardedValues
{
    private static readonly IReadOnlyDictionary<string, object?> s_empty = ReadOnlyDictionary<string, object?>.Empty;
    private static readonly ConditionalWeakTable<object, IReadOnlyDictionary<string, object?>> s_bags = new();

    /// <summary>Exact types that ever got a bag: a migration of other types has no old bags to drop (saves a table lookup per instance).</summary>
    private static readonly ConcurrentDictionary<Type, byte> s_typesWithBags = new();

    public static IReadOnlyDictionary<string, object?> Of(object instance) =>
        s_bags.TryGetValue(instance, out var bag) ? bag : s_empty;

    /// <summary>Replaces the instance's bag (a new migration of its type supersedes the previous one's).</summary>
    public static void Replace(object instance, IReadOnlyDictionary<string, object?>? bag)
    {
        if (bag is null || bag.Count == 0)
        {
            if (s_typesWithBags.ContainsKey(instance.GetType())) s_bags.Remove(instance);
            return;
        }
        s_typesWithBags.TryAdd(instance.GetType(), 0);
        s_bags.AddOrUpdate(instance, bag);
    }
}

/// <summary>One discarded old field of a migrated type: its values, read at prepare.</summary>
internal abstract class DiscardedField
{
    protected DiscardedField(FieldInfo field) => Field = field;

    public FieldInfo Field { get; }

    /// <summary>Reads the field of instances <paramref name="start"/> onwards, keeping the values read before.</summary>
    public abstract void Read(object[] instances, int start);

    /// <summary>The value of instance <paramref name="index"/> boxed, or false when it is the default.</summary>
    public abstract bool TryGetNonDefault(int index, out object? value);

    public static DiscardedField Create(FieldInfo field)
    {
        var type = field.FieldType;
        if (type.IsPointer || type.IsByRefLike || type.IsFunctionPointer) throw new MigrationPlanException($"field {field.Name} of type {type} cannot be kept");
        return (DiscardedField)Activator.CreateInstance(typeof(DiscardedField<>).MakeGenericType(type), field)!;
    }
}

/// <summary><see cref="DiscardedField"/> of type <typeparamref name="T"/>; values stay unboxed until commit.</summary>
internal sealed class DiscardedField<T> : DiscardedField
{
    private readonly Func<object, T> _read;
    private T[] _values = [];

    public DiscardedField(FieldInfo field) : base(field)
    {
        var instance = Expression.Parameter(typeof(object), "instance");
        _read = Expression.Lambda<Func<object, T>>(Expression.Field(Expression.Convert(instance, field.DeclaringType!), field), instance).Compile();
    }

    public override void Read(object[] instances, int start)
    {
        var values = start == 0 ? new T[instances.Length] : _values;
        if (values.Length != instances.Length) Array.Resize(ref values, instances.Length);
        for (var i = start; i < instances.Length; i++) values[i] = _read(instances[i]);
        _values = values;
    }

    public override bool TryGetNonDefault(int index, out object? value)
    {
        var v = _values[index];
        value = v;
        return !EqualityComparer<T>.Default.Equals(v, default!);
    }
}
