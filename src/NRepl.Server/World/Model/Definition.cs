using NRepl.Server.World.Parsing;
using NRepl.Server.World.Rendering;

namespace NRepl.Server.World.Model;

/// <summary>
/// One live definition of the world, as the user wrote it: a function (or property/constant) of a
/// namespace, a top-level variable, or a type. A later definition with the same <see cref="Key"/>
/// replaces it.
/// </summary>
/// <param name="Key">Identity: namespace, kind, name, and for members the parameter list (overloads).</param>
/// <param name="Text">The declaration's source (for state: just the variable's name).</param>
/// <param name="Origin">Where <paramref name="Text"/> starts in the user's file.</param>
/// <param name="LoadedFrom">The file a load-file brought it from; load-file replaces exactly that file's definitions.</param>
/// <param name="StateType">For state: the field's type as C# source (fully qualified when inferred from <c>var</c>).</param>
/// <param name="StateTypeMapped">For state: true when <paramref name="StateType"/> is the user's own text (shown in diagnostics).</param>
internal sealed record Definition(
    string Key,
    DefinitionKind Kind,
    string Ns,
    string Name,
    string? Parameters,
    string Text,
    SourceOrigin Origin,
    string? LoadedFrom,
    string? StateType = null,
    SourceOrigin? StateTypeOrigin = null)
{
    /// <summary>
    /// For a type that replace-type made a new CLR type: the hidden namespace it is compiled in (its
    /// namespace's code sees it through a using). Later definitions of the type stay there.
    /// </summary>
    public string? ReplacedInto { get; init; }
}

/// <summary>A <c>using</c> directive of a namespace, kept with its origin so errors in it point at the user's line.</summary>
internal sealed record UsingDefinition(string Ns, string Text, SourceOrigin Origin);
