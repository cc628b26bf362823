using Microsoft.CodeAnalysis;
using NRepl.Runtime.Contract;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NRepl.Server.World.Migration;
using NRepl.Server.World.Model;
using NRepl.Server.World.Parsing;
using NRepl.Server.World.Rendering;

namespace NRepl.Server.World.Edits;

/// <summary>A definition before and after a compile (null: added, or removed by load-file).</summary>
internal sealed record DefinitionChange(DefinitionEntry? Old, DefinitionEntry? New);

/// <summary>
/// Turns changed definitions into EnC edits. Raw EmitDifference validates nothing and accepts some
/// layout changes with silently wrong results (research/dotnet-hotswap.md §C5), so every change is
/// classified here first: body changes and new members are deltas; a changed signature is a delete
/// plus insert with every caller recompiled in the same delta; changes that need instance migration
/// or cannot be made in place are refused, naming the type and member.
/// </summary>
internal sealed class EditPlanner
{
    private readonly WorldSnapshot _old;
    private readonly CSharpCompilation _new;
    private readonly EditPlan _plan = new();
    private readonly HashSet<string> _changedIdentities = new(StringComparer.Ordinal);

    private readonly IReadOnlySet<string> _noRenameInference;
    private readonly bool _reverting;

    // replace-type: old CLR name -> new CLR name of the types replaced in this change.
    private readonly Dictionary<string, string> _replacements = new(StringComparer.Ordinal);

    // Variables whose type changed only because a type they name was replaced: their values carry over.
    private readonly List<(IFieldSymbol Old, IFieldSymbol New)> _carriedState = new();

    private EditPlanner(WorldSnapshot old, CSharpCompilation candidate, IReadOnlySet<string>? noRenameInference, bool reverting)
    {
        _old = old;
        _new = candidate;
        _noRenameInference = noRenameInference ?? new HashSet<string>();
        _reverting = reverting;
    }

    /// <param name="noRenameInference">Types whose single removed-and-added field pair the user said is not a rename.</param>
    /// <param name="reverting">The change puts back the previous definitions after an aborted redefinition (see <see cref="MigrationPlanner.Plan"/>).</param>
    public static EditPlan Plan(WorldSnapshot old, CSharpCompilation candidate, IEnumerable<DefinitionChange> changes,
        IReadOnlyDictionary<string, DefinitionEntry> candidateDefinitions, IEnumerable<SyntaxTree> newHolders, IMethodSymbol? evalMethod,
        IReadOnlySet<string>? noRenameInference = null, bool reverting = false)
    {
        var planner = new EditPlanner(old, candidate, noRenameInference, reverting);
        var all = changes.ToList();
        planner.FindReplacements(all);
        foreach (var holder in newHolders)
        {
            planner._plan.Insert(HolderType(candidate, holder).Symbol);
        }
        foreach (var change in all)
        {
            planner.PlanDefinition(change);
        }
        planner.PlanDependents(candidateDefinitions);
        planner.PlanCarriedState();
        if (evalMethod is not null) planner._plan.Insert(evalMethod);
        return planner._plan;
    }

    private void PlanDefinition(DefinitionChange change)
    {
        var kind = (change.New ?? change.Old)!.Definition.Kind;
        switch (kind)
        {
            case DefinitionKind.Member:
                PlanHolderMembers(change.Old?.Tree, change.New?.Tree, change.New?.Definition.Ns ?? change.Old!.Definition.Ns);
                break;
            case DefinitionKind.State:
                PlanState(change);
                break;
            case DefinitionKind.Type:
                PlanTypeDefinition(change);
                break;
        }
    }

    // ---- functions, properties, constants of a namespace's holder ---------------------------

    private void PlanHolderMembers(SyntaxTree? oldTree, SyntaxTree? newTree, string ns)
    {
        var oldMembers = oldTree is null ? new List<(SyntaxNode, ISymbol)>() : HolderMembers(_old.Compilation, oldTree);
        var newMembers = newTree is null ? new List<(SyntaxNode, ISymbol)>() : HolderMembers(_new, newTree);
        var newHolder = _new.GetTypeByMetadataName(ns + "." + WorldNames.Holder)!;

        foreach (var (newNode, newSymbol) in newMembers)
        {
            var match = oldMembers.FirstOrDefault(o => SymbolSignatures.Of(o.Item2) == SymbolSignatures.Of(newSymbol));
            if (match.Item2 is null)
            {
                _plan.Insert(newSymbol);
                if (oldMembers.Any(o => o.Item2.Name == newSymbol.Name)) _changedIdentities.Add(newSymbol.Name);
                continue;
            }
            UpdateMember(match.Item2, newSymbol, match.Item1, newNode, match.Item1, newNode, force: false, typeName: ns);
        }

        foreach (var (_, oldSymbol) in oldMembers)
        {
            if (newMembers.Any(n => SymbolSignatures.Of(n.Item2) == SymbolSignatures.Of(oldSymbol))) continue;
            if (oldSymbol is IMethodSymbol or IPropertySymbol or IEventSymbol) _plan.Delete(oldSymbol, newHolder);
            _changedIdentities.Add(oldSymbol.Name);
        }
    }

