using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace NRepl.Server.World.Migration;

/// <summary>
/// One piece of an instance's storage: a field, or an auto-property with its backing field (treated
/// as one name, so turning <c>int X;</c> into <c>int X { get; set; }</c> keeps the value).
/// </summary>
/// <param name="Name">The name the user sees (the property's name for an auto-property).</param>
/// <param name="MetadataName">The field's name in metadata (<c>&lt;X&gt;k__BackingField</c> for an auto-property).</param>
/// <param name="Declared">The field or property symbol.</param>
/// <param name="RenamedFrom">The old name given by <c>[RenamedFrom("old")]</c>, if any.</param>
internal sealed record LayoutField(string Name, string MetadataName, ITypeSymbol Type, ISymbol Declared, bool HasInitializer, string? RenamedFrom);

/// <summary>The instance storage of a type, as the migration planner compares it across versions.</summary>
internal static class InstanceLayout
{
    public static Dictionary<string, LayoutField> Of(INamedTypeSymbol type)
    {
        var fields = new Dictionary<string, LayoutField>(StringComparer.Ordinal);
        foreach (var member in type.GetMembers())
        {
            switch (member)
            {
                case IFieldSymbol { IsStatic: false, IsConst: false, AssociatedSymbol: null } field:
                    fields[field.Name] = new LayoutField(field.Name, field.Name, field.Type, field, HasInitializer(field), RenamedFrom(field));
                    break;
                case IPropertySymbol { IsStatic: false } property when IsAutoProperty(property):
                    fields[property.Name] = new LayoutField(property.Name, $"<{property.Name}>k__BackingField", property.Type, property,
                        HasInitializer(property), RenamedFrom(property));
                    break;
            }
        }
        return fields;
    }

    public static bool IsAutoProperty(IPropertySymbol property) =>
        property.DeclaringSyntaxReferences.Select(r => r.GetSyntax()).Any(s => s switch
        {
            PropertyDeclarationSyntax p => p.ExpressionBody is null && p.AccessorList is not null
                && p.AccessorList.Accessors.All(a => a.Body is null && a.ExpressionBody is null),
            ParameterSyntax => true, // record positional parameter
            _ => false,
        });

    private static bool HasInitializer(ISymbol symbol) =>
        symbol.DeclaringSyntaxReferences.Select(r => r.GetSyntax()).Any(s => s switch
        {
            VariableDeclaratorSyntax v => v.Initializer is not null,
            PropertyDeclarationSyntax p => p.Initializer is not null,
            _ => false,
        });

    private static string? RenamedFrom(ISymbol symbol) =>
        symbol.GetAttributes()
            .Where(a => a.AttributeClass?.Name is "RenamedFromAttribute" or "RenamedFrom")
            .Select(a => a.ConstructorArguments.FirstOrDefault().Value as string)
            .FirstOrDefault(name => name is not null);
}
