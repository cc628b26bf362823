using Microsoft.CodeAnalysis;
using NRepl.Runtime.Contract;
using NRepl.Server.World.Edits;
using NRepl.Server.World.Rendering;

namespace NRepl.Server.World.Migration;

/// <summary>
/// Plans the implicit migration of a class whose instance fields changed (research/migration.md
/// §7.2-7.5): fields correspond by <c>[RenamedFrom]</c>, then by name, then by a strict inferred
/// rename (exactly one removed and one added field of the identical type, nothing else changed);
/// retyped values convert by tier; added fields run their initializer once per instance, else get
/// their default; removed fields' values are kept per instance. What needs the user's decision is
/// refused, naming the type and field.
/// </summary>
internal static class MigrationPlanner
{
    /// <param name="inferRenames">False when the user refused an inferred rename (not-a-rename): the fields are then removed and added.</param>
    /// <param name="reverting">
    /// The previous definition comes back after a redefinition was aborted: the target puts every instance's
    /// old values back itself, so fields with no way to get a value are planned as defaults (not refused),
    /// and the old version's hook does not run.
    /// </param>
    /// <param name="replaced">Maps a CLR type name to what it is once this change's replaced types are substituted (replace-type).</param>
    public static TypeMigrationPlan? Plan(INamedTypeSymbol oldType, INamedTypeSymbol newType, Microsoft.CodeAnalysis.CSharp.CSharpCompilation newCompilation, List<RefusedEdit> refusals,
        bool inferRenames = true, bool reverting = false, Func<string, string>? replaced = null)
    {
        var typeName = newType.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);
        var oldFields = InstanceLayout.Of(oldType);
        var newFields = InstanceLayout.Of(newType);
        var steps = new List<FieldMigrationStep>();
        var inserts = new List<ISymbol>();
        var warnings = new List<ChangeWarning>();
        var matched = new HashSet<string>(StringComparer.Ordinal);
        var added = new List<LayoutField>();
        var before = refusals.Count;

        foreach (var field in newFields.Values)
        {
            var source = field.RenamedFrom ?? (oldFields.ContainsKey(field.Name) ? field.Name : null);
            if (source is null || !oldFields.TryGetValue(source, out var old))
            {
                if (field.RenamedFrom is not null && !reverting)
                {
                    refusals.Add(new RefusedEdit(typeName, field.Name, $"[RenamedFrom(\"{field.RenamedFrom}\")] names no field of the previous version"));
                }
                added.Add(field);
                continue;
            }
            matched.Add(source);
            if (source == field.Name && Same(old.Type, field.Type) && old.MetadataName == field.MetadataName) continue; // unchanged storage
            // Tier 3 (no implicit conversion): every live instance is a FieldConversionError the user answers (use-value-for-all int.Parse(old)).
            var conversion = ConversionClassifier.Classify(old.Type, field.Type, newCompilation) ?? ByReplacement(old.Type, field.Type, replaced) ?? Conversion.None;
            steps.Add(Step(field, FieldSource.OldField, old, conversion));
            inserts.Add(field.Declared);
        }

        var removed = oldFields.Values.Where(f => !matched.Contains(f.Name)).ToList();
        if (inferRenames && added.Count == 1 && removed.Count == 1 && steps.Count == 0 && Same(added[0].Type, removed[0].Type) && added[0].RenamedFrom is null)
        {
            var (field, old) = (added[0], removed[0]);
            warnings.Add(new ChangeWarning(ChangeWarning.RenameInferred, ClrTypeNames.Of(newType), field.Name,
                $"FieldRenameInferred: {typeName}.{old.Name} is taken to be renamed to {field.Name} (the only field removed and the only one added, both {Display(field.Type)}); its values were kept. Use [RenamedFrom] to say so explicitly."));
            steps.Add(Step(field, FieldSource.OldField, old, Conversion.Identity));
            inserts.Add(field.Declared);
            added.Clear();
            removed.Clear();
        }
        else if (added.Count > 0 && removed.Count > 0)
        {
            var candidates = added.SelectMany(a => removed.Where(r => Same(a.Type, r.Type)).Select(r => $"{r.Name} -> {a.Name}")).ToList();
            if (candidates.Count > 0)
            {
                warnings.Add(new ChangeWarning("PossibleRename", ClrTypeNames.Of(newType), "",
                    $"PossibleRename: {typeName} has removed and added fields of the same type ({string.Join(", ", candidates)}); they were treated as removed and added. Mark a rename with [RenamedFrom(\"old\")]."));
            }
        }

