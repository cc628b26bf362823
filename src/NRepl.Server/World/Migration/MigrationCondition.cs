using System.Text;
using NRepl.Runtime.Contract;

namespace NRepl.Server.World.Migration;

/// <summary>A restart offered with a condition: its stable name and what it does.</summary>
internal sealed record Restart(string Name, string Description);

/// <summary>
/// A condition an eval waits on until the user picks a restart (research/migration.md §7.9): shown as
/// an <c>err</c> block with numbered restarts and as structured keys, answered through stdin (the
/// restart's number) or the <c>live/restart</c> op; an interrupt picks <see cref="Abort"/>.
/// </summary>
internal sealed class MigrationCondition
{
    public const string UseDefault = "use-default";
    public const string AcceptWithDefaults = "accept-with-defaults";
    public const string Abort = "abort-redefinition";

    private readonly TaskCompletionSource<string> _choice = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MigrationCondition(string sessionId, string evalId, int level, MigrationProblem problem, TypeMigrationPlan? plan, int instanceCount)
    {
        SessionId = sessionId;
        EvalId = evalId;
        Level = level;
        Problem = problem;
        Plan = plan;
        InstanceCount = instanceCount;
        var step = plan?.Steps.FirstOrDefault(s => s.Field == problem.FieldName || s.DisplayName == problem.FieldName);
        var fieldType = step is null ? "the new type" : $"default({CSharpNames.Of(step.FieldType)})";
        Restarts = new[]
        {
            new Restart(UseDefault, $"Use {fieldType} for the {problem.FailingInstances} instance{Plural(problem.FailingInstances)} whose value cannot be computed"),
            new Restart(AcceptWithDefaults, "Use the default value for every instance whose value cannot be computed, in every field of this redefinition"),
            new Restart(Abort, "Abort the redefinition: every instance and method stays as it was"),
        };
    }

    public string Id { get; } = Guid.NewGuid().ToString("D");

    public string SessionId { get; }

    public string EvalId { get; }

    public int Level { get; }

    public MigrationProblem Problem { get; }

    public TypeMigrationPlan? Plan { get; }

    public int InstanceCount { get; }

    public IReadOnlyList<Restart> Restarts { get; }

    /// <summary>The chosen restart's name.</summary>
    public Task<string> Choice => _choice.Task;

    /// <summary>Picks a restart by name or index; false when there is none such (or one was already picked).</summary>
    public bool TryChoose(string restart)
    {
        var chosen = int.TryParse(restart.Trim(), out var index) && index >= 0 && index < Restarts.Count
            ? Restarts[index]
            : Restarts.FirstOrDefault(r => r.Name == restart.Trim());
        return chosen is not null && _choice.TrySetResult(chosen.Name);
    }

    public void Cancel() => _choice.TrySetResult(Abort);

    /// <summary>The report and the numbered restarts, as the err text of the eval.</summary>
    public string Text()
    {
        var sb = new StringBuilder();
        var type = Plan?.DisplayName ?? Problem.TypeName;
        var step = Plan?.Steps.FirstOrDefault(s => s.Field == Problem.FieldName || s.DisplayName == Problem.FieldName);
        var conversion = step?.OldFieldType is { } from ? $" ({CSharpNames.Of(from)} -> {CSharpNames.Of(step.FieldType)})" : "";
        sb.Append($"{Problem.Kind}: {type}.{Problem.FieldName}{conversion}: {Problem.FailingInstances} of {InstanceCount} live instance{Plural(InstanceCount)} cannot get a value.\n");
        foreach (var sample in Problem.Samples) sb.Append("  ").Append(sample).Append('\n');
        sb.Append(Level > 1 ? $"Restarts (level {Level}):\n" : "Restarts:\n");
        for (var i = 0; i < Restarts.Count; i++)
        {
            var marker = Restarts[i].Name == Abort ? " *" : "";
            sb.Append($"  {i}: [{Restarts[i].Name}]{marker} {Restarts[i].Description}\n");
        }
        sb.Append("Answer with the restart's number.\n");
        return sb.ToString();
    }

    /// <summary>The structured keys, for clients that show restarts as buttons (live/restart).</summary>
    public IReadOnlyDictionary<string, object?> Fields() => new Dictionary<string, object?>
    {
        ["condition"] = new Dictionary<string, object?>
        {
            ["type"] = Problem.Kind,
            ["class"] = Plan?.DisplayName ?? Problem.TypeName,
            ["field"] = Problem.FieldName,
            ["instances"] = (long)InstanceCount,
            ["failing"] = (long)Problem.FailingInstances,
            ["samples"] = Problem.Samples,
            ["message"] = Text().Split('\n')[0],
        },
        ["restarts"] = Restarts.Select((r, i) => (object?)new Dictionary<string, object?>
        {
            ["index"] = (long)i,
            ["name"] = r.Name,
            ["description"] = r.Description,
            ["input"] = "none",
        }).ToList(),
        ["condition-id"] = Id,
        ["level"] = (long)Level,
    };

    private static string Plural(int count) => count == 1 ? "" : "s";
}
