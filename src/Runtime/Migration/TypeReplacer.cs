using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;
using NRepl.Runtime.Contract;

namespace NRepl.Runtime.Migration;

/// <summary>
/// replace-type (IncompatibleShapeChange): EnC cannot give a live type another base, other interfaces or
/// another kind, so the new definition is a new CLR type and the live instances move to it. The roots the
/// migration converts (variables and fields whose type names the replaced type) are walked from here: each
/// old instance becomes one new instance, once (two roots sharing an instance share its replacement, and
/// cycles close), its fields copied by name; arrays, lists, sets and dictionaries holding old instances are
/// rebuilt. The new objects are made at prepare but reachable only once the commit writes the roots, so an
/// abort leaves nothing behind. Old instances no root leads to keep their old type and code, and are counted.
/// </summary>
internal sealed class TypeReplacer
{
    private readonly Dictionary<Type, Type> _types;
    private readonly Dictionary<Type, int> _fromVersions = [];
    private readonly Dictionary<object, object> _replaced = new(ReferenceEqualityComparer.Instance);
    private readonly List<object> _created = [];
    private readonly Dictionary<Type, FieldInfo[]> _fields = [];
    private readonly Dictionary<Type, int> _moved = [];

    // Slots of a wider declared type (object, an interface) that hold a replaced instance, and its replacement.
    private readonly List<(Action<object?> Write, object? Value)> _slots = [];

    private TypeReplacer(Dictionary<Type, Type> types) => _types = types;

    /// <summary>The replacement of the migration being prepared or committed (migration steps run one at a time, on one thread).</summary>
    public static TypeReplacer? Current { get; set; }

    public static TypeReplacer Create(Assembly world, IEnumerable<TypeReplacement> replacements)
    {
        var types = new Dictionary<Type, Type>();
        foreach (var replacement in replacements)
        {
            var old = world.GetType(replacement.OldTypeName) ?? throw new MigrationPlanException($"replaced type {replacement.OldTypeName} is not in the world");
            var now = world.GetType(replacement.NewTypeName) ?? throw new MigrationPlanException($"replacing type {replacement.NewTypeName} is not in the world (the helpers generation adds it)");
            types[old] = now;
        }
        var replacer = new TypeReplacer(types);
        foreach (var replacement in replacements)
        {
            if (world.GetType(replacement.OldTypeName) is { } old) replacer._fromVersions[old] = replacement.FromVersion;
        }
        return replacer;
    }

    /// <summary>Called by the compiled conversions of <see cref="Conversion.Replace"/>.</summary>
    public static bool ConvertCurrent(object? value, Type target, out object? result)
    {
        var replacer = Current ?? throw new InvalidOperationException("No type replacement is being prepared.");
        return replacer.TryConvert(value, target, out result);
    }

    /// <summary>
    /// At prepare, after the typed conversions: walks everything the world's static fields and variables
    /// lead to (world objects' fields, arrays, lists and dictionary values, through any type) for slots
    /// whose declared type is wider than the replaced type (<c>object</c>, an interface, a base), which no
    /// typed conversion rewrites, and notes the replacement for each. Nothing is written.
    /// </summary>
    public void FindSlots(Assembly world)
    {
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<object>();
        void Visit(object? value, Type slotType, Action<object?> write)
        {
            if (value is null) return;
            if (Replacing(value.GetType()) is { } replacingType)
            {
                // A slot typed with the replaced type itself is retyped, and converted, by the typed plan.
                if (slotType.IsAssignableFrom(replacingType) && TryConvert(value, slotType, out var replacement)) _slots.Add((write, replacement));
                return;
            }
            if (!value.GetType().IsValueType && visited.Add(value)) pending.Push(value);
        }

        foreach (var type in WorldTypes(world))
        {
            foreach (var field in InstanceFields.Newest(type.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)))
            {
                if (field.IsLiteral || field.FieldType.IsPointer || field.FieldType.IsByRefLike) continue;
                var slot = field;
                Visit(field.GetValue(null), field.FieldType, v => slot.SetValue(null, v));
            }
        }
        foreach (var created in _created.Where(c => !c.GetType().IsValueType)) pending.Push(created);

