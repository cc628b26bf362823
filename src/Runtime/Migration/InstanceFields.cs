using System.Reflection;

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

    /// <summary>An auto-property's backing field goes by the property's name.</summary>
    public static string DisplayName(string fieldName) =>
        fieldName.StartsWith('<') && fieldName.IndexOf(">k__BackingField", StringComparison.Ordinal) is > 1 and var end ? fieldName[1..end] : fieldName;
}
