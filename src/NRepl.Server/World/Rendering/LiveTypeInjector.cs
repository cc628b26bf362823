using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace NRepl.Server.World.Rendering;

/// <summary>
/// What a world class needs so its live instances can be migrated when it is redefined:
/// every instance registers itself in the target's weak instance registry, and each field
/// initializer is also available as a hidden static helper, so a migration can run it once per
/// existing instance (and a static field added to a live type can be initialized at all).
/// </summary>
/// <remarks>
/// A class or record class that declares no base list is given a hidden base
/// (<see cref="ClassBase"/> or <see cref="RecordBase"/>) whose constructor registers: that covers
/// primary constructors, which have no body, and a record's synthesized copy constructor. A class
/// with a base list has registration injected into its constructors instead (a class without one
/// gets the parameterless constructor C# would have made, written out); with a primary constructor
/// and a base list, its instances are registered only when an ancestor registers them.
/// </remarks>
internal static class LiveTypeInjector
{
    public const string Register = "global::NRepl.Runtime.InstanceRegistry.Register(this);";

    public static string InitializerHelperName(string member) => "__init_" + member;

    public const string RecordBase = "global::NRepl.Runtime.LiveRecord";

    public const string ClassBase = "global::NRepl.Runtime.LiveObject";

    /// <summary>Can instances of this declaration be registered (and so migrated) by what this injector adds?</summary>
    public static bool IsTrackable(TypeDeclarationSyntax type) => GetsLiveBase(type) || RegistersInConstructors(type);

    /// <summary>A class or record class that declares no base list: it gets <see cref="ClassBase"/> or <see cref="RecordBase"/>, whose constructors register.</summary>
    public static bool GetsLiveBase(TypeDeclarationSyntax type) => IsObjectClass(type) && type.BaseList is null;

    /// <summary>A non-generic, non-static class or record class: the kinds whose instances can be registered.</summary>
    private static bool IsObjectClass(TypeDeclarationSyntax type) =>
        type is ClassDeclarationSyntax or RecordDeclarationSyntax { ClassOrStructKeyword.RawKind: 0 or (int)SyntaxKind.ClassKeyword }
        && type.TypeParameterList is null && !type.Modifiers.Any(SyntaxKind.StaticKeyword);

    /// <summary>A class with a base list and no primary constructor: registration goes into its constructors.</summary>
    private static bool RegistersInConstructors(TypeDeclarationSyntax type) =>
        IsObjectClass(type) && type is ClassDeclarationSyntax { BaseList: not null, ParameterList: null };

    /// <summary>Is this constructor the one that registers the instance (it does not chain to another of its class)?</summary>
    public static bool Registers(ConstructorDeclarationSyntax ctor) =>
        !ctor.Modifiers.Any(SyntaxKind.StaticKeyword)
        && ctor.Initializer?.ThisOrBaseKeyword.IsKind(SyntaxKind.ThisKeyword) != true
        && ctor.Parent is TypeDeclarationSyntax type && RegistersInConstructors(type);

    /// <summary>Adds the written-out default constructor where needed, and the initializer helpers.</summary>
    public static void Inject(SyntaxNode root, MappedSourceBuilder builder)
    {
        foreach (var type in root.DescendantNodesAndSelf().OfType<TypeDeclarationSyntax>())
        {
            // Helpers also go into classes this injector cannot track: an ancestor's constructor may register them.
            if (!IsObjectClass(type)) continue;
            if (GetsLiveBase(type))
            {
                var after = type.ParameterList?.Span.End ?? type.Identifier.Span.End;
                builder.Inject(after, " : " + (type is RecordDeclarationSyntax ? RecordBase : ClassBase));
            }
            else if (RegistersInConstructors(type) && !type.Members.OfType<ConstructorDeclarationSyntax>().Any(c => !c.Modifiers.Any(SyntaxKind.StaticKeyword)))
            {
                var accessibility = type.Modifiers.Any(SyntaxKind.AbstractKeyword) ? "protected" : "public";
                builder.Inject(type.CloseBraceToken.SpanStart, $"\n{accessibility} {type.Identifier.ValueText}() {{ {Instrumenter.MethodEntry} {Register} }}\n");
            }
            foreach (var (name, typeSyntax, initializer, isStatic) in InitializedMembers(type))
            {
                if (PrimaryParametersUsedBy(initializer).Count > 0) continue;
                InjectHelper(builder, type, name, typeSyntax, initializer, isStatic);
            }
        }
    }

    /// <summary>
    /// The primary constructor parameters <paramref name="initializer"/> reads, if any. Such an
    /// initializer cannot run for an existing instance: the arguments it was made with are gone.
    /// </summary>
    public static IReadOnlyList<string> PrimaryParametersUsedBy(ExpressionSyntax initializer)
    {
        if (initializer.FirstAncestorOrSelf<TypeDeclarationSyntax>()?.ParameterList is not { Parameters.Count: > 0 } parameters) return [];
        var names = parameters.Parameters.Select(p => p.Identifier.ValueText).ToHashSet(StringComparer.Ordinal);
        return initializer.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>()
            .Where(id => names.Contains(id.Identifier.ValueText) && !(id.Parent is MemberAccessExpressionSyntax access && access.Name == id))
            .Select(id => id.Identifier.ValueText).Distinct().ToList();
    }

    private static void InjectHelper(MappedSourceBuilder builder, TypeDeclarationSyntax type, string name, TypeSyntax typeSyntax, ExpressionSyntax initializer, bool isStatic)
    {
        // Rendered after the type's members, with the type and initializer mapped to where the user
        // wrote them, so an error in them reads like the original (and is reported once).
        var helper = InitializerHelperName(name);
        builder.Inject(type.CloseBraceToken.SpanStart, isStatic
            ? new[] { InjectedPart.Hidden($"\nprivate static void {helper}() {{ global::System.Runtime.CompilerServices.Unsafe.AsRef(in {name}) = "), InjectedPart.Mapped(initializer.Span), InjectedPart.Hidden("; }\n") }
            : new[] { InjectedPart.Hidden("\nprivate static "), InjectedPart.Mapped(typeSyntax.Span), InjectedPart.Hidden($" {helper}() => "), InjectedPart.Mapped(initializer.Span), InjectedPart.Hidden(";\n") });
    }

    private static IEnumerable<(string Name, TypeSyntax Type, ExpressionSyntax Initializer, bool IsStatic)> InitializedMembers(TypeDeclarationSyntax type)
    {
        foreach (var member in type.Members)
        {
            switch (member)
            {
                case FieldDeclarationSyntax field when !field.Modifiers.Any(SyntaxKind.ConstKeyword):
                    var isStatic = field.Modifiers.Any(SyntaxKind.StaticKeyword);
                    foreach (var variable in field.Declaration.Variables)
                    {
                        if (variable.Initializer is { } init) yield return (variable.Identifier.ValueText, field.Declaration.Type, init.Value, isStatic);
                    }
                    break;
                case PropertyDeclarationSyntax { Initializer: { } init } property when property.AccessorList is not null:
                    // An auto-property's initializer initializes its backing field: the helper sets the property's value.
                    if (!property.Modifiers.Any(SyntaxKind.StaticKeyword)) yield return (property.Identifier.ValueText, property.Type, init.Value, false);
                    break;
            }
        }
    }
}
