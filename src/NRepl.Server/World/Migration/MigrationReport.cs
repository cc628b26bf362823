using System.Text;
using NRepl.Runtime.Contract;

namespace NRepl.Server.World.Migration;

/// <summary>What the user reads about a migration: how many live instances moved, or why none did.</summary>
internal static class MigrationReport
{
    public static string Committed(MigrationStage stage, MigrationPrepared prepared)
    {
        var parts = stage.Plans.Select((plan, i) =>
        {
            var count = i < prepared.InstanceCounts.Length ? prepared.InstanceCounts[i] : 0;
            var versions = i < stage.Migrations.Length ? $" (version {stage.Migrations[i].FromVersion} -> {stage.Migrations[i].ToVersion})" : "";
            if (plan.Steps.Count == 0 && plan.DisplayName.StartsWith("variables of ", StringComparison.Ordinal))
            {
                return $"{string.Join(", ", plan.StaticSteps.Select(s => s.DisplayName))} ({plan.DisplayName[13..]}): moved to the replacing types";
            }
            var statics = plan.StaticSteps.Count == 0 ? "" : $", static {string.Join(", ", plan.StaticSteps.Select(s => s.DisplayName))} converted";
            var hook = plan.Hook switch
            {
                HookKind.Instance => ", OnRedefined run",
                HookKind.Static => ", Migrate run",
                _ => "",
            };
            return $"{plan.DisplayName}: {count} live instance{(count == 1 ? "" : "s")} migrated{statics}{hook}{versions}";
        });
        return string.Join("\n", parts);
    }

    public static string Aborted(MigrationStage stage, MigrationPrepared prepared)
    {
        var sb = new StringBuilder();
        sb.Append("Cannot migrate the live instances of ").Append(string.Join(", ", stage.Plans.Select(p => p.DisplayName)))
          .Append("; the redefinition was aborted and every instance and method is unchanged.");
        if (prepared.Error is not null) sb.Append('\n').Append(prepared.Error);
        foreach (var problem in prepared.Problems)
        {
            var type = stage.Plans.FirstOrDefault(p => p.TypeName == problem.TypeName)?.DisplayName ?? problem.TypeName;
            sb.Append('\n').Append($"{problem.Kind} {type}.{problem.FieldName}: {problem.FailingInstances} instance{(problem.FailingInstances == 1 ? "" : "s")}");
            if (problem.Samples.Length > 0) sb.Append(", e.g. ").Append(string.Join("; ", problem.Samples));
        }
        return sb.ToString();
    }
}