        while (pending.TryPop(out var current))
        {
            try
            {
                Walk(current);
            }
            catch (InvalidOperationException)
            {
                // A collection another thread changed while it was walked: what it holds is not replaced.
            }
        }

        void Walk(object current)
        {
            var type = current.GetType();
            if (current is Array { Rank: 1 } array && !type.GetElementType()!.IsValueType)
            {
                for (var i = 0; i < array.Length; i++)
                {
                    var index = i;
                    Visit(array.GetValue(i), type.GetElementType()!, v => array.SetValue(v, index));
                }
            }
            else if (current is IList list && type.IsGenericType)
            {
                var element = type.GetGenericArguments()[0];
                for (var i = 0; i < list.Count; i++)
                {
                    var index = i;
                    Visit(list[i], element, v => list[index] = v);
                }
            }
            else if (current is IDictionary dictionary && type.IsGenericType && type.GetGenericArguments() is [var keyType, var valueType])
            {
                foreach (DictionaryEntry entry in dictionary)
                {
                    var key = entry.Key;
                    Visit(key, typeof(void), _ => { }); // keys are walked, never replaced (their hash would change)
                    Visit(entry.Value, valueType, v => dictionary[key] = v);
                }
            }
            else if (type.Assembly == world)
            {
                foreach (var field in Fields(type))
                {
                    if (field.FieldType.IsPointer || field.FieldType.IsByRefLike) continue;
                    var slot = field;
                    var owner = current;
                    Visit(field.GetValue(current), field.FieldType, v => slot.SetValue(owner, v));
                }
            }
            else if (current is IEnumerable items and not string)
            {
                foreach (var item in items) Visit(item, typeof(void), _ => { });
            }
        }
    }

    /// <summary>At commit: writes the replacements <see cref="FindSlots"/> found.</summary>
    public void WriteSlots()
    {
        foreach (var (write, value) in _slots) write(value);
    }

    private static IEnumerable<Type> WorldTypes(Assembly world)
    {
        Type[] types;
        try
        {
            types = world.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            types = [.. e.Types.OfType<Type>()];
        }
        return types.Where(t => !t.ContainsGenericParameters);
    }

    /// <summary>At commit, once the roots are written: the new instances join the registry; returns a report line per replaced type.</summary>
    public IEnumerable<string> Commit()
    {
        // Boxed struct values are copies: only objects are tracked.
        foreach (var created in _created.Where(c => !c.GetType().IsValueType)) InstanceRegistry.Register(created);
        foreach (var (old, now) in _types)
        {
            var moved = _moved.GetValueOrDefault(old);
            var line = $"{Printing.TypeNames.Of(now)}: {moved} live {(old.IsValueType ? "value" : "instance")}{(moved == 1 ? "" : "s")} moved to the new type";
            if (!old.IsValueType && !old.IsGenericTypeDefinition)
            {
                // Tracked types: the registry knows the instances no converted value led to.
                var left = InstanceRegistry.LiveInstances(old, includeSubtypes: false).Count(o => !_replaced.ContainsKey(o));
                if (left > 0) line += $"; {left} not reachable from the world's variables and static fields (held by closures, threads or objects outside the world) keep the old type, which recompiled code no longer uses";
            }
            yield return line;
        }
    }

    private bool TryConvert(object? value, Type target, out object? result)
    {
        result = null;
        if (value is null) return !target.IsValueType || Nullable.GetUnderlyingType(target) is not null;
        if (_replaced.TryGetValue(value, out var done))
        {
            result = done;
            return target.IsInstanceOfType(done);
        }
        var type = value.GetType();
        if (Replacing(type) is { } replacing)
        {
            if (!target.IsAssignableFrom(replacing)) return false;
            result = Replace(value, type, replacing);
            return true;
        }
        if (!Mentions(type))
        {
            result = value;
            return target.IsInstanceOfType(value);
        }
        if (value is Array array && target.IsArray && target.GetArrayRank() == 1 && array.Rank == 1)
        {
            var element = target.GetElementType()!;
            var copy = Array.CreateInstance(element, array.Length);
            _replaced[value] = copy;
            for (var i = 0; i < array.Length; i++)
            {
                if (!TryConvert(array.GetValue(i), element, out var item)) return false;
                copy.SetValue(item, i);
            }
            result = copy;
            return true;
        }
        if (target.IsGenericType && type.IsGenericType && target.GetGenericTypeDefinition() == type.GetGenericTypeDefinition())
        {
            return TryRebuild(value, target, out result);
        }
        return false;
    }

    /// <summary>A List, HashSet, Dictionary (or another collection with a parameterless constructor and Add) of the new element types.</summary>
    private bool TryRebuild(object value, Type target, out object? result)
    {
        result = null;
        var arguments = target.GetGenericArguments();
        if (target.GetConstructor(Type.EmptyTypes) is null) return false;
        var copy = Activator.CreateInstance(target)!;
        _replaced[value] = copy;
        if (value is IDictionary dictionary && copy is IDictionary into && arguments.Length == 2)
        {
            foreach (DictionaryEntry entry in dictionary)
            {
                if (!TryConvert(entry.Key, arguments[0], out var key) || !TryConvert(entry.Value, arguments[1], out var item)) return false;
                into.Add(key!, item);
            }
            result = copy;
            return true;
        }
        var add = arguments.Length == 1 ? target.GetMethod("Add", [arguments[0]]) : null;
        if (add is null || value is not IEnumerable items || value is Stack || IsStack(value.GetType())) return false;
        foreach (var item in items)
        {
            if (!TryConvert(item, arguments[0], out var converted)) return false;
            add.Invoke(copy, [converted]);
        }
        result = copy;
        return true;
    }

    private static bool IsStack(Type type) => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Stack<>);

    /// <summary>The new instance for <paramref name="old"/>: made without running a constructor, its fields copied by name.</summary>
    private object Replace(object old, Type oldType, Type newType)
    {
        var created = RuntimeHelpers.GetUninitializedObject(newType);
        _replaced[old] = created; // before the fields: a field may lead back to this instance
        _created.Add(created);
        var key = oldType.IsConstructedGenericType ? oldType.GetGenericTypeDefinition() : oldType;
        _moved[key] = _moved.GetValueOrDefault(key) + 1;
        var oldFields = Fields(oldType);
        foreach (var field in Fields(newType))
        {
            var name = InstanceFields.DisplayName(field.Name);
            var source = Array.Find(oldFields, f => InstanceFields.DisplayName(f.Name) == name);
            if (source is null) continue; // a field the old type did not have: its default
            var value = source.GetValue(old);
            if (TryConvert(value, field.FieldType, out var converted) || TryNumeric(value, field.FieldType, out converted))
            {
                field.SetValue(created, converted);
                continue;
            }
            throw new MigrationPlanException(
                $"{Printing.TypeNames.Of(oldType)}.{name} holds a {(value is null ? "null" : Printing.TypeNames.Of(value.GetType()))} that cannot become a {Printing.TypeNames.Of(field.FieldType)}");
        }
        return RunHook(old, oldType, created, newType);
    }

    /// <summary>
    /// The new type's migration hook, as for a migration in place (<c>OnRedefined(ctx)</c>, or the static
    /// <c>Migrate(migrated, ctx)</c>, the form structs need): it runs while preparing, on the new instance
    /// nothing can see yet, so a hook that throws is a problem of this redefinition and abort undoes nothing.
    /// </summary>
    private object RunHook(object old, Type oldType, object created, Type newType)
    {
        var instanceHook = newType.GetMethod("OnRedefined", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly, [typeof(MigrationContext)]);
        var staticHook = newType.GetMethod("Migrate", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly, [newType, typeof(MigrationContext)]);
        if (instanceHook?.ReturnType != typeof(void)) instanceHook = null;
        if (staticHook?.ReturnType != newType) staticHook = null;
        if (instanceHook is null && staticHook is null) return created;

        var oldFields = Fields(oldType);
        var newNames = Fields(newType).Select(f => InstanceFields.DisplayName(f.Name)).ToHashSet(StringComparer.Ordinal);
        var oldValues = oldFields.ToDictionary(f => InstanceFields.DisplayName(f.Name), f => f.GetValue(old), StringComparer.Ordinal);
        var added = newNames.Where(n => !oldValues.ContainsKey(n)).ToList().AsReadOnly();
        var discarded = oldValues.Where(p => !newNames.Contains(p.Key) && p.Value is not null && !IsDefault(p.Value)).ToDictionary(p => p.Key, p => p.Value);
        var from = _fromVersions.GetValueOrDefault(oldType, 1);
        var context = new MigrationContext(newType, from, from + 1, added, oldValues.AsReadOnly(), discarded.AsReadOnly());
        try
        {
            if (instanceHook is not null)
            {
                instanceHook.Invoke(created, BindingFlags.DoNotWrapExceptions, null, [context], null);
                return created;
            }
            var result = staticHook!.Invoke(null, BindingFlags.DoNotWrapExceptions, null, [created, context], null)
                ?? throw new InvalidOperationException($"{newType.Name}.Migrate returned null");
            if (newType.IsValueType || ReferenceEquals(result, created))
            {
                _replaced[old] = result; // a struct's hook returns the value itself
                return result;
            }
            foreach (var field in Fields(newType)) field.SetValue(created, field.GetValue(result));
            return created;
        }
        catch (Exception e) when (e is not MigrationPlanException)
        {
            throw new MigrationPlanException($"{newType.Name}.{(instanceHook is not null ? "OnRedefined" : "Migrate")} threw: {e.GetType().FullName}: {e.Message}");
        }
    }

    private static bool IsDefault(object value) => value.GetType().IsValueType && value.Equals(Activator.CreateInstance(value.GetType()));

    /// <summary>Numbers whose type changed with the replacement: kept when the value survives the round trip (tiers 1 and 2).</summary>
    private static bool TryNumeric(object? value, Type target, out object? result)
    {
        result = null;
        var underlying = Nullable.GetUnderlyingType(target) ?? target;
        if (value is not IConvertible || !underlying.IsPrimitive && underlying != typeof(decimal)) return false;
        try
        {
            result = System.Convert.ChangeType(value, underlying, System.Globalization.CultureInfo.InvariantCulture);
            return Equals(System.Convert.ChangeType(result, value.GetType(), System.Globalization.CultureInfo.InvariantCulture), value);
        }
        catch (Exception e) when (e is InvalidCastException or OverflowException or FormatException)
        {
            return false;
        }
    }

    /// <summary>The live instance fields of the type and its bases, found once per type.</summary>
    private FieldInfo[] Fields(Type type) =>
        _fields.TryGetValue(type, out var fields) ? fields : _fields[type] = [.. InstanceFields.Newest(InstanceFields.All(type))];

    /// <summary>The new type for instances of <paramref name="type"/>: its replacement, or for a replaced generic type the replacement closed over the same (mapped) arguments.</summary>
    private Type? Replacing(Type type)
    {
        if (_types.TryGetValue(type, out var replacing)) return replacing;
        if (!type.IsConstructedGenericType || !_types.TryGetValue(type.GetGenericTypeDefinition(), out var definition)) return null;
        return definition.MakeGenericType([.. type.GetGenericArguments().Select(a => Replacing(a) ?? a)]);
    }

    /// <summary>Whether a value of this type can hold replaced instances directly or through its type arguments or elements.</summary>
    private bool Mentions(Type type)
    {
        if (_types.ContainsKey(type)) return true;
        if (type.HasElementType) return Mentions(type.GetElementType()!);
        return type.IsGenericType && (_types.ContainsKey(type.GetGenericTypeDefinition()) || type.GetGenericArguments().Any(Mentions));
    }
}
