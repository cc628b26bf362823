using System.Text;
using NRepl.Runtime.Contract;

namespace NRepl.Server.World.Migration;

/// <summary>A restart offered with a condition: its stable name, what it does, and whether it takes a C# expression.</summary>
internal sealed record Restart(string Name, string Description, bool TakesValue = false);

/// <summary>The user's answer: a restart, and the expression for restarts that take one.</summary>
internal sealed record RestartChoice(string Name, string? Value);

/// <summary>
/// A condition an eval waits on until the user picks a restart (research/migration.md §7.9): shown as
/// an <c>err</c> block with numbered restarts and as structured keys, answered through stdin (the
/// restart's number) or the <c>live/restart</c> op; an interrupt picks <see cref="DefaultRestart"/>
/// (abort-redefinition).
/// </summary>
internal sealed class MigrationCondition
{
    public const string UseValue = "use-value";
    public const string UseValueForAll = "use-value-for-all";
    public const string UseInitializer = "use-initializer";
    public const string UseDefault = "use-default";
    public const string AcceptWithDefaults = "accept-with-defaults";
    public const string Abort = "abort-redefinition";

    private readonly TaskCompletionSource<RestartChoice> _choice = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public const string Retry = "retry";
    public const string SkipInstance = "skip-instance";

    private MigrationCondition(string sessionId, string evalId, int level, MigrationProblem problem, TypeMigrationPlan? plan, int instanceCount,
        int fromVersion, int toVersion, IReadOnlyList<Restart> restarts, string defaultRestart)
    {
        FromVersion = fromVersion;
        ToVersion = toVersion;
        SessionId = sessionId;
        EvalId = evalId;
        Level = level;
        Problem = problem;
        Plan = plan;
        InstanceCount = instanceCount;
        Restarts = restarts;
        DefaultRestart = defaultRestart;
    }

    /// <summary>A field whose value cannot be computed for some instances (FieldConversionError, InitializerFailed...): nothing is written yet.</summary>
    public static MigrationCondition ForField(string sessionId, string evalId, int level, MigrationProblem problem, TypeMigrationPlan? plan, int instanceCount,
        int fromVersion, int toVersion)
    {
        var step = plan?.Steps.FirstOrDefault(s => s.Field == problem.FieldName || s.DisplayName == problem.FieldName);
        var fieldType = step is null ? "the new type" : $"default({CSharpNames.Of(step.FieldType)})";
        var failing = $"the {problem.FailingInstances} instance{Plural(problem.FailingInstances)} whose value cannot be computed";
        var first = problem.Samples.FirstOrDefault()?.Split(' ', ':')[0] is { Length: > 0 } label ? label : "the first failing instance";
        var restarts = new List<Restart>();
        if (problem.FirstInstanceId != 0)
        {
            restarts.Add(new Restart(UseValue, $"Give a C# expression for {first} only (`old` is its old value, `self` the instance); the others are asked again: type the number, then the expression", TakesValue: true));
        }
        restarts.AddRange(new List<Restart>
        {
            new(UseValueForAll, $"Give a C# expression for {failing} (`old` is the old value, `self` the instance): type the number, then the expression", TakesValue: true),
            new(UseDefault, $"Use {fieldType} for {failing}"),
        });
        if (step?.Initializer is not null) restarts.Add(new Restart(UseInitializer, $"Run the field's initializer for {failing}"));
        restarts.Add(new Restart(AcceptWithDefaults, "Use the default value for every instance whose value cannot be computed, in every field of this redefinition"));
        restarts.Add(new Restart(Abort, "Abort the redefinition: every instance and method stays as it was"));
        // research/migration.md §7.9: a missing value defaults to use-default (null, with a warning) when no one is asked.
        return new MigrationCondition(sessionId, evalId, level, problem, plan, instanceCount, fromVersion, toVersion, restarts,
            problem.Kind == "MissingInitialValue" ? UseDefault : Abort);
    }

