using System.Linq.Expressions;
using System.Reflection;
using System.Reflection.Emit;
using NRepl.Runtime.Contract;
using NRepl.Runtime.Evaluation;
using NRepl.Runtime.Printing;

namespace NRepl.Runtime.Migration;

/// <summary>
/// The values of one new field for every instance of a migrated type: computed (and checked) at
/// prepare, kept in a typed array, written at commit once the redefinition's delta has added the
/// field (<see cref="Bind"/>). The per-instance work runs through delegates
/// compiled once per field (expression trees for reads and conversions, a DynamicMethod for the write),
/// never through FieldInfo.GetValue/SetValue, which cost about 5x more per instance.
/// </summary>
internal abstract class PendingField
{
    protected PendingField(string name) => Name = name;

    /// <summary>The new field's name.</summary>
    public string Name { get; }

    /// <summary>Compiles the writer for the new field, which exists once the commit's delta is applied.</summary>
    public abstract void Bind(FieldInfo field);

    /// <summary>
    /// Computes the value for instances <paramref name="start"/> onwards (the values before it are
    /// kept: instances made late are appended); failures go to <paramref name="problems"/>.
    /// </summary>
    public abstract void Compute(object[] instances, int start, ProblemCollector problems);

    /// <summary>Stores the computed values into instances <paramref name="start"/> (inclusive) to <paramref name="end"/> (exclusive).</summary>
    public abstract void Write(object[] instances, int start, int end);

    /// <summary>Prepares the delegates for <paramref name="step"/>; throws <see cref="MigrationPlanException"/> when it does not fit the types.</summary>
    public static PendingField Create(FieldStep step, Type type, FieldInfo? oldField, MethodInfo? initializer, MethodInfo? fallback = null,
        IReadOnlyList<(long InstanceId, MethodInfo Helper)>? instanceValues = null)
    {
        var name = step.NewField.Name;
        if (type.IsPointer || type.IsByRefLike || type.IsFunctionPointer)
        {
            throw new MigrationPlanException($"field {name} of type {type} cannot be migrated");
        }
        var create = typeof(PendingField).GetMethod(nameof(CreateTyped), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(type);
        try
        {
            return (PendingField)create.Invoke(null, BindingFlags.DoNotWrapExceptions, binder: null, [step, name, oldField, initializer, fallback, instanceValues], culture: null)!;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new MigrationPlanException($"cannot build the migration of field {name}: {e.Message}");
        }
    }

    private static PendingField<T> CreateTyped<T>(FieldStep step, string name, FieldInfo? oldField, MethodInfo? initializer, MethodInfo? fallback,
        IReadOnlyList<(long InstanceId, MethodInfo Helper)>? instanceValues)
    {
        var pending = step.Source switch
        {
            FieldSource.OldField => PendingField<T>.FromOldField(name, oldField!, step.Conversion),
            FieldSource.Initializer => PendingField<T>.FromInitializer(name, initializer!),
            FieldSource.Missing => PendingField<T>.WithoutValue(name),
            _ => throw new MigrationPlanException($"no pending values for source {step.Source}"),
        };
        pending.OnFailure = step.OnFailure;
        if (step.OnFailure == FailurePolicy.Fallback)
        {
            pending.SetFallback(fallback ?? throw new MigrationPlanException($"field {name}: the use-value restart names no method"));
        }
        foreach (var (id, helper) in instanceValues ?? []) pending.SetInstanceFallback(id, helper);
        return pending;
    }

    /// <summary>The user's value for a failing instance: <c>(instance, old value) =&gt; helper((Self)instance, (Old)old)</c>.</summary>
    protected abstract void SetFallback(MethodInfo helper);

    /// <summary>Like <see cref="SetFallback"/>, for the one instance with this <see cref="InstanceIds"/> id (use-value).</summary>
    protected abstract void SetInstanceFallback(long instanceId, MethodInfo helper);

    /// <summary>The restart the user chose for instances whose value cannot be computed.</summary>
    public FailurePolicy OnFailure { get; private set; } = FailurePolicy.Problem;

    /// <summary>Builds <c>(object o, T v) =&gt; ((Declaring)o).field = v</c>; IL, because expression trees refuse to assign readonly fields, which a migration must fill too.</summary>
    protected static Action<object, T> Writer<T>(FieldInfo field)
    {
        var method = new DynamicMethod($"__migrate_set_{field.Name}", typeof(void), [typeof(object), typeof(T)], field.Module, skipVisibility: true);
        var il = method.GetILGenerator();
        if (field.IsStatic)
        {
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Stsfld, field);
        }
        else
        {
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Castclass, field.DeclaringType!);
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Stfld, field);
        }
        il.Emit(OpCodes.Ret);
        return method.CreateDelegate<Action<object, T>>();
    }

    /// <summary>Reads a field of an instance typed as object.</summary>
    protected static Expression ReadField(ParameterExpression instance, FieldInfo field) =>
        field.IsStatic ? Expression.Field(null, field) : Expression.Field(Expression.Convert(instance, field.DeclaringType!), field);
}