    private void PlanState(DefinitionChange change)
    {
        if (change.New is null) return; // the field stays in metadata, unreachable from source
        var newField = (IFieldSymbol)HolderMembers(_new, change.New.Tree).Single().Item2;
        if (change.Old is null)
        {
            _plan.Insert(newField);
            return;
        }
        var oldField = (IFieldSymbol)HolderMembers(_old.Compilation, change.Old.Tree).Single().Item2;
        if (SymbolSignatures.TypeOf(oldField.Type) != SymbolSignatures.TypeOf(newField.Type))
        {
            // A new field of the new type; the old one keeps its value in metadata, and every
            // piece of code that names the variable is recompiled against the new field.
            _plan.Insert(newField);
            _changedIdentities.Add(newField.Name);
            // Not declared again, only retyped by a replacement: the value moves to the new field.
            if (change.Old.Definition.Origin == change.New.Definition.Origin && Replaced(ClrTypeNames.Of(oldField.Type)) == ClrTypeNames.Of(newField.Type))
            {
                _carriedState.Add((oldField, newField));
            }
        }
    }

    // ---- types --------------------------------------------------------------------------------

    private void PlanTypeDefinition(DefinitionChange change)
    {
        if (change.New is null) return; // a type cannot be deleted from a live assembly; it just leaves the source
        var (newDecl, newType) = DeclaredType(_new, change.New.Tree);
        var replaced = change.Old is not null && change.Old.Definition.ReplacedInto != change.New.Definition.ReplacedInto;
        if (change.Old is null || replaced)
        {
            // A new type, or the new type replacing an old one (which just leaves the source). When the
            // helpers generation of a replacement already added it, this generation plans against that copy.
            var staged = newType.ContainingType is null ? _old.Compilation.GetTypeByMetadataName(MetadataNameOf(newType)) : null;
            if (staged is not null && DeclarationOf(staged) is { } stagedDecl) PlanType(staged, newType, stagedDecl, newDecl);
            else _plan.Insert(newType);
            if (replaced)
            {
                _changedIdentities.Add(newType.Name);
                _plan.StagedTypeTrees.Add(change.New.Tree);
            }
            else if (_replacements.Count > 0)
            {
                _plan.StagedTypeTrees.Add(change.New.Tree); // the replacing type may use it
            }
            return;
        }
        var (oldDecl, oldType) = DeclaredType(_old.Compilation, change.Old.Tree);
        PlanType(oldType, newType, oldDecl, newDecl, replaceableKey: change.New.Definition.Key);
    }

    /// <summary>The types this change replaces (their definition moved into a namespace of its own), before anything is planned.</summary>
    private void FindReplacements(List<DefinitionChange> changes)
    {
        foreach (var change in changes)
        {
            if (change is not { Old: { } old, New: { } now } || now.Definition.Kind != DefinitionKind.Type || old.Definition.ReplacedInto == now.Definition.ReplacedInto) continue;
            // Definitions by metadata name (Crate`1, not Crate`1[T]): a generic type's instances are of its constructed types.
            var oldName = MetadataNameOf(DeclaredType(_old.Compilation, old.Tree).Symbol);
            var newName = MetadataNameOf(DeclaredType(_new, now.Tree).Symbol);
            _replacements[oldName] = newName;
            _plan.Replacements.Add(new NRepl.Runtime.Contract.TypeReplacement(oldName, newName, _old.ShapeVersionOf(oldName)));
        }
    }

    /// <summary>
    /// Variables (static fields of a namespace's holder) whose type named a replaced type keep their values:
    /// a static step of the holder converts each through the replacement.
    /// </summary>
    private void PlanCarriedState()
    {
        foreach (var group in _carriedState.GroupBy(s => s.New.ContainingType, SymbolEqualityComparer.Default))
        {
            var holder = (INamedTypeSymbol)group.Key!;
            var steps = group.Select(s => new FieldMigrationStep(s.New.Name, s.New.Name, ClrTypeNames.Of(s.New.Type), FieldSource.OldField,
                s.Old.Name, ClrTypeNames.Of(s.Old.Type), NRepl.Runtime.Contract.Conversion.Replace, null, MigrationPlanner.CSharp(s.New.Type), MigrationPlanner.CSharp(s.Old.Type))).ToList();
            _plan.Migrations.Add(MigrationPlanner.Empty(holder) with { StaticSteps = steps, DisplayName = "variables of " + holder.ContainingNamespace.ToDisplayString() });
        }
    }

