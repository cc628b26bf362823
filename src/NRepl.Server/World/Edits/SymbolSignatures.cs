using Microsoft.CodeAnalysis;

namespace NRepl.Server.World.Edits;

/// <summary>Identity of a member across two compilations: what must match for an edit to be an update rather than delete + insert.</summary>
internal static class SymbolSignatures
{
    private static readonly SymbolDisplayFormat Format = SymbolDisplayFormat.FullyQualifiedFormat
        .WithMemberOptions(SymbolDisplayMemberOptions.IncludeParameters | SymbolDisplayMemberOptions.IncludeType
            | SymbolDisplayMemberOptions.IncludeContainingType | SymbolDisplayMemberOptions.IncludeRef)
        .WithParameterOptions(SymbolDisplayParameterOptions.IncludeType | SymbolDisplayParameterOptions.IncludeParamsRefOut)
        .WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.UseSpecialTypes);

    public static string Of(ISymbol symbol) => symbol.Kind + ":" + symbol.ToDisplayString(Format)
        + (symbol is IMethodSymbol { Arity: > 0 } m ? "`" + m.Arity : "");

    public static string TypeOf(ITypeSymbol type) => type.ToDisplayString(Format);
}