/// <summary><see cref="PendingField"/> for a field of type <typeparamref name="T"/>.</summary>
internal sealed class PendingField<T> : PendingField
{
    private Action<object, T>? _write;
    private Func<object, object?, T>? _fallback;
    private Dictionary<long, Func<object, object?, T>>? _instanceFallbacks;
    private readonly Func<object, T[], int, bool>? _convert;
    private readonly FieldInfo? _oldField;
    private readonly Func<T>? _initializer;
    private T[] _values = [];

    private PendingField(string name, Func<object, T[], int, bool>? convert, FieldInfo? oldField, Func<T>? initializer) : base(name)
    {
        _convert = convert;
        _oldField = oldField;
        _initializer = initializer;
    }

    protected override void SetFallback(MethodInfo helper) => _fallback = Fallback(helper);

    protected override void SetInstanceFallback(long instanceId, MethodInfo helper) => (_instanceFallbacks ??= [])[instanceId] = Fallback(helper);

    private static Func<object, object?, T> Fallback(MethodInfo helper)
    {
        var parameters = helper.GetParameters();
        if (!helper.IsStatic || parameters.Length != 2) throw new MigrationPlanException($"use-value helper {helper.Name} must be static (self, old)");
        var self = Expression.Parameter(typeof(object), "self");
        var old = Expression.Parameter(typeof(object), "old");
        var call = Expression.Call(helper,
            Expression.Convert(self, parameters[0].ParameterType),
            Expression.Convert(old, parameters[1].ParameterType));
        return Expression.Lambda<Func<object, object?, T>>(Expression.Convert(call, typeof(T)), self, old).Compile();
    }

    /// <summary>A failing instance: a use-value for it, else the restart's policy decides; true when it produced a value.</summary>
    private bool Recover(object instance, T[] values, int index, ProblemCollector problems, Exception? error, Func<object, string>? describe)
    {
        var fallback = _instanceFallbacks is { } single && InstanceIds.TryGet(instance, out var id) && single.TryGetValue(id, out var own) ? own : null;
        if (fallback is null)
        {
            switch (OnFailure)
            {
                case FailurePolicy.UseDefault:
                    values[index] = default!;
                    return true;
                case FailurePolicy.Fallback when _fallback is { } forAll:
                    fallback = forAll;
                    break;
                default:
                    problems.Fail(index, instance, error, describe);
                    return false;
            }
        }
        try
        {
            values[index] = fallback(instance, _oldField?.GetValue(instance));
            return true;
        }
        catch (Exception e)
        {
            // The user's value failed for this instance: a condition raised while running a restart.
            problems.Fail(index, instance, ExceptionReport.Unwrap(e), describe);
            return false;
        }
    }

    public override void Bind(FieldInfo field)
    {
        if (field.FieldType != typeof(T)) throw new MigrationPlanException($"field {field.Name} is {field.FieldType}, not {typeof(T)}");
        _write = Writer<T>(field);
    }

    public static PendingField<T> FromOldField(string name, FieldInfo oldField, Conversion conversion)
    {
        // (object o, T[] values, int i) => { S s = ((D)o).old; T t; bool ok = convert(s, out t); if (ok) values[i] = t; return ok; }
        var instance = Expression.Parameter(typeof(object), "instance");
        var values = Expression.Parameter(typeof(T[]), "values");
        var index = Expression.Parameter(typeof(int), "index");
        var source = Expression.Variable(oldField.FieldType, "old");
        var target = Expression.Variable(typeof(T), "value");
        var ok = Expression.Variable(typeof(bool), "ok");
        var body = Expression.Block(
            typeof(bool),
            [source, target, ok],
            Expression.Assign(source, ReadField(instance, oldField)),
            Expression.Assign(ok, Conversions.Build(conversion, source, target)),
            // A value that failed its check is never written (commit refuses), but keep default, not the lossy result.
            Expression.IfThen(ok, Expression.Assign(Expression.ArrayAccess(values, index), target)),
            ok);
        var convert = Expression.Lambda<Func<object, T[], int, bool>>(body, instance, values, index).Compile();
        return new PendingField<T>(name, convert, oldField, null);
    }