    /// <param name="replaceableKey">The definition's key when the type could be replaced by a new one (a top-level class or record).</param>
    private void PlanType(INamedTypeSymbol oldType, INamedTypeSymbol newType, SyntaxNode oldDecl, SyntaxNode newDecl, string? replaceableKey = null)
    {
        var typeName = newType.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);
        var before = _plan.Refusals.Count;
        var shapesBefore = _plan.ShapeChanges.Count;
        var replaceable = replaceableKey is not null && !_reverting && oldType.ContainingType is null
            && oldType.TypeKind is TypeKind.Class or TypeKind.Struct && newType.TypeKind is TypeKind.Class or TypeKind.Struct;
        var shapeKey = replaceable ? replaceableKey : null;
        CheckShape(oldType, newType, typeName, shapeKey);
        if (_plan.ShapeChanges.Count > shapesBefore) return; // the user decides first: nothing else of the type matters yet
        CheckConstants(oldType, newType, typeName);
        var staticSteps = MigrationPlanner.StaticSteps(oldType, newType, _new, _plan.Refusals, Replaced);
        if (_plan.Refusals.Count > before) return;
        var migrating = LayoutChanged(oldType, newType) || staticSteps.Count > 0;
        if (migrating)
        {
            // In the rendered tree a registering base is already there, possibly further up the chain.
            var tracked = !newType.IsGenericType
                && (HasRegisteringAncestor(newType) || (newDecl is TypeDeclarationSyntax declaration && LiveTypeInjector.IsTrackable(declaration)));
            TypeMigrationPlan? migration = null;
            if (tracked)
            {
                migration = MigrationPlanner.Plan(oldType, newType, _new, _plan.Refusals, inferRenames: !_reverting && !_noRenameInference.Contains(ClrTypeNames.Of(newType)), reverting: _reverting,
                    replaced: Replaced);
            }
            else if (LayoutChanged(oldType, newType))
            {
                // Its instances cannot be found to migrate them in place; replace-type finds them through the world's variables.
                RefuseLayoutChange(oldType, newType, typeName, UntrackedReason(newType), shapeKey);
                if (shapeKey is not null) return;
            }
            if (_plan.Refusals.Count > before) return;
            if (staticSteps.Count > 0)
            {
                migration = (migration ?? MigrationPlanner.Empty(newType)) with { StaticSteps = staticSteps };
                foreach (var step in staticSteps) _changedIdentities.Add(step.DisplayName);
            }
            if (migration is not null)
            {
                _plan.Migrations.Add(migration);
                foreach (var symbol in migration.Inserts) _plan.Insert(symbol);
                foreach (var step in migration.StaticSteps) _plan.Insert(newType.GetMembers(step.DisplayName).OfType<IFieldSymbol>().First(f => f.IsStatic));
            }
            foreach (var field in InstanceLayout.Of(oldType).Keys.Except(InstanceLayout.Of(newType).Keys)) _changedIdentities.Add(field);
        }

        var initializersChanged = InstanceInitializers(oldType) != InstanceInitializers(newType);
        if (initializersChanged) WarnInitializersNotRerun(oldType, newType, typeName);
        var oldMembers = oldType.GetMembers().Where(IsEditableMember).ToList();
        var newMembers = newType.GetMembers().Where(IsEditableMember).ToList();

