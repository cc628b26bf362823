using System.Collections.ObjectModel;
using System.Reflection;
using NRepl.Runtime.Contract;

namespace NRepl.Runtime.Migration;

/// <summary>
/// The explicit migration hook of one migrating type (research/migration.md §7.6): <c>OnRedefined(ctx)</c>
/// on each instance, or the static <c>Migrate(migrated, ctx)</c> whose result's fields the instance takes.
/// It runs after the commit wrote the implicit values, once per instance. Each call is transactional per
/// instance, as SBCL restores an instance whose update hook unwinds: the instance's fields are copied
/// before the call and put back if it throws, so a failed instance holds exactly what the implicit rules
/// gave it. The instances it failed for are kept for <see cref="Retry"/>.
/// </summary>
internal sealed class MigrationHook
{
    private readonly TypeMigration _migration;
    private readonly Type _type;
    private readonly (string Name, FieldInfo Field)[] _oldFields;
    private readonly ReadOnlyCollection<string> _added;
    private MethodInfo? _method;
    private List<object> _failing = [];

    // Every instance field of a runtime type and its bases, for the per-instance copy and restore; found
    // again at each bind, since a delta may have added fields.
    private Dictionary<Type, FieldInfo[]> _fieldsByType = [];

    private MigrationHook(TypeMigration migration, Type type, (string, FieldInfo)[] oldFields)
    {
        _migration = migration;
        _type = type;
        _oldFields = oldFields;
        _added = migration.Steps.Where(s => s.Source != FieldSource.OldField).Select(s => InstanceFields.DisplayName(s.NewField.Name)).ToList().AsReadOnly();
    }

    /// <summary>The hook's name as the user wrote it.</summary>
    public string Name => _migration.Hook == HookKind.Static ? "Migrate" : "OnRedefined";

    /// <summary>How many instances the last run failed for.</summary>
    public int FailingCount => _failing.Count;

    /// <summary>
    /// Before the commit's delta: notes the type's current fields, which become the hook's
    /// <see cref="MigrationContext.Old"/> view (their storage keeps the old values: a retyped field is a new field).
    /// Null when the new version declares no hook.
    /// </summary>
    public static MigrationHook? Plan(TypeMigration migration, Type type)
    {
        if (migration.Hook == HookKind.None) return null;
        var old = new Dictionary<string, FieldInfo>(StringComparer.Ordinal);
        for (var current = type; current is not null && current != typeof(object); current = current.BaseType)
        {
            foreach (var field in current.GetFields(InstanceFields.DeclaredInstance))
            {
                // A retyped or re-added field leaves older fields of the same name behind: the newest is the live one.
                var name = InstanceFields.DisplayName(field.Name);
                if (!old.TryGetValue(name, out var seen) || (seen.DeclaringType == field.DeclaringType && field.MetadataToken > seen.MetadataToken)) old[name] = field;
            }
        }
        return new MigrationHook(migration, type, [.. old.Select(p => (p.Key, p.Value))]);
    }

    /// <summary>After the commit's delta: finds the hook method of the new version.</summary>
    public void Bind()
    {
        _method = _migration.Hook == HookKind.Static
            ? _type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                .Where(m => m.Name == "Migrate" && m.ReturnType == _type && Parameters(m) is [var self, var ctx] && self == _type && ctx == typeof(MigrationContext))
                .MaxBy(m => m.MetadataToken)
            : _type.GetMethods(InstanceFields.DeclaredInstance)
                .Where(m => m.Name == "OnRedefined" && m.ReturnType == typeof(void) && Parameters(m) is [var ctx] && ctx == typeof(MigrationContext))
                .MaxBy(m => m.MetadataToken);
        if (_method is null) throw new MigrationPlanException($"the hook {Name} of {_type} is not in the applied world");
        _fieldsByType = [];
    }

    /// <summary>Runs the hook on every instance; returns the failures, or null when it succeeded for all.</summary>
    public MigrationProblem? Run(IReadOnlyList<object> instances) => RunOn(instances);

    /// <summary>Runs the hook again on the instances it failed for last time (its code may have been redefined since).</summary>
    public MigrationProblem? Retry()
    {
        // A retry after the hook was redefined calls the newest body: find it again.
        Bind();
        return RunOn(_failing);
    }

    /// <summary>Forgets the instances it failed for: they keep the values of the implicit rules (skip-instance).</summary>
    public void Skip() => _failing = [];

    private MigrationProblem? RunOn(IReadOnlyList<object> instances)
    {
        var method = _method ?? throw new InvalidOperationException("Bind the hook before running it.");
        var problems = new ProblemCollector(_migration.TypeName, Name, "MigrationHookFailed");
        var failing = new List<object>();
        for (var i = 0; i < instances.Count; i++)
        {
            var instance = instances[i];
            if (!_fieldsByType.TryGetValue(instance.GetType(), out var fields)) _fieldsByType[instance.GetType()] = fields = InstanceFields.All(instance.GetType());
            var saved = new object?[fields.Length];
            for (var f = 0; f < fields.Length; f++) saved[f] = fields[f].GetValue(instance);
            try
            {
                Invoke(method, instance, Context(instance), fields);
            }
            catch (Exception e)
            {
                for (var f = 0; f < fields.Length; f++) fields[f].SetValue(instance, saved[f]);
                failing.Add(instance);
                problems.Fail(i, instance, e is TargetInvocationException { InnerException: { } inner } ? inner : e, null);
            }
        }
        _failing = failing;
        return problems.Count == 0 ? null : problems.ToProblem();
    }

    private void Invoke(MethodInfo method, object instance, MigrationContext context, FieldInfo[] fields)
    {
        if (_migration.Hook == HookKind.Instance)
        {
            method.Invoke(instance, BindingFlags.DoNotWrapExceptions, null, [context], null);
            return;
        }
        var result = method.Invoke(null, BindingFlags.DoNotWrapExceptions, null, [instance, context], null)
            ?? throw new InvalidOperationException($"{_type.Name}.Migrate returned null; return the instance, or a copy (e.g. with `with`) holding its new values.");
        if (ReferenceEquals(result, instance)) return;
        if (result.GetType() != instance.GetType())
        {
            throw new InvalidOperationException($"{_type.Name}.Migrate returned a {result.GetType().Name} for a {instance.GetType().Name}; the live instance can only take the fields of an object of its own type.");
        }
        // The live instance keeps its identity (every reference to it stays valid) and takes the copy's values.
        foreach (var field in fields) field.SetValue(instance, field.GetValue(result));
    }

    private MigrationContext Context(object instance)
    {
        var old = new Dictionary<string, object?>(_oldFields.Length, StringComparer.Ordinal);
        foreach (var (name, field) in _oldFields) old[name] = field.GetValue(instance);
        return new MigrationContext(_type, _migration.FromVersion, _migration.ToVersion, _added, old.AsReadOnly(), DiscardedValues.Of(instance));
    }

    private static Type[] Parameters(MethodInfo method) => [.. method.GetParameters().Select(p => p.ParameterType)];
}
