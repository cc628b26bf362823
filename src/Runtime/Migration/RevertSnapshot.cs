using System.Reflection;

namespace NRepl.Runtime.Migration;

/// <summary>
/// The migrated instances' field values and discarded bags as they were before a commit whose hooks may
/// fail, so abort-redefinition can still leave every instance as it was: once the server has put the
/// previous definitions back (a second migration, planned with defaults), <see cref="Restore"/> writes
/// these values over whatever that migration computed. Taken only when a hook will run.
/// </summary>
internal sealed class RevertSnapshot
{
    private readonly Dictionary<Type, (FieldInfo[] Fields, Func<object, object?[]>? Read)> _layouts;
    private readonly List<(object Instance, object?[] Values, IReadOnlyDictionary<string, object?> Bag)> _entries = [];

    private RevertSnapshot(Dictionary<Type, (FieldInfo[], Func<object, object?[]>?)> layouts) => _layouts = layouts;

    /// <summary>Before the commit's delta: the fields each runtime type has now (the values live in them until the hooks run).</summary>
    public static RevertSnapshot Prepare(IEnumerable<object> instances)
    {
        var layouts = new Dictionary<Type, (FieldInfo[], Func<object, object?[]>?)>();
        foreach (var instance in instances)
        {
            var type = instance.GetType();
            if (!layouts.ContainsKey(type)) layouts[type] = (InstanceFields.All(type), null);
        }
        return new RevertSnapshot(layouts);
    }

    /// <summary>Before the hooks run (and before the commit replaces the bags): reads every instance's old fields and bag.</summary>
    public void Take(IEnumerable<object> instances)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var instance in instances)
        {
            if (!seen.Add(instance)) continue;
            var type = instance.GetType();
            // An instance of a subtype first seen among those made during the commit: its fields now.
            if (!_layouts.TryGetValue(type, out var layout)) layout = (InstanceFields.All(type), null);
            if (layout.Read is null) _layouts[type] = layout = (layout.Fields, InstanceFields.Reader(type, layout.Fields));
            _entries.Add((instance, layout.Read!(instance), DiscardedValues.Of(instance)));
        }
    }

    /// <summary>
    /// After the previous definitions were applied again: each saved value goes into the field that now has
    /// the saved field's declaring type, name and type (the newest such field: the put-back definition may
    /// have re-added it). Returns how many instances were restored.
    /// </summary>
    public int Restore()
    {
        var targets = new Dictionary<Type, FieldInfo?[]>();
        foreach (var (instance, values, bag) in _entries)
        {
            var type = instance.GetType();
            if (!targets.TryGetValue(type, out var fields)) targets[type] = fields = [.. _layouts[type].Fields.Select(Current)];
            for (var i = 0; i < fields.Length; i++) fields[i]?.SetValue(instance, values[i]);
            DiscardedValues.Replace(instance, bag.Count == 0 ? null : bag);
        }
        return _entries.Count;
    }

    private static FieldInfo? Current(FieldInfo saved) =>
        saved.DeclaringType!.GetFields(InstanceFields.DeclaredInstance)
            .Where(f => f.Name == saved.Name && f.FieldType == saved.FieldType)
            .MaxBy(f => f.MetadataToken);
}