        foreach (var field in added)
        {
            inserts.Add(field.Declared);
            if (reverting)
            {
                steps.Add(new FieldMigrationStep(field.Name, field.MetadataName, ClrTypeNames.Of(field.Type), FieldSource.Default, null, null, Conversion.Identity, null, CSharp(field.Type)));
            }
            else if (PrimaryParametersReadBy(field.Declared) is { } parameters)
            {
                // Nothing can compute it for an instance that exists: its constructor arguments are gone.
                if (field.Type.IsReferenceType && field.Type.NullableAnnotation == NullableAnnotation.NotAnnotated || IsRequired(field.Declared))
                {
                    steps.Add(Missing(field, $"is initialized from the primary constructor's {parameters}, which the live instances were not made with"));
                }
                else
                {
                    warnings.Add(new ChangeWarning("InitializerNotRerun", ClrTypeNames.Of(newType), field.Name,
                        $"InitializerNotRerun: {typeName}.{field.Name} is initialized from the primary constructor's {parameters}, which the live instances were not made with; they get default({Display(field.Type)})."));
                    steps.Add(new FieldMigrationStep(field.Name, field.MetadataName, ClrTypeNames.Of(field.Type), FieldSource.Default, null, null, Conversion.Identity, null, CSharp(field.Type)));
                }
            }
            else if (InitializerOf(field.Declared) is { } initializer)
            {
                steps.Add(new FieldMigrationStep(field.Name, field.MetadataName, ClrTypeNames.Of(field.Type), FieldSource.Initializer, null, null, Conversion.Identity, initializer, CSharp(field.Type)));
            }
            else if (field.Type.IsReferenceType && field.Type.NullableAnnotation == NullableAnnotation.NotAnnotated || IsRequired(field.Declared))
            {
                // The constructor never ran for these objects: null would break what the compiler assumes (CS8618's premise).
                steps.Add(Missing(field, "has no initializer"));
            }
            else
            {
                steps.Add(new FieldMigrationStep(field.Name, field.MetadataName, ClrTypeNames.Of(field.Type), FieldSource.Default, null, null, Conversion.Identity, null, CSharp(field.Type)));
            }
        }

