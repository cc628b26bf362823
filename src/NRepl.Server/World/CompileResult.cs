using NRepl.Server.World.Migration;
using NRepl.Server.World.Model;

namespace NRepl.Server.World;

/// <summary>The full image of a world (generation 0, or a replay after a target crash).</summary>
internal sealed record WorldImage(byte[] Pe, byte[] Pdb);

/// <summary>Outcome of compiling one submission against the current world.</summary>
internal abstract record CompileResult
{
    private CompileResult() { }

    /// <summary>
    /// A delta ready for the target. The world moves to <see cref="Candidate"/> only when the target
    /// accepted the delta (<see cref="WorldCompiler.Commit"/>).
    /// </summary>
    public sealed record Delta(
        WorldSnapshot Candidate,
        byte[] Metadata,
        byte[] IL,
        byte[] Pdb,
        int? EvalMethodToken,
        string? DefinitionSummary,
        int[] InitializerTokens,
        MigrationStage? Migration = null) : CompileResult
    {
        /// <summary>Warnings about the change (migrations' included), for handlers and the eval's err stream.</summary>
        public IReadOnlyList<ChangeWarning> Warnings { get; init; } = Array.Empty<ChangeWarning>();

        /// <summary>The types whose inferred rename was refused for this compile (kept when it is compiled again).</summary>
        public IReadOnlySet<string>? NoRenameInference { get; init; }

        /// <summary>The type definitions (by key) the user chose to replace (kept when it is compiled again).</summary>
        public IReadOnlySet<string>? ReplaceTypes { get; init; }
    }

    /// <summary>
    /// Nothing reached the target: the change makes types take a shape EnC cannot give a live type (another
    /// base, other interfaces, class and record, abstract/sealed/static). IncompatibleShapeChange: the user
    /// may replace the types (compile again with them in <c>replaceTypes</c>) or abort.
    /// </summary>
    public sealed record IncompatibleShape(IReadOnlyList<Edits.ShapeChange> Changes) : CompileResult;

    /// <summary>
    /// Nothing reached the target: compile errors, or a change that cannot be applied live.
    /// <see cref="ErrorText"/> is one line per problem; <see cref="Kind"/> becomes the eval's <c>ex</c>.
    /// </summary>
    public sealed record Failed(string ErrorText, string Kind) : CompileResult;
}

/// <summary>
/// The first generation of a redefinition that migrates live instances: helpers that evaluate the
/// new fields' initializers. <see cref="Snapshot"/> is the world after it (definitions unchanged),
/// which the main delta was planned against and the world moves to if the migration is aborted.
/// </summary>
internal sealed record MigrationStage(
    byte[] Metadata,
    byte[] IL,
    byte[] Pdb,
    IReadOnlyList<TypeMigrationPlan> Plans,
    NRepl.Runtime.Contract.TypeMigration[] Migrations,
    WorldSnapshot Snapshot)
{
    /// <summary>Types replaced by new ones (replace-type); the new types are already in this generation.</summary>
    public NRepl.Runtime.Contract.TypeReplacement[] Replacements { get; init; } = [];
}

/// <summary>A value the user gave a migration restart: a C# expression, or the new field's own initializer.</summary>
internal sealed record RestartValue(string Expression, bool UseInitializer);

/// <summary>
/// What a restart value is for: a field of a migrating type, for every instance whose value failed
/// (<see cref="InstanceId"/> 0: use-value-for-all, use-initializer), or for the one instance the target
/// gave that id (use-value).
/// </summary>
internal readonly record struct RestartKey(string Type, string Field, long InstanceId = 0);