        foreach (var newMember in newMembers)
        {
            var oldMember = oldMembers.FirstOrDefault(o => SymbolSignatures.Of(o) == SymbolSignatures.Of(newMember));
            if (oldMember is null)
            {
                if (newMember.IsImplicitlyDeclared) continue;
                PlanAddedTypeMember(newType, newMember, typeName, shapeKey);
                continue;
            }
            // A record's synthesized members and a class's implicit constructor (which runs the field
            // initializers) belong to the type's declaration.
            var byDeclaration = newType.IsRecord || newMember is IMethodSymbol { MethodKind: MethodKind.Constructor, IsImplicitlyDeclared: true };
            var oldNode = DeclarationOf(oldMember) ?? (byDeclaration ? oldDecl : null);
            var newNode = DeclarationOf(newMember) ?? (byDeclaration ? newDecl : null);
            if (oldNode is null || newNode is null) continue;
            var declaredByType = newNode == newDecl || newMember.IsImplicitlyDeclared;
            // After a layout change every body is recompiled: unchanged code still names the old
            // field tokens (a constructor would go on writing the old `int Hp`). A record's
            // synthesized members (ToString's PrintMembers, Equals, GetHashCode, the copy
            // constructor) list its fields, so they are recompiled too (research/enc-edits.md §5).
            var force = (migrating && (newType.IsRecord || (!newMember.IsImplicitlyDeclared && newNode != newDecl)))
                || ((initializersChanged || migrating) && newMember is IMethodSymbol { MethodKind: MethodKind.Constructor } ctor && !ChainsToThis(ctor));
            if (declaredByType && !force) continue;
            UpdateMember(oldMember, newMember, oldDecl, newDecl, oldNode, newNode, force, typeName);
        }

        foreach (var oldMember in oldMembers)
        {
            if (oldMember.IsImplicitlyDeclared) continue;
            if (newMembers.Any(n => SymbolSignatures.Of(n) == SymbolSignatures.Of(oldMember))) continue;
            if (oldMember is IFieldSymbol { IsStatic: true }) continue; // stays in metadata
            if (oldMember is IMethodSymbol or IPropertySymbol or IEventSymbol) _plan.Delete(oldMember, newType);
            _changedIdentities.Add(oldMember.Name);
        }

