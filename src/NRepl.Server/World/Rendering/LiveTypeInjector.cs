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
/// Registration is injected into constructors, which run the field initializers; a class
/// without a constructor gets the parameterless one C# would have made, written out. Classes with
/// a primary constructor (records included) cannot be given one, so their instances are not
/// registered yet; objects made by a record's <c>with</c> are not either (its copy constructor is
/// synthesized).
/// </remarks>
internal static class LiveTypeInjector
{
    public const string Register = "global::NRepl.Runtime.InstanceRegistry.Register(this);";

    public static string InitializerHelperName(string member) => "__init_" + member;

    public const string RecordBase = "global::NRepl.Runtime.LiveRecord";

    /// <summary>Can instances of this declaration be registered (and so migrated)?</summary>
    public static bool IsTrackable(TypeDeclarationSyntax type) =>
        IsTrackedRecord(type)
        || (type is ClassDeclarationSyntax && type.ParameterList is null && type.TypeParameterList is null && !type.Modifiers.Any(SyntaxKind.StaticKeyword));

    /// <summary>A record class without a declared base: it gets <see cref="RecordBase"/>, whose constructors register.</summary>
    public static bool IsTrackedRecord(TypeDeclarationSyntax type) =>
        type is RecordDeclarationSyntax { ClassOrStructKeyword.RawKind: 0 or (int)SyntaxKind.ClassKeyword, BaseList: null, TypeParameterList: null };

    /// <summary>Is this constructor the one that registers the instance (it does not chain to another of its class)?</summary>
    public static bool Registers(ConstructorDeclarationSyntax ctor) =>
        !ctor.Modifiers.Any(SyntaxKind.StaticKeyword)
        && ctor.Initializer?.ThisOrBaseKeyword.IsKind(SyntaxKind.ThisKeyword) != true
        && ctor.Parent is TypeDeclarationSyntax type && IsTrackable(type) && !IsTrackedRecord(type);

    /// <summary>Adds the written-out default constructor where needed, and the initializer helpers.</summary>
    public static void Inject(SyntaxNode root, MappedSourceBuilder builder)
    {
        foreach (var type in root.DescendantNodesAndSelf().OfType<TypeDeclarationSyntax>())
        {
            if (!IsTrackable(type)) continue;
            if (IsTrackedRecord(type))
            {
                var after = type.ParameterList?.Span.End ?? type.Identifier.Span.End;
                builder.Inject(after, " : " + RecordBase);
            }
            else if (!type.Members.OfType<ConstructorDeclarationSyntax>().Any(c => !c.Modifiers.Any(SyntaxKind.StaticKeyword)))
            {
                var accessibility = type.Modifiers.Any(SyntaxKind.AbstractKeyword) ? "protected" : "public";
                builder.Inject(type.CloseBraceToken.SpanStart, $"\n{accessibility} {type.Identifier.ValueText}() {{ {Instrumenter.MethodEntry} {Register} }}\n");
            }
            foreach (var (name, typeSyntax, initializer, isStatic) in InitializedMembers(type))
            {
                InjectHelper(builder, type, name, typeSyntax, initializer, isStatic);
            }
        }
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