    /// <summary>
    /// The new version's migration hook threw for some instances (MigrationHookFailed). The redefinition
    /// is applied and every implicit value written; those instances hold what the implicit rules gave them
    /// (the hook's changes were undone), and evals and Live.Every loops wait until this is answered.
    /// </summary>
    public static MigrationCondition ForHook(string sessionId, string evalId, int level, MigrationProblem problem, TypeMigrationPlan? plan, int instanceCount,
        int fromVersion, int toVersion)
    {
        var failing = $"the {problem.FailingInstances} instance{Plural(problem.FailingInstances)} it failed for";
        var restarts = new List<Restart>
        {
            new(Retry, $"Run {problem.FieldName} again on {failing}; fix it first from another session (redefine the type, or what the hook calls)"),
            new(SkipInstance, $"Leave {failing} with the values the implicit rules gave them; the hook does not run for them"),
            new(Abort, "Abort the redefinition: the previous definitions are applied again and every migrated instance gets back the values it had before"),
        };
        return new MigrationCondition(sessionId, evalId, level, problem, plan, instanceCount, fromVersion, toVersion, restarts, Abort);
    }

    /// <summary>
    /// IncompatibleShapeChange: the redefinition gives types a shape EnC cannot give a live type. Nothing is
    /// applied yet; replace-type makes the new definitions new types and moves the instances to them.
    /// </summary>
    public static MigrationCondition ForShape(string sessionId, string evalId, IReadOnlyList<Edits.ShapeChange> changes)
    {
        var types = string.Join(", ", changes.Select(c => c.TypeName).Distinct());
        var problem = new MigrationProblem(types, "", ShapeChange, 0, [.. changes.Select(c => $"{c.TypeName}: {c.Reason}")]);
        var restarts = new List<Restart>
        {
            new(ReplaceType, $"Make the new {types} a new type and move the live instances the world's variables and static fields lead to into it (their fields copied by name); instances nothing there leads to keep the old type and its code"),
            new(Abort, "Abort the redefinition: every instance and method stays as it was"),
        };
        return new MigrationCondition(sessionId, evalId, 1, problem, null, 0, 0, 0, restarts, Abort);
    }

    /// <summary>
    /// TargetUnresponsive: the target has not answered the server's heartbeat for <paramref name="silence"/>, so this
    /// eval cannot end by itself (an interrupt cannot get through either). Not a migration, but answered the same way.
    /// </summary>
    public static MigrationCondition ForUnresponsiveTarget(string sessionId, string evalId, int processId, TimeSpan silence)
    {
        var problem = new MigrationProblem($"target process {processId}", "", TargetUnresponsive, 0, [$"no answer for {silence.TotalSeconds:0} s"]);
        var restarts = new List<Restart>
        {
            new(RestartTarget, "Kill the target and start a new one with the world's definitions replayed; variable values and object instances are lost"),
            new(KeepWaiting, "Leave it: the eval goes on waiting (a long static initializer, a debugger, a machine swapping); asked again if the silence lasts"),
        };
        return new MigrationCondition(sessionId, evalId, 1, problem, null, 0, 0, 0, restarts, KeepWaiting);
    }

    public const string TargetUnresponsive = "TargetUnresponsive";

    public const string RestartTarget = "restart-target";

    public const string KeepWaiting = "keep-waiting";

    public const string ReplaceType = "replace-type";

    public const string ShapeChange = "IncompatibleShapeChange";

    /// <summary>What an interrupt, or a load-file with no handler, picks.</summary>
    public string DefaultRestart { get; }

    public bool IsHookFailure => Problem.Kind == HookFailure;

    public const string HookFailure = "MigrationHookFailed";

    public string Id { get; } = Guid.NewGuid().ToString("D");

    public string SessionId { get; }

    public string EvalId { get; }

    public int Level { get; }

    public MigrationProblem Problem { get; }

    public TypeMigrationPlan? Plan { get; }

    public int InstanceCount { get; }

    public int FromVersion { get; }

    public int ToVersion { get; }

    public IReadOnlyList<Restart> Restarts { get; }

    /// <summary>The chosen restart.</summary>
    public Task<RestartChoice> Choice => _choice.Task;

