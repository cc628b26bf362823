using System.Reflection;
using System.Reflection.Emit;

namespace NRepl.Runtime.Migration;

/// <summary>Reflection over the instance fields of world types, as the migration sees them.</summary>
internal static class InstanceFields
{
    public const BindingFlags DeclaredInstance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

    /// <summary>Every instance field of <paramref name="type"/> and its bases, including the old ones a retype left behind.</summary>
    public static FieldInfo[] All(Type type)
    {
        var fields = new List<FieldInfo>();
        for (var current = type; current is not null && current != typeof(object); current = current.BaseType)
        {
            fields.AddRange(current.GetFields(DeclaredInstance));
        }
        return [.. fields];
    }

    /// <summary>Of fields sharing a declaring type and a name (a retype leaves the old one behind), the newest.</summary>
    public static IEnumerable<FieldInfo> Newest(IEnumerable<FieldInfo> fields) =>
        fields.GroupBy(f => (f.DeclaringType, f.Name)).Select(g => g.MaxBy(f => f.MetadataToken)!);

    /// <summary>
    /// Compiles <c>o =&gt; new object[] { ((D1)o).f1, ((D2)o).f2, ... }</c> (boxed) for instances of
    /// <paramref name="type"/>: a migration with a hook copies every field of every instance, and
    /// FieldInfo.GetValue costs several times more per field. IL, as for the migration's writers, because
    /// fields added by EnC are read through the runtime's helper either way.
    /// </summary>
    public static Func<object, object?[]> Reader(Type type, FieldInfo[] fields)
    {
        if (fields.Any(f => f.FieldType.IsPointer || f.FieldType.IsFunctionPointer))
        {
            return instance => [.. fields.Select(f => f.GetValue(instance))]; // cannot be boxed by IL; rare enough to read slowly
        }
        var method = new DynamicMethod($"__migrate_read_{type.Name}", typeof(object[]), [typeof(object)], type.Module, skipVisibility: true);
        var il = method.GetILGenerator();
        il.Emit(OpCodes.Ldc_I4, fields.Length);
        il.Emit(OpCodes.Newarr, typeof(object));
        for (var i = 0; i < fields.Length; i++)
        {
            il.Emit(OpCodes.Dup);
            il.Emit(OpCodes.Ldc_I4, i);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Castclass, fields[i].DeclaringType!);
            il.Emit(OpCodes.Ldfld, fields[i]);
            if (fields[i].FieldType.IsValueType) il.Emit(OpCodes.Box, fields[i].FieldType);
            il.Emit(OpCodes.Stelem_Ref);
        }
        il.Emit(OpCodes.Ret);
        return method.CreateDelegate<Func<object, object?[]>>();
    }

    /// <summary>An auto-property's backing field goes by the property's name.</summary>
    public static string DisplayName(string fieldName) =>
        fieldName.StartsWith('<') && fieldName.IndexOf(">k__BackingField", StringComparison.Ordinal) is > 1 and var end ? fieldName[1..end] : fieldName;
}
