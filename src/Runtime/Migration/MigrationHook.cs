using System.Collections.ObjectModel;
using System.Linq.Expressions;
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

    // Per runtime type: its fields, their compiled reader, and where the previous version's fields are
    // among them; found again at each bind, since a delta may have added fields.
    private Dictionary<Type, Layout> _layouts = [];
    private Action<object, MigrationContext>? _instanceHook;
    private Func<object, MigrationContext, object?>? _staticHook;

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
        _layouts = [];
        // A compiled call: MethodInfo.Invoke allocates and wraps exceptions on every one of possibly a million calls.
        var self = Expression.Parameter(typeof(object), "self");
        var context = Expression.Parameter(typeof(MigrationContext), "ctx");
        if (_migration.Hook == HookKind.Static)
        {
            var call = Expression.Call(_method, Expression.Convert(self, _type), context);
            _staticHook = Expression.Lambda<Func<object, MigrationContext, object?>>(Expression.Convert(call, typeof(object)), self, context).Compile();
        }
        else
        {
            _instanceHook = Expression.Lambda<Action<object, MigrationContext>>(Expression.Call(Expression.Convert(self, _method.DeclaringType!), _method, context), self, context).Compile();
        }
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
        if (_method is null) throw new InvalidOperationException("Bind the hook before running it.");
        var problems = new ProblemCollector(_migration.TypeName, Name, "MigrationHookFailed");
        var failing = new List<object>();
        for (var i = 0; i < instances.Count; i++)
        {
            var instance = instances[i];
            var layout = LayoutOf(instance.GetType());
            var saved = layout.Read(instance);
            try
            {
                Invoke(instance, new MigrationContext(_type, _migration.FromVersion, _migration.ToVersion, _added,
                    new OldFields(layout, saved), DiscardedValues.Of(instance)), layout);
            }
            catch (Exception e)
            {
                for (var f = 0; f < layout.Fields.Length; f++) layout.Fields[f].SetValue(instance, saved[f]);
                failing.Add(instance);
                problems.Fail(i, instance, e, null);
            }
        }
        _failing = failing;
        return problems.Count == 0 ? null : problems.ToProblem();
    }

    private void Invoke(object instance, MigrationContext context, Layout layout)
    {
        if (_instanceHook is { } hook)
        {
            hook(instance, context);
            return;
        }
        var result = _staticHook!(instance, context)
            ?? throw new InvalidOperationException($"{_type.Name}.Migrate returned null; return the instance, or a copy (e.g. with `with`) holding its new values.");
        if (ReferenceEquals(result, instance)) return;
        if (result.GetType() != instance.GetType())
        {
            throw new InvalidOperationException($"{_type.Name}.Migrate returned a {result.GetType().Name} for a {instance.GetType().Name}; the live instance can only take the fields of an object of its own type.");
        }
        // The live instance keeps its identity (every reference to it stays valid) and takes the copy's values.
        var values = layout.Read(result);
        for (var f = 0; f < layout.Fields.Length; f++) layout.Fields[f].SetValue(instance, values[f]);
    }

    private Layout LayoutOf(Type type)
    {
        if (_layouts.TryGetValue(type, out var layout)) return layout;
        var fields = InstanceFields.All(type);
        // The previous version's fields among them (FieldInfo objects differ once the reflection cache was cleared).
        var names = new List<string>();
        var indexes = new List<int>();
        foreach (var (name, old) in _oldFields)
        {
            var index = Array.FindIndex(fields, f => f.MetadataToken == old.MetadataToken && f.DeclaringType == old.DeclaringType);
            if (index < 0) continue;
            names.Add(name);
            indexes.Add(index);
        }
        return _layouts[type] = new Layout(fields, InstanceFields.Reader(type, fields), [.. names], [.. indexes]);
    }

    /// <summary>A runtime type's fields, their reader, and the previous version's fields (by name) among them.</summary>
    private sealed record Layout(FieldInfo[] Fields, Func<object, object?[]> Read, string[] OldNames, int[] OldIndexes);

    /// <summary><see cref="MigrationContext.Old"/>: the previous version's fields, read from the copy taken before the hook ran.</summary>
    private sealed class OldFields(Layout layout, object?[] values) : IReadOnlyDictionary<string, object?>
    {
        public object? this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"The previous version has no field {key}.");

        public IEnumerable<string> Keys => layout.OldNames;

        public IEnumerable<object?> Values => layout.OldIndexes.Select(i => values[i]);

        public int Count => layout.OldNames.Length;

        public bool ContainsKey(string key) => Array.IndexOf(layout.OldNames, key) >= 0;

        public bool TryGetValue(string key, out object? value)
        {
            var at = Array.IndexOf(layout.OldNames, key);
            value = at >= 0 ? values[layout.OldIndexes[at]] : null;
            return at >= 0;
        }

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() =>
            layout.OldNames.Select((name, i) => new KeyValuePair<string, object?>(name, values[layout.OldIndexes[i]])).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private static Type[] Parameters(MethodInfo method) => [.. method.GetParameters().Select(p => p.ParameterType)];
}