    /// <summary>
    /// Picks a restart from an answer typed on stdin: its number or name, then the expression for a
    /// restart that takes one (<c>0 old / 2</c>). False when the answer names no restart or lacks the expression.
    /// </summary>
    public bool TryChoose(string answer)
    {
        var text = answer.Trim();
        var space = text.IndexOf(' ');
        return TryChoose(space < 0 ? text : text[..space], space < 0 ? null : text[(space + 1)..]);
    }

    /// <summary>Picks a restart by name or index with its value (live/restart).</summary>
    public bool TryChoose(string restart, string? value)
    {
        var key = restart.Trim();
        var chosen = int.TryParse(key, out var index) && index >= 0 && index < Restarts.Count
            ? Restarts[index]
            : Restarts.FirstOrDefault(r => r.Name == key);
        if (chosen is null || (chosen.TakesValue && string.IsNullOrWhiteSpace(value))) return false;
        return _choice.TrySetResult(new RestartChoice(chosen.Name, chosen.TakesValue ? value!.Trim() : null));
    }

    public void Cancel() => _choice.TrySetResult(new RestartChoice(DefaultRestart, null));

    /// <summary>Shows the condition on its eval: the err text, the structured keys, then need-input for the answer.</summary>
    public void ShowOn(NRepl.Server.Evaluation.ISessionOutput output)
    {
        output.Write(SessionId, EvalId, true, Text());
        output.Condition(SessionId, EvalId, Fields());
        output.NeedInput(SessionId, EvalId);
    }

    /// <summary>The report and the numbered restarts, as the err text of the eval.</summary>
    public string Text()
    {
        var sb = new StringBuilder();
        var type = Plan?.DisplayName ?? Problem.TypeName;
        var step = Plan?.Steps.FirstOrDefault(s => s.Field == Problem.FieldName || s.DisplayName == Problem.FieldName);
        var conversion = step?.OldFieldType is { } from
            ? $" ({CSharpNames.Of(from)} -> {CSharpNames.Of(step.FieldType)}{(step.Conversion == Conversion.None ? ", no implicit conversion" : "")})"
            : "";
        if (Problem.Kind == TargetUnresponsive)
        {
            sb.Append($"{TargetUnresponsive}: {Problem.TypeName} stopped answering the server: it is stopped, or stuck where even an interrupt cannot reach it, and this eval cannot end by itself.\n");
        }
        else if (Problem.Kind == ShapeChange)
        {
            sb.Append($"{ShapeChange}: {Problem.TypeName} cannot take the new shape in place (EnC cannot change it on a live type); nothing was applied.\n");
        }
        else sb.Append(IsHookFailure
            ? $"{Problem.Kind}: {type}.{Problem.FieldName}, version {FromVersion} -> {ToVersion}: threw for {Problem.FailingInstances} of {InstanceCount} live instance{Plural(InstanceCount)}. The redefinition is applied; those instances hold the values the implicit rules gave them (the hook's changes to them were undone). Evals and Live.Every loops wait until you answer.\n"
            : $"{Problem.Kind}: {type}.{Problem.FieldName}{conversion}, version {FromVersion} -> {ToVersion}: {Problem.FailingInstances} of {InstanceCount} live instance{Plural(InstanceCount)} cannot get a value"
              + (step?.MissingBecause is { } why ? $" (the new {CSharpNames.Of(step.FieldType)} field {why})" : "") + ".\n");
        foreach (var sample in Problem.Samples) sb.Append("  ").Append(sample).Append('\n');
        sb.Append(Level > 1 ? $"Restarts (level {Level}):\n" : "Restarts:\n");
        for (var i = 0; i < Restarts.Count; i++)
        {
            var marker = Restarts[i].Name == DefaultRestart ? " *" : "";
            sb.Append($"  {i}: [{Restarts[i].Name}]{marker} {Restarts[i].Description}\n");
        }
        sb.Append("Answer with the restart's number (and the expression, for one that takes it).\n");
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
            ["from-version"] = (long)FromVersion,
            ["to-version"] = (long)ToVersion,
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
            ["input"] = r.TakesValue ? "expression" : "none",
        }).ToList(),
        ["condition-id"] = Id,
        ["level"] = (long)Level,
    };

    private static string Plural(int count) => count == 1 ? "" : "s";
}
