using System.Linq.Expressions;
using System.Reflection;
using NRepl.Runtime.Contract;

namespace NRepl.Runtime.Migration;

/// <summary>
/// Builds the expression that turns an old field value into the new field's type, per the tiers of
/// research/migration.md §7.3. The expression assigns the converted value to a variable and yields
/// true, or yields false when a tier-2 check fails (the value does not survive the round trip). Compiled
/// once per field, it runs once per instance, so checks avoid exceptions on the success path.
/// </summary>
internal static class Conversions
{
    private static readonly HashSet<Type> s_integral =
    [
        typeof(sbyte), typeof(byte), typeof(short), typeof(ushort), typeof(int), typeof(uint), typeof(long), typeof(ulong), typeof(char),
    ];

    private static readonly HashSet<Type> s_unsigned = [typeof(byte), typeof(ushort), typeof(uint), typeof(ulong), typeof(char)];

    /// <summary>
    /// An expression of type bool: assigns <paramref name="target"/> from <paramref name="source"/> and
    /// is true when the value was converted faithfully. Throws <see cref="MigrationPlanException"/> when
    /// <paramref name="kind"/> does not apply to the two types.
    /// </summary>
    public static Expression Build(Conversion kind, ParameterExpression source, ParameterExpression target)
    {
        var s = source.Type;
        var t = target.Type;
        try
        {
            return kind switch
            {
                Conversion.Identity or Conversion.NumericWidening or Conversion.WrapNullable or Conversion.ReferenceUpcast or Conversion.EnumToInteger
                    => Infallible(kind, source, target),
                Conversion.NumericChecked => NumericChecked(source, target),
                Conversion.UnwrapNullable => UnwrapNullable(source, target),
                Conversion.ReferenceDowncast => ReferenceDowncast(source, target),
                Conversion.IntegerToEnum => IntegerToEnum(source, target),
                Conversion.EnumByName => EnumByName(source, target),
                Conversion.Replace => Replace(source, target),
                Conversion.None => Expression.Constant(false), // tier 3: only a restart's value will do
                _ => throw new MigrationPlanException($"unknown conversion {kind}"),
            };
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // Expression factories say "no coercion operator" and the like: the plan does not fit the types.
            throw new MigrationPlanException($"{kind} does not convert {s} to {t}: {e.Message}");
        }
    }

    private static Expression Infallible(Conversion kind, ParameterExpression source, ParameterExpression target)
    {
        var (s, t) = (source.Type, target.Type);
        var fits = kind switch
        {
            Conversion.Identity => s == t || t.IsAssignableFrom(s),
            Conversion.NumericWidening => IsNumeric(s) && IsNumeric(t),
            Conversion.WrapNullable => Nullable.GetUnderlyingType(t) is { } inner && (inner == s || inner.IsAssignableFrom(s) || IsNumeric(s) && IsNumeric(inner)),
            Conversion.ReferenceUpcast => !s.IsValueType && t.IsAssignableFrom(s),
            Conversion.EnumToInteger => s.IsEnum && IsNumeric(t),
            _ => false,
        };
        if (!fits) throw new MigrationPlanException($"{kind} does not convert {s} to {t}");
        return Expression.Block(Expression.Assign(target, Convert(source, t)), Expression.Constant(true));
    }

    /// <summary>replace-type: through the <see cref="TypeReplacer"/> of the migration being prepared.</summary>
    private static Expression Replace(ParameterExpression source, ParameterExpression target)
    {
        var converted = Expression.Variable(typeof(object), "converted");
        var call = Expression.Call(typeof(TypeReplacer).GetMethod(nameof(TypeReplacer.ConvertCurrent))!,
            Expression.Convert(source, typeof(object)), Expression.Constant(target.Type, typeof(Type)), converted);
        return Expression.Block(typeof(bool), [converted],
            Expression.Condition(call,
                Expression.Block(Expression.Assign(target, Expression.Convert(converted, target.Type)), Expression.Constant(true)),
                Expression.Constant(false)));
    }

    /// <summary>Tier 2 numeric: convert, convert back, and compare (NaN equals NaN).</summary>
    private static Expression NumericChecked(ParameterExpression source, ParameterExpression target)
    {
        var (s, t) = (source.Type, target.Type);
        if (!IsNumeric(s) || !IsNumeric(t)) throw new MigrationPlanException($"NumericChecked needs numeric types, not {s} and {t}");
        if (s_integral.Contains(s) && s_integral.Contains(t)) return IntegralChecked(source, target);

        // Floating point, decimal and 128-bit integers: checked conversions throw OverflowException out of
        // range (floating NaN/infinity into integers and decimal included); the round trip catches precision loss.
        var back = Expression.Variable(s, "back");
        var ok = Expression.Variable(typeof(bool), "ok");
        Expression same = Expression.Equal(back, source);
        if (IsFloating(s)) same = Expression.OrElse(same, Expression.AndAlso(Expression.NotEqual(source, source), Expression.NotEqual(back, back)));
        var convert = Expression.Block(
            Expression.Assign(target, Expression.ConvertChecked(source, t)),
            Expression.Assign(back, Expression.ConvertChecked(target, s)),
            Expression.Assign(ok, same));
        var overflow = Expression.Block(Expression.Assign(target, Expression.Default(t)), Expression.Assign(ok, Expression.Constant(false)));
        return Expression.Block(
            typeof(bool),
            [back, ok],
            Expression.TryCatch(Expression.Block(typeof(void), convert), Expression.Catch(typeof(OverflowException), Expression.Block(typeof(void), overflow))),
            ok);
    }

