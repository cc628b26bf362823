using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Conversion = NRepl.Runtime.Contract.Conversion;

namespace NRepl.Server.World.Migration;

/// <summary>
/// Decides how an old field value becomes the new field's type (research/migration.md §7.3):
/// tier 1 is lossless and silent, tier 2 applies only when every live value converts back exactly
/// (checked in the target), and null means tier 3: never converted implicitly.
/// </summary>
internal static class ConversionClassifier
{
    // Tier 1 integral and floating widenings: every value of the source fits the target exactly.
    private static readonly Dictionary<SpecialType, SpecialType[]> Widening = new()
    {
        [SpecialType.System_SByte] = new[] { SpecialType.System_Int16, SpecialType.System_Int32, SpecialType.System_Int64, SpecialType.System_IntPtr, SpecialType.System_Single, SpecialType.System_Double, SpecialType.System_Decimal },
        [SpecialType.System_Byte] = new[] { SpecialType.System_Int16, SpecialType.System_UInt16, SpecialType.System_Int32, SpecialType.System_UInt32, SpecialType.System_Int64, SpecialType.System_UInt64, SpecialType.System_IntPtr, SpecialType.System_UIntPtr, SpecialType.System_Single, SpecialType.System_Double, SpecialType.System_Decimal },
        [SpecialType.System_Int16] = new[] { SpecialType.System_Int32, SpecialType.System_Int64, SpecialType.System_IntPtr, SpecialType.System_Single, SpecialType.System_Double, SpecialType.System_Decimal },
        [SpecialType.System_UInt16] = new[] { SpecialType.System_Int32, SpecialType.System_UInt32, SpecialType.System_Int64, SpecialType.System_UInt64, SpecialType.System_IntPtr, SpecialType.System_UIntPtr, SpecialType.System_Single, SpecialType.System_Double, SpecialType.System_Decimal },
        [SpecialType.System_Char] = new[] { SpecialType.System_UInt16, SpecialType.System_Int32, SpecialType.System_UInt32, SpecialType.System_Int64, SpecialType.System_UInt64 },
        [SpecialType.System_Int32] = new[] { SpecialType.System_Int64, SpecialType.System_IntPtr, SpecialType.System_Double, SpecialType.System_Decimal },
        [SpecialType.System_UInt32] = new[] { SpecialType.System_Int64, SpecialType.System_UInt64, SpecialType.System_UIntPtr, SpecialType.System_Double, SpecialType.System_Decimal },
        [SpecialType.System_Int64] = new[] { SpecialType.System_Decimal },
        [SpecialType.System_UInt64] = new[] { SpecialType.System_Decimal },
        [SpecialType.System_Single] = new[] { SpecialType.System_Double },
    };

    private static readonly HashSet<SpecialType> Numeric = new()
    {
        SpecialType.System_SByte, SpecialType.System_Byte, SpecialType.System_Int16, SpecialType.System_UInt16,
        SpecialType.System_Int32, SpecialType.System_UInt32, SpecialType.System_Int64, SpecialType.System_UInt64,
        SpecialType.System_IntPtr, SpecialType.System_UIntPtr, SpecialType.System_Single, SpecialType.System_Double,
        SpecialType.System_Decimal, SpecialType.System_Char,
    };

    public static Conversion? Classify(ITypeSymbol from, ITypeSymbol to, CSharpCompilation newCompilation)
    {
        if (ClrTypeNames.Of(from) == ClrTypeNames.Of(to)) return Conversion.Identity;

        if (UnderlyingOfNullable(to) is { } toInner && ClrTypeNames.Of(toInner) == ClrTypeNames.Of(from)) return Conversion.WrapNullable;
        if (UnderlyingOfNullable(from) is { } fromInner && ClrTypeNames.Of(fromInner) == ClrTypeNames.Of(to)) return Conversion.UnwrapNullable;

        var fromEnum = from.TypeKind == TypeKind.Enum;
        var toEnum = to.TypeKind == TypeKind.Enum;
        if (fromEnum && toEnum) return Conversion.EnumByName;
        if (fromEnum && Numeric.Contains(to.SpecialType))
        {
            var underlying = ((INamedTypeSymbol)from).EnumUnderlyingType!.SpecialType;
            return underlying == to.SpecialType || Widening.GetValueOrDefault(underlying)?.Contains(to.SpecialType) == true
                ? Conversion.EnumToInteger
                : null;
        }
        if (toEnum && Numeric.Contains(from.SpecialType) && from.SpecialType is not (SpecialType.System_Single or SpecialType.System_Double or SpecialType.System_Decimal or SpecialType.System_Char))
        {
            return Conversion.IntegerToEnum;
        }

        if (Numeric.Contains(from.SpecialType) && Numeric.Contains(to.SpecialType))
        {
            if (from.SpecialType == SpecialType.System_Char || to.SpecialType == SpecialType.System_Char)
            {
                // char -> wider integer is lossless; anything into char is a change of meaning.
                return Widening[SpecialType.System_Char].Contains(to.SpecialType) && from.SpecialType == SpecialType.System_Char ? Conversion.NumericWidening : null;
            }
            return Widening.GetValueOrDefault(from.SpecialType)?.Contains(to.SpecialType) == true ? Conversion.NumericWidening : Conversion.NumericChecked;
        }

        if (from.IsReferenceType && to.IsReferenceType && Resolve(from, newCompilation) is { } fromHere)
        {
            var conversion = newCompilation.ClassifyConversion(fromHere, to);
            if (conversion.IsIdentity || (conversion.IsImplicit && conversion.IsReference)) return Conversion.ReferenceUpcast;
            if (conversion.IsExplicit && conversion.IsReference) return Conversion.ReferenceDowncast;
        }
        return null;
    }

    private static ITypeSymbol? UnderlyingOfNullable(ITypeSymbol type) =>
        type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable ? nullable.TypeArguments[0] : null;

    // The old type is a symbol of the previous compilation; conversions are classified in the new one.
    private static ITypeSymbol? Resolve(ITypeSymbol type, Compilation compilation) => type switch
    {
        INamedTypeSymbol { IsGenericType: false } named => compilation.GetTypeByMetadataName(ClrTypeNames.Of(named)),
        _ => null,
    };
}