    /// <summary>A field nothing can compute a value for: each instance gets what the restarts give it, or is a problem.</summary>
    public static PendingField<T> WithoutValue(string name) => new(name, null, null, null);

    public static PendingField<T> FromInitializer(string name, MethodInfo initializer)
    {
        Func<T> create;
        if (initializer.ReturnType == typeof(T))
        {
            create = initializer.CreateDelegate<Func<T>>();
        }
        else
        {
            // The helper may return a subtype (or an int for a long field); convert as C# would have.
            create = Expression.Lambda<Func<T>>(Expression.Convert(Expression.Call(initializer), typeof(T))).Compile();
        }
        return new PendingField<T>(name, null, null, create);
    }

    public override void Compute(object[] instances, int start, ProblemCollector problems)
    {
        var values = start == 0 ? new T[instances.Length] : _values;
        if (values.Length != instances.Length) Array.Resize(ref values, instances.Length);
        if (_convert is { } convert)
        {
            for (var i = start; i < instances.Length; i++)
            {
                bool ok;
                Exception? error = null;
                try
                {
                    ok = convert(instances[i], values, i);
                }
                catch (Exception e)
                {
                    ok = false;
                    error = e;
                }
                if (!ok) Recover(instances[i], values, i, problems, error, DescribeOldValue);
            }
        }
        else if (_initializer is null)
        {
            for (var i = start; i < instances.Length; i++) Recover(instances[i], values, i, problems, null, null);
        }
        else
        {
            var initializer = _initializer;
            for (var i = start; i < instances.Length; i++)
            {
                try
                {
                    values[i] = initializer();
                }
                catch (Exception e)
                {
                    Recover(instances[i], values, i, problems, ExceptionReport.Unwrap(e), null);
                }
            }
        }
        _values = values;
    }

    public override void Write(object[] instances, int start, int end)
    {
        var values = _values;
        var write = _write ?? throw new InvalidOperationException($"Field {Name} was not bound to the new field before writing.");
        for (var i = start; i < end; i++)
        {
            // The field was added by the commit's delta a moment ago and no code has run since (work is
            // paused), so it reads default(T): skipping the write saves the side-storage allocation.
            if (EqualityComparer<T>.Default.Equals(values[i], default!)) continue;
            write(instances[i], values[i]);
        }
    }

    /// <summary>"Hp = 3000000000": the old value that did not convert (only for the few samples).</summary>
    private string DescribeOldValue(object instance)
    {
        object? value;
        try
        {
            value = _oldField!.GetValue(instance);
        }
        catch (Exception e)
        {
            return $"{_oldField!.Name} = <unreadable: {e.Message}>";
        }
        return $"{_oldField.Name} = {ValuePrinter.Print(value, ProblemCollector.SamplePrint).Text}";
    }
}

/// <summary>Failures of one new field of one migrated type: a count and a few samples.</summary>
internal sealed class ProblemCollector(string typeName, string fieldName, string kind)
{
    /// <summary>Samples kept per problem; the count covers all failures.</summary>
    public const int MaxSamples = 5;

    /// <summary>Short, one-line renderings for samples.</summary>
    public static readonly PrintSettings SamplePrint = new(0, 5, 2, 120);

    private readonly List<string> _samples = [];
    private int _count;
    private long _firstInstanceId;

    public int Count => _count;

    /// <summary>Counts a failing instance; the first few become samples like <c>Player#3 Hp = 70000</c>.</summary>
    public void Fail(int index, object instance, Exception? error, Func<object, string>? describeValue)
    {
        if (_count++ == 0 && instance is not StaticFields) _firstInstanceId = InstanceIds.Of(instance);
        if (_samples.Count >= MaxSamples) return;
        var sample = instance is StaticFields statics ? $"static {statics.Type.Name}" : $"{TypeNames.Of(instance.GetType())}#{index}";
        if (describeValue is not null) sample += " " + describeValue(instance);
        if (error is not null) sample += $": {error.GetType().FullName}: {error.Message}";
        _samples.Add(sample);
    }

    public MigrationProblem ToProblem() => new(typeName, fieldName, kind, _count, [.. _samples], _firstInstanceId);
}

/// <summary>Stands for "the type itself" where a static field is migrated like the field of one instance.</summary>
internal sealed class StaticFields(Type type)
{
    public Type Type { get; } = type;
}