        foreach (var newNested in newType.GetTypeMembers())
        {
            var oldNested = oldType.GetTypeMembers(newNested.Name, newNested.Arity).FirstOrDefault();
            if (oldNested is null) { _plan.Insert(newNested); continue; }
            var oldNestedDecl = DeclarationOf(oldNested);
            var newNestedDecl = DeclarationOf(newNested);
            if (oldNestedDecl is not null && newNestedDecl is not null) PlanType(oldNested, newNested, oldNestedDecl, newNestedDecl);
        }
    }

    private void PlanAddedTypeMember(INamedTypeSymbol type, ISymbol member, string typeName, string? shapeKey)
    {
        switch (member)
        {
            case IFieldSymbol { IsStatic: true, IsConst: false } field when HasInitializer(field):
                // EnC never runs an added static field's initializer (research/enc-edits.md §8):
                // the target calls the field's hidden helper once after applying the delta. A
                // retyped static keeps its converted value instead (the migration writes it).
                _plan.Insert(field);
                if (!_plan.Migrations.Any(m => m.StaticSteps.Any(s => s.DisplayName == field.Name) && m.TypeName == Migration.ClrTypeNames.Of(type)))
                {
                    _plan.StaticInitializers.Add(LiveTypeInjector.InitializerHelperName(field.Name));
                }
                return;
            case IMethodSymbol or IPropertySymbol or IEventSymbol when type.IsGenericType:
                // Inserting into an already-instantiated generic type crashed the process (research/enc-edits.md §3).
                if (shapeKey is not null) _plan.ShapeChanges.Add(new ShapeChange(shapeKey, typeName, "members cannot be added to a live generic type"));
                else Refuse(typeName, member.Name, "members cannot be added to a live generic type");
                return;
        }
        _plan.Insert(member);
    }

    /// <param name="replaceableKey">Set when replace-type could make the change: shape changes are then offered to the user (IncompatibleShapeChange) rather than refused.</param>
    private void CheckShape(INamedTypeSymbol oldType, INamedTypeSymbol newType, string typeName, string? replaceableKey)
    {
        void Shape(string reason)
        {
            if (replaceableKey is not null) _plan.ShapeChanges.Add(new ShapeChange(replaceableKey, typeName, reason));
            else Refuse(typeName, null, reason);
        }
        if (oldType.TypeKind != newType.TypeKind || oldType.IsRecord != newType.IsRecord)
        {
            Shape($"changing a {Describe(oldType)} into a {Describe(newType)} cannot be applied to a live type");
        }
        if (oldType.Arity != newType.Arity)
        {
            Refuse(typeName, null, "the number of type parameters of a live type cannot change");
        }
        if (oldType.IsAbstract != newType.IsAbstract || oldType.IsSealed != newType.IsSealed || oldType.IsStatic != newType.IsStatic)
        {
            Shape("abstract, sealed and static cannot be changed on a live type");
        }
        if (Display(oldType.BaseType) != Display(newType.BaseType))
        {
            var (was, now) = (VisibleBase(oldType), VisibleBase(newType));
            Shape(was != now
                ? $"the base type cannot change on a live type (was {was}, now {now})"
                : "the base type cannot change on a live type (a type that declares no base list gets a hidden base that tracks its instances, so adding or removing the base list changes it)");
        }
        var oldInterfaces = oldType.Interfaces.Select(Display).OrderBy(s => s, StringComparer.Ordinal);
        var newInterfaces = newType.Interfaces.Select(Display).OrderBy(s => s, StringComparer.Ordinal);
        if (!oldInterfaces.SequenceEqual(newInterfaces))
        {
            Shape("the implemented interfaces cannot change on a live type");
        }
        if (oldType.TypeKind == TypeKind.Enum)
        {
            var oldValues = EnumMembers(oldType);
            var newValues = EnumMembers(newType);
            if (oldValues != newValues || Display(oldType.EnumUnderlyingType) != Display(newType.EnumUnderlyingType))
            {
                Refuse(typeName, null, "the members of a live enum cannot change (their values are compiled into every use)");
            }
        }
        if (oldType.TypeKind == TypeKind.Delegate
            && SymbolSignatures.Of(oldType.DelegateInvokeMethod!) != SymbolSignatures.Of(newType.DelegateInvokeMethod!))
        {
            Refuse(typeName, null, "the signature of a live delegate type cannot change");
        }
    }

    private static bool LayoutChanged(INamedTypeSymbol oldType, INamedTypeSymbol newType)
    {
        var oldFields = InstanceLayout.Of(oldType);
        var newFields = InstanceLayout.Of(newType);
        return oldFields.Count != newFields.Count
            || oldFields.Any(kv => !newFields.TryGetValue(kv.Key, out var now)
                || ClrTypeNames.Of(now.Type) != ClrTypeNames.Of(kv.Value.Type)
                || now.MetadataName != kv.Value.MetadataName);
    }

    private static bool HasRegisteringAncestor(INamedTypeSymbol type)
    {
        for (var t = type.BaseType; t is not null; t = t.BaseType)
        {
            var name = "global::" + t.ToDisplayString();
            if (name is LiveTypeInjector.ClassBase or LiveTypeInjector.RecordBase) return true;
        }
        return false;
    }

    private static string UntrackedReason(INamedTypeSymbol type) => type switch
    {
        { TypeKind: TypeKind.Struct } => "a struct's instances are values, not tracked objects",
        { IsGenericType: true } => "instances of generic types are not tracked yet",
        { IsRecord: true } => "instances of records that declare a base or interfaces are not tracked yet, unless the base is a world record",
        _ => "instances of classes with both a primary constructor and a base list are not tracked yet, unless the base is a world class",
    };

    /// <param name="shapeKey">Set when replace-type could make the change: each point becomes part of an IncompatibleShapeChange instead of a refusal.</param>
    private void RefuseLayoutChange(INamedTypeSymbol oldType, INamedTypeSymbol newType, string typeName, string reason, string? shapeKey = null)
    {
        void Report(string member, string text)
        {
            if (shapeKey is not null) _plan.ShapeChanges.Add(new ShapeChange(shapeKey, typeName, $"{typeName}.{member}: {text}"));
            else Refuse(typeName, member, text + "; the type was left unchanged");
        }
        var oldFields = InstanceLayout.Of(oldType);
        var newFields = InstanceLayout.Of(newType);
        foreach (var (name, field) in newFields)
        {
            if (!oldFields.TryGetValue(name, out var old))
            {
                Report(name, $"adding an instance field ({Display(field.Type)}) needs its live instances migrated, and {reason}");
            }
            else if (ClrTypeNames.Of(old.Type) != ClrTypeNames.Of(field.Type))
            {
                Report(name, $"changing an instance field from {Display(old.Type)} to {Display(field.Type)} needs its live instances migrated, and {reason}");
            }
        }
        foreach (var (name, field) in oldFields)
        {
            if (!newFields.ContainsKey(name))
            {
                Report(name, $"removing an instance field ({Display(field.Type)}) needs its live instances migrated, and {reason}");
            }
        }
    }

    private void CheckConstants(INamedTypeSymbol oldType, INamedTypeSymbol newType, string typeName)
    {
        foreach (var newConst in newType.GetMembers().OfType<IFieldSymbol>().Where(f => f.IsConst))
        {
            var oldConst = oldType.GetMembers(newConst.Name).OfType<IFieldSymbol>().FirstOrDefault(f => f.IsConst);
            if (oldConst is not null && !Equals(oldConst.ConstantValue, newConst.ConstantValue))
            {
                Refuse(typeName, newConst.Name, "a constant's value is compiled into every use and cannot change in a live type; use a static readonly field");
            }
        }
    }

    // ---- shared member handling -------------------------------------------------------------

    private void UpdateMember(ISymbol oldSymbol, ISymbol newSymbol, SyntaxNode oldRoot, SyntaxNode newRoot,
        SyntaxNode oldNode, SyntaxNode newNode, bool force, string typeName)
    {
        var changed = force || oldNode.ToFullString() != newNode.ToFullString();
        if (!changed) return;
        switch (newSymbol)
        {
            case IMethodSymbol method:
                _plan.Update(oldSymbol, method, MapFor(oldRoot, newRoot, newNode));
                break;
            case IPropertySymbol property:
                var oldProperty = (IPropertySymbol)oldSymbol;
                if ((oldProperty.GetMethod is null) != (property.GetMethod is null) || (oldProperty.SetMethod is null) != (property.SetMethod is null))
                {
                    _plan.Delete(oldProperty, newSymbol.ContainingType);
                    _plan.Insert(property);
                    _changedIdentities.Add(property.Name);
                    break;
                }
                if (property.GetMethod is { } getter) _plan.Update(oldProperty.GetMethod!, getter, MapFor(oldRoot, newRoot, newNode));
                if (property.SetMethod is { } setter) _plan.Update(oldProperty.SetMethod!, setter, MapFor(oldRoot, newRoot, newNode));
                break;
            case IEventSymbol evt:
                var oldEvent = (IEventSymbol)oldSymbol;
                if (evt.AddMethod is { } add && oldEvent.AddMethod is { } oldAdd) _plan.Update(oldAdd, add, MapFor(oldRoot, newRoot, newNode));
                if (evt.RemoveMethod is { } remove && oldEvent.RemoveMethod is { } oldRemove) _plan.Update(oldRemove, remove, MapFor(oldRoot, newRoot, newNode));
                break;
            case IFieldSymbol { IsConst: true } constant when !Equals(((IFieldSymbol)oldSymbol).ConstantValue, constant.ConstantValue):
                Refuse(typeName, constant.Name, "a constant's value is compiled into every use and cannot change live; use a static readonly field or a property");
                break;
        }
    }

    private static Func<SyntaxNode, SyntaxNode?>? MapFor(SyntaxNode oldRoot, SyntaxNode newRoot, SyntaxNode newNode) =>
        SyntaxMapper.NeedsMap(newRoot == newNode ? newNode : newRoot) ? SyntaxMapper.Create(oldRoot, newRoot) : null;

    // ---- callers of changed identities ------------------------------------------------------

    private void PlanDependents(IReadOnlyDictionary<string, DefinitionEntry> candidateDefinitions)
    {
        if (_changedIdentities.Count == 0) return;
        // A method whose signature names a replaced type is a new method, so its callers are dependents too: repeat until none is added.
        var more = true;
        while (more)
        {
            more = false;
            foreach (var (key, entry) in candidateDefinitions)
            {
                if (!_old.Definitions.TryGetValue(key, out var oldEntry)) continue;
                var newRoot = entry.Tree.GetRoot();
                if (!newRoot.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken) && _changedIdentities.Contains(t.ValueText))) continue;
                _plan.DependentTrees.Add(entry.Tree);

                var newModel = _new.GetSemanticModel(entry.Tree);
                var oldModel = _old.Compilation.GetSemanticModel(oldEntry.Tree);
                var oldBodies = BodiedMembers(oldEntry.Tree.GetRoot(), oldModel)
                    .ToDictionary(b => SymbolSignatures.Of(b.Symbol), b => b);
                foreach (var body in BodiedMembers(newRoot, newModel))
                {
                    if (!body.Node.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken) && _changedIdentities.Contains(t.ValueText))) continue;
                    if (_plan.IsEdited(body.Symbol)) continue;
                    if (oldBodies.TryGetValue(SymbolSignatures.Of(body.Symbol), out var old))
                    {
                        _plan.Update(old.Symbol, body.Symbol, SyntaxMapper.NeedsMap(body.Node) ? SyntaxMapper.Create(old.Root, body.Root) : null);
                    }
                    else if (_replacements.Count > 0 && oldBodies.Values.FirstOrDefault(o => SameShape(o.Symbol, body.Symbol)) is { } previous)
                    {
                        more |= ReplaceSignature(previous.Symbol, body.Symbol);
                    }
                }
            }
        }
    }

    /// <summary>The method keeps its name and parameter names; only types in its signature changed (a replaced type).</summary>
    private static bool SameShape(IMethodSymbol old, IMethodSymbol now) =>
        old.Name == now.Name && old.MethodKind == now.MethodKind && old.Parameters.Length == now.Parameters.Length
        && old.Parameters.Select(p => p.Name).SequenceEqual(now.Parameters.Select(p => p.Name));

    /// <summary>A method whose signature names a replaced type: deleted and inserted anew; true when its callers must be recompiled.</summary>
    private bool ReplaceSignature(IMethodSymbol old, IMethodSymbol now)
    {
        if (now.MethodKind is not (MethodKind.Ordinary or MethodKind.Constructor))
        {
            Refuse(now.ContainingType.Name, now.Name, "its signature names a replaced type; only methods and constructors can change their signature live: redefine it");
            return false;
        }
        _plan.Delete(old, now.ContainingType);
        _plan.Insert(now);
        return _changedIdentities.Add(now.MethodKind == MethodKind.Constructor ? now.ContainingType.Name : now.Name);
    }

    private sealed record BodiedMember(SyntaxNode Node, SyntaxNode Root, IMethodSymbol Symbol);

    /// <summary>Every method-like declaration with code in a definition tree, with the top-level declaration it sits in (the syntax-map root).</summary>
    private static IEnumerable<BodiedMember> BodiedMembers(SyntaxNode treeRoot, SemanticModel model)
    {
        var ns = treeRoot.ChildNodes().OfType<BaseNamespaceDeclarationSyntax>().First();
        foreach (var top in ns.Members)
        {
            var roots = top is ClassDeclarationSyntax { Identifier.ValueText: WorldNames.Holder } holder
                ? holder.Members.Cast<SyntaxNode>()
                : new[] { (SyntaxNode)top };
            foreach (var root in roots)
            {
                foreach (var node in root.DescendantNodesAndSelf(n => n is not BlockSyntax and not ArrowExpressionClauseSyntax))
                {
                    var symbol = node switch
                    {
                        BaseMethodDeclarationSyntax or AccessorDeclarationSyntax => model.GetDeclaredSymbol(node) as IMethodSymbol,
                        PropertyDeclarationSyntax { ExpressionBody: not null } p => model.GetDeclaredSymbol(p)?.GetMethod,
                        IndexerDeclarationSyntax { ExpressionBody: not null } i => model.GetDeclaredSymbol(i)?.GetMethod,
                        _ => null,
                    };
                    if (symbol is not null) yield return new BodiedMember(node, root, symbol);
                }
            }
        }
    }

    // ---- lookups ------------------------------------------------------------------------------

    private static List<(SyntaxNode, ISymbol)> HolderMembers(CSharpCompilation compilation, SyntaxTree tree)
    {
        var model = compilation.GetSemanticModel(tree);
        var (holder, _) = HolderType(compilation, tree);
        var result = new List<(SyntaxNode, ISymbol)>();
        foreach (var member in holder.Members)
        {
            if (member is FieldDeclarationSyntax field)
            {
                foreach (var variable in field.Declaration.Variables)
                {
                    if (model.GetDeclaredSymbol(variable) is { } symbol) result.Add((member, symbol));
                }
            }
            else if (model.GetDeclaredSymbol(member) is { } symbol)
            {
                result.Add((member, symbol));
            }
        }
        return result;
    }

    private static (ClassDeclarationSyntax Node, INamedTypeSymbol Symbol) HolderType(CSharpCompilation compilation, SyntaxTree tree)
    {
        var ns = tree.GetRoot().ChildNodes().OfType<BaseNamespaceDeclarationSyntax>().First();
        var holder = ns.Members.OfType<ClassDeclarationSyntax>().First(c => c.Identifier.ValueText == WorldNames.Holder);
        return (holder, compilation.GetSemanticModel(tree).GetDeclaredSymbol(holder)!);
    }

    private static (SyntaxNode Node, INamedTypeSymbol Symbol) DeclaredType(CSharpCompilation compilation, SyntaxTree tree)
    {
        var ns = tree.GetRoot().ChildNodes().OfType<BaseNamespaceDeclarationSyntax>().First();
        var node = ns.Members.First(m => m is BaseTypeDeclarationSyntax or DelegateDeclarationSyntax);
        return (node, (INamedTypeSymbol)compilation.GetSemanticModel(tree).GetDeclaredSymbol(node)!);
    }

    private static SyntaxNode? DeclarationOf(ISymbol symbol) =>
        symbol.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax();

    private static bool IsEditableMember(ISymbol member) => member switch
    {
        IMethodSymbol m => m.MethodKind is MethodKind.Ordinary or MethodKind.Constructor or MethodKind.StaticConstructor
            or MethodKind.UserDefinedOperator or MethodKind.Conversion or MethodKind.Destructor or MethodKind.ExplicitInterfaceImplementation,
        IPropertySymbol or IEventSymbol => true,
        IFieldSymbol f => f.IsStatic && !f.IsImplicitlyDeclared, // instance fields are checked as the layout
        _ => false,
    };

    /// <summary>
    /// A changed initializer of a field that existed before applies to new instances only; live
    /// ones keep their values (research/migration.md §7.4: users were confused when this was silent).
    /// </summary>
    private void WarnInitializersNotRerun(INamedTypeSymbol oldType, INamedTypeSymbol newType, string typeName)
    {
        var oldFields = InstanceLayout.Of(oldType);
        foreach (var (name, field) in InstanceLayout.Of(newType))
        {
            if (!oldFields.TryGetValue(name, out var old) || ClrTypeNames.Of(old.Type) != ClrTypeNames.Of(field.Type)) continue;
            var before = InitializerText(old.Declared);
            var after = InitializerText(field.Declared);
            if (before != after && after is not null)
            {
                _plan.Warnings.Add(new ChangeWarning("InitializerNotRerun", ClrTypeNames.Of(newType), name,
                    $"InitializerNotRerun: {typeName}.{name} has a new initializer ({after}); it applies to new instances, the live ones keep their values."));
            }
        }
    }

    private static string? InitializerText(ISymbol member) => member.DeclaringSyntaxReferences.Select(r => r.GetSyntax() switch
    {
        VariableDeclaratorSyntax v => v.Initializer?.Value.ToString(),
        PropertyDeclarationSyntax p => p.Initializer?.Value.ToString(),
        _ => null,
    }).FirstOrDefault(text => text is not null);

    private static string InstanceInitializers(INamedTypeSymbol type) => string.Join("\n",
        type.GetMembers().Where(m => !m.IsStatic && m is IFieldSymbol or IPropertySymbol)
            .SelectMany(m => m.DeclaringSyntaxReferences)
            .Select(r => r.GetSyntax() switch
            {
                VariableDeclaratorSyntax v => v.Initializer?.ToString(),
                PropertyDeclarationSyntax p => p.Initializer?.ToString(),
                _ => null,
            })
            .Where(s => s is not null));

    private static bool HasInitializer(IFieldSymbol field) =>
        field.DeclaringSyntaxReferences.Select(r => r.GetSyntax()).OfType<VariableDeclaratorSyntax>().Any(v => v.Initializer is not null);

    private static bool ChainsToThis(IMethodSymbol ctor) =>
        ctor.DeclaringSyntaxReferences.Select(r => r.GetSyntax()).OfType<ConstructorDeclarationSyntax>()
            .Any(c => c.Initializer?.ThisOrBaseKeyword.IsKind(SyntaxKind.ThisKeyword) == true);

    private static string EnumMembers(INamedTypeSymbol type) => string.Join(",",
        type.GetMembers().OfType<IFieldSymbol>().Select(f => f.Name + "=" + f.ConstantValue));

    private static string Describe(INamedTypeSymbol type) => type.IsRecord
        ? (type.TypeKind == TypeKind.Struct ? "record struct" : "record")
        : type.TypeKind.ToString().ToLowerInvariant();

    /// <summary>The base as the user wrote it: the hidden registering base reads as object.</summary>
    private static string VisibleBase(INamedTypeSymbol type) =>
        "global::" + type.BaseType?.ToDisplayString() is LiveTypeInjector.ClassBase or LiveTypeInjector.RecordBase ? "object" : Display(type.BaseType);

    private static string Display(ITypeSymbol? type) => type?.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat) ?? "(none)";

    private void Refuse(string typeName, string? member, string reason) => _plan.Refusals.Add(new RefusedEdit(typeName, member, reason));

    /// <summary>A top-level type's metadata name: <c>user.Crate`1</c> (GetTypeByMetadataName and reflection's Assembly.GetType take it).</summary>
    private static string MetadataNameOf(INamedTypeSymbol type) => $"{type.ContainingNamespace.ToDisplayString()}.{type.MetadataName}";

    /// <summary>A CLR type name with the replaced types' names changed to their replacements' (e.g. in generic arguments).</summary>
    private string Replaced(string clrTypeName)
    {
        foreach (var (old, now) in _replacements)
        {
            clrTypeName = System.Text.RegularExpressions.Regex.Replace(clrTypeName, $@"(?<![\w.+]){System.Text.RegularExpressions.Regex.Escape(old)}(?![\w`])", now);
        }
        return clrTypeName;
    }
}