    /// <summary>
    /// Integer to integer without exceptions: an unchecked conversion is exact when it converts back to
    /// the same value and keeps the sign (the sign test catches -1 → uint.MaxValue → -1).
    /// </summary>
    private static Expression IntegralChecked(ParameterExpression source, ParameterExpression target)
    {
        var (s, t) = (source.Type, target.Type);
        var assign = Expression.Assign(target, Expression.Convert(source, t));
        var roundTrip = Equal(Expression.Convert(target, s), source);
        var sameSign = Expression.Equal(IsNegative(source), IsNegative(target));
        return Expression.Block(assign, Expression.AndAlso(roundTrip, sameSign));
    }

    private static Expression UnwrapNullable(ParameterExpression source, ParameterExpression target)
    {
        var (s, t) = (source.Type, target.Type);
        if (Nullable.GetUnderlyingType(s) is { } inner)
        {
            var value = Expression.Property(source, nameof(Nullable<int>.Value));
            return Expression.Condition(
                Expression.Property(source, nameof(Nullable<int>.HasValue)),
                Expression.Block(Expression.Assign(target, Convert(value, t)), Expression.Constant(true)),
                Expression.Block(Expression.Assign(target, Expression.Default(t)), Expression.Constant(false)));
        }
        if (s.IsValueType || !t.IsAssignableFrom(s)) throw new MigrationPlanException($"UnwrapNullable does not convert {s} to {t}");
        // A nullable reference type (string? → string): same runtime type, the check is "not null".
        return Expression.Block(
            Expression.Assign(target, Convert(source, t)),
            Expression.NotEqual(source, Expression.Constant(null, s)));
    }

    private static Expression ReferenceDowncast(ParameterExpression source, ParameterExpression target)
    {
        var (s, t) = (source.Type, target.Type);
        if (s.IsValueType) throw new MigrationPlanException($"ReferenceDowncast needs a reference source type, not {s}");
        if (!t.IsValueType)
        {
            // null stays null; any other value must be an instance of the new type.
            return Expression.Block(
                Expression.Assign(target, Expression.TypeAs(source, t)),
                Expression.OrElse(Expression.Equal(source, Expression.Constant(null, s)), Expression.NotEqual(target, Expression.Constant(null, t))));
        }
        // object → int: an unbox, only when the box holds exactly that type.
        return Expression.Condition(
            Expression.TypeIs(source, t),
            Expression.Block(Expression.Assign(target, Expression.Convert(source, t)), Expression.Constant(true)),
            Expression.Block(Expression.Assign(target, Expression.Default(t)), Expression.Constant(false)));
    }

    private static Expression IntegerToEnum(ParameterExpression source, ParameterExpression target)
    {
        var (s, t) = (source.Type, target.Type);
        if (!s_integral.Contains(s) || !t.IsEnum) throw new MigrationPlanException($"IntegerToEnum does not convert {s} to {t}");
        var underlying = Enum.GetUnderlyingType(t);
        var members = EnumMembers.Of(t);
        var raw = Expression.Variable(underlying, "raw");
        var fits = IntegralChecked(source, raw);
        var defined = Expression.Call(Expression.Constant(members), EnumMembers.IsValidMethod, Expression.Convert(raw, typeof(long)));
        return Expression.Block(
            typeof(bool),
            [raw],
            Expression.Assign(target, Expression.Default(t)),
            Expression.Condition(
                Expression.AndAlso(fits, defined),
                Expression.Block(Expression.Assign(target, Expression.Convert(raw, t)), Expression.Constant(true)),
                Expression.Constant(false)));
    }

    private static Expression EnumByName(ParameterExpression source, ParameterExpression target)
    {
        var (s, t) = (source.Type, target.Type);
        if (!s.IsEnum || !t.IsEnum) throw new MigrationPlanException($"EnumByName needs two enum types, not {s} and {t}");
        var map = new EnumNameMap(s, t);
        var mapped = Expression.Variable(typeof(long), "mapped");
        var sourceBits = Expression.Convert(Expression.Convert(source, Enum.GetUnderlyingType(s)), typeof(long));
        var found = Expression.Call(Expression.Constant(map), EnumNameMap.TryMapMethod, sourceBits, mapped);
        return Expression.Block(
            typeof(bool),
            [mapped],
            Expression.Assign(target, Expression.Default(t)),
            Expression.Condition(
                found,
                Expression.Block(Expression.Assign(target, Expression.Convert(Expression.Convert(mapped, Enum.GetUnderlyingType(t)), t)), Expression.Constant(true)),
                Expression.Constant(false)));
    }