        var hook = reverting ? HookKind.None : HookOf(newType, typeName, refusals);
        if (refusals.Count > before) return null;
        if (steps.Count == 0 && removed.Count == 0) return null;
        if (removed.Count > 0)
        {
            warnings.Add(new ChangeWarning("FieldDataDiscarded", ClrTypeNames.Of(newType), string.Join(",", removed.Select(r => r.Name)),
                $"FieldDataDiscarded: {typeName} no longer has {string.Join(", ", removed.Select(r => r.Name))}; the live instances' values are kept until the type's next redefinition (Live.Discarded(obj))."));
        }
        return new TypeMigrationPlan(
            ClrTypeNames.Of(newType),
            typeName,
            steps,
            removed.Select(r => (r.MetadataName, ClrTypeNames.Of(r.Type), r.Name)).ToList(),
            warnings,
            inserts)
        {
            Hook = hook,
        };
    }

    /// <summary>
    /// The explicit hook the new version declares (research/migration.md §7.6): an instance method
    /// <c>void OnRedefined(MigrationContext ctx)</c>, or for records the static
    /// <c>T Migrate(T migrated, MigrationContext ctx)</c>. A method of either name taking a
    /// MigrationContext in another shape is refused, so a hook that would silently never run is caught.
    /// </summary>
    private static HookKind HookOf(INamedTypeSymbol type, string typeName, List<RefusedEdit> refusals)
    {
        static bool IsContext(ITypeSymbol t) => t.ToDisplayString() == "NRepl.Runtime.MigrationContext";
        static bool Plain(IMethodSymbol m) => !m.IsGenericMethod && m.Parameters.All(p => p.RefKind == RefKind.None);
        var instance = type.GetMembers("OnRedefined").OfType<IMethodSymbol>().Where(m => m.Parameters.Any(p => IsContext(p.Type))).ToList();
        var statics = type.GetMembers("Migrate").OfType<IMethodSymbol>().Where(m => m.Parameters.Any(p => IsContext(p.Type))).ToList();
        var found = HookKind.None;
        foreach (var method in instance)
        {
            if (!method.IsStatic && method.ReturnsVoid && Plain(method) && method.Parameters.Length == 1) { found = HookKind.Instance; continue; }
            refusals.Add(new RefusedEdit(typeName, "OnRedefined", "the migration hook must be an instance method `void OnRedefined(MigrationContext ctx)`"));
        }
        foreach (var method in statics)
        {
            if (method.IsStatic && Plain(method) && method.Parameters.Length == 2 && SymbolEqualityComparer.Default.Equals(method.ReturnType, type)
                && SymbolEqualityComparer.Default.Equals(method.Parameters[0].Type, type) && IsContext(method.Parameters[1].Type))
            {
                if (found == HookKind.Instance)
                {
                    refusals.Add(new RefusedEdit(typeName, "Migrate", "declare one migration hook: OnRedefined or the static Migrate, not both"));
                }
                found = HookKind.Static;
                continue;
            }
            refusals.Add(new RefusedEdit(typeName, "Migrate", $"the static migration hook must be `static {type.Name} Migrate({type.Name} migrated, MigrationContext ctx)`"));
        }
        return found;
    }

    /// <summary>A new field the live instances can get no value for by themselves: MissingInitialValue, answered with restarts.</summary>
    private static FieldMigrationStep Missing(LayoutField field, string why) =>
        new(field.Name, field.MetadataName, ClrTypeNames.Of(field.Type), FieldSource.Missing, null, null, Conversion.Identity, null, CSharp(field.Type))
        {
            MissingBecause = why,
        };

    private static bool IsRequired(ISymbol declared) => declared is IFieldSymbol { IsRequired: true } or IPropertySymbol { IsRequired: true };

    /// <summary>A plan that migrates no instance field (only static ones).</summary>
    public static TypeMigrationPlan Empty(INamedTypeSymbol type) => new(
        ClrTypeNames.Of(type), type.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat),
        Array.Empty<FieldMigrationStep>(), Array.Empty<(string, string, string)>(), Array.Empty<ChangeWarning>(), Array.Empty<ISymbol>());

    /// <summary>
    /// Static fields that kept their name and changed their type: their one value converts by the
    /// tiers of instance fields (research/migration.md §7.7 "Statics"); a tier-3 change is refused.
    /// </summary>
    public static List<FieldMigrationStep> StaticSteps(INamedTypeSymbol oldType, INamedTypeSymbol newType, Microsoft.CodeAnalysis.CSharp.CSharpCompilation newCompilation, List<RefusedEdit> refusals,
        Func<string, string>? replaced = null)
    {
        var typeName = newType.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);
        var steps = new List<FieldMigrationStep>();
        foreach (var field in newType.GetMembers().OfType<IFieldSymbol>().Where(f => f.IsStatic && !f.IsConst && !f.IsImplicitlyDeclared))
        {
            var old = oldType.GetMembers(field.Name).OfType<IFieldSymbol>().FirstOrDefault(f => f.IsStatic && !f.IsConst);
            if (old is null || Same(old.Type, field.Type)) continue;
            var conversion = ConversionClassifier.Classify(old.Type, field.Type, newCompilation) ?? ByReplacement(old.Type, field.Type, replaced) ?? Conversion.None;
            steps.Add(new FieldMigrationStep(field.Name, field.Name, ClrTypeNames.Of(field.Type), FieldSource.OldField, old.Name, ClrTypeNames.Of(old.Type), conversion,
                null, CSharp(field.Type), CSharp(old.Type)));
        }
        return steps;
    }

    private static FieldMigrationStep Step(LayoutField field, FieldSource source, LayoutField old, Conversion conversion) =>
        new(field.Name, field.MetadataName, ClrTypeNames.Of(field.Type), source, old.MetadataName, ClrTypeNames.Of(old.Type), conversion,
            InitializerOf(field.Declared), CSharp(field.Type), CSharp(old.Type));

    private static readonly SymbolDisplayFormat CSharpFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.UseSpecialTypes | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    public static string CSharp(ITypeSymbol type) => type.ToDisplayString(CSharpFormat);

    /// <summary>Replace when the new type is the old one with replaced types substituted (a Player field of a type replaced by a new Player).</summary>
    private static Conversion? ByReplacement(ITypeSymbol old, ITypeSymbol now, Func<string, string>? replaced) =>
        replaced is not null && !Same(old, now) && replaced(ClrTypeNames.Of(old)) == ClrTypeNames.Of(now) ? Conversion.Replace : null;

    /// <summary>"parameter `x`" or "parameters `x`, `y`" when the member's initializer reads primary constructor parameters; else null.</summary>
    private static string? PrimaryParametersReadBy(ISymbol declared)
    {
        var used = AnyInitializerOf(declared) is { } init ? LiveTypeInjector.PrimaryParametersUsedBy(init.Item2) : [];
        return used.Count == 0 ? null : (used.Count == 1 ? "parameter " : "parameters ") + string.Join(", ", used.Select(u => $"`{u}`"));
    }

    /// <summary>The member's initializer, unless it reads primary constructor parameters (then it cannot run for an existing instance).</summary>
    private static (Microsoft.CodeAnalysis.CSharp.Syntax.TypeSyntax, Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionSyntax)? InitializerOf(ISymbol declared) =>
        AnyInitializerOf(declared) is { } init && LiveTypeInjector.PrimaryParametersUsedBy(init.Item2).Count == 0 ? init : null;

    private static (Microsoft.CodeAnalysis.CSharp.Syntax.TypeSyntax, Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionSyntax)? AnyInitializerOf(ISymbol declared) =>
        declared.DeclaringSyntaxReferences.Select(r => r.GetSyntax()).Select(s => s switch
        {
            Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax { Initializer: { } init, Parent: Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclarationSyntax declaration }
                => ((Microsoft.CodeAnalysis.CSharp.Syntax.TypeSyntax, Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionSyntax)?)(declaration.Type, init.Value),
            Microsoft.CodeAnalysis.CSharp.Syntax.PropertyDeclarationSyntax { Initializer: { } init } property => (property.Type, init.Value),
            _ => null,
        }).FirstOrDefault(i => i is not null);

    private static bool Same(ITypeSymbol a, ITypeSymbol b) => ClrTypeNames.Of(a) == ClrTypeNames.Of(b);

    private static string Display(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat);
}