    private static Expression Convert(Expression value, Type type) => value.Type == type ? value : Expression.Convert(value, type);

    /// <summary>char has no comparison operators in expression trees; compare its code as an int.</summary>
    private static Expression Equal(Expression a, Expression b) =>
        a.Type == typeof(char) ? Expression.Equal(Expression.Convert(a, typeof(int)), Expression.Convert(b, typeof(int))) : Expression.Equal(a, b);

    private static Expression IsNegative(Expression value) =>
        s_unsigned.Contains(value.Type) ? Expression.Constant(false) : Expression.LessThan(value, Expression.Default(value.Type));

    private static bool IsFloating(Type type) => type == typeof(float) || type == typeof(double) || type == typeof(Half);

    private static bool IsNumeric(Type type) =>
        s_integral.Contains(type) || IsFloating(type) || type == typeof(decimal) || type == typeof(Int128) || type == typeof(UInt128);

    /// <summary>Enum values as 64-bit patterns (ulong values above long.MaxValue wrap, consistently on both sides).</summary>
    internal static long Bits(object enumOrInteger) => enumOrInteger switch
    {
        Enum e => Bits(System.Convert.ChangeType(e, Enum.GetUnderlyingType(e.GetType()), System.Globalization.CultureInfo.InvariantCulture)),
        sbyte v => v,
        byte v => v,
        short v => v,
        ushort v => v,
        int v => v,
        uint v => v,
        long v => v,
        ulong v => unchecked((long)v),
        char v => v,
        _ => throw new MigrationPlanException($"{enumOrInteger.GetType()} is not an integral type"),
    };
}

/// <summary>The members of an enum type, to check integer → enum values (defined, or a combination for [Flags]).</summary>
internal sealed class EnumMembers
{
    public static readonly MethodInfo IsValidMethod = typeof(EnumMembers).GetMethod(nameof(IsValid))!;

    private readonly HashSet<long> _defined;
    private readonly long _flagsMask;
    private readonly bool _isFlags;

    private EnumMembers(Type enumType)
    {
        _defined = Enum.GetValues(enumType).Cast<object>().Select(Conversions.Bits).ToHashSet();
        _isFlags = enumType.IsDefined(typeof(FlagsAttribute), inherit: false);
        foreach (var bits in _defined) _flagsMask |= bits;
    }

    public static EnumMembers Of(Type enumType) => new(enumType);

    /// <summary>True for a defined member, or, for [Flags], any combination of members' bits.</summary>
    public bool IsValid(long bits) => _defined.Contains(bits) || (_isFlags && (bits & ~_flagsMask) == 0);
}

/// <summary>Maps the values of one enum to another by member name; [Flags] combinations are mapped bit group by bit group.</summary>
internal sealed class EnumNameMap
{
    public static readonly MethodInfo TryMapMethod = typeof(EnumNameMap).GetMethod(nameof(TryMap))!;

    private readonly Dictionary<long, long> _exact = [];
    private readonly List<(long From, long To)> _flags = [];
    private readonly bool _isFlags;
    private readonly bool _namedZero;

    public EnumNameMap(Type from, Type to)
    {
        var targets = Enum.GetNames(to).ToDictionary(n => n, n => Conversions.Bits(Enum.Parse(to, n)), StringComparer.Ordinal);
        foreach (var name in Enum.GetNames(from))
        {
            if (!targets.TryGetValue(name, out var toBits)) continue;
            var fromBits = Conversions.Bits(Enum.Parse(from, name));
            // Two names with one value map to the first name's target, as Enum.GetName would pick one.
            if (_exact.TryAdd(fromBits, toBits) && fromBits != 0) _flags.Add((fromBits, toBits));
        }
        _isFlags = from.IsDefined(typeof(FlagsAttribute), inherit: false);
        _namedZero = Enum.GetValues(from).Cast<object>().Any(v => Conversions.Bits(v) == 0);
        // Wider groups first, so a named combination wins over its single bits.
        _flags.Sort((a, b) => long.PopCount(b.From).CompareTo(long.PopCount(a.From)));
    }

    /// <summary>The value of the new enum whose member has the same name (or, for [Flags], the union of the mapped parts).</summary>
    public bool TryMap(long from, out long to)
    {
        if (_exact.TryGetValue(from, out to)) return true;
        to = 0;
        // Zero is "no flags" only when the old enum has no name for it; a named zero (None) needs its name.
        if (!_isFlags || (from == 0 && _namedZero)) return false;
        var left = from;
        foreach (var (fromBits, toBits) in _flags)
        {
            if ((left & fromBits) != fromBits) continue;
            to |= toBits;
            left &= ~fromBits;
        }
        return left == 0;
    }
}

/// <summary>A migration step that does not fit the world's types (a planner error, not a value problem).</summary>
internal sealed class MigrationPlanException(string message) : Exception(message);
