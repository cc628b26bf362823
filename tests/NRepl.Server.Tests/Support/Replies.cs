namespace NRepl.Server.Tests.Support;

/// <summary>Reading replies in assertions.</summary>
internal static class Replies
{
    public static string[] Statuses(this IReadOnlyDictionary<string, object?> reply) =>
        reply.TryGetValue("status", out var status) && status is IEnumerable<string> statuses ? statuses.ToArray() : [];

    public static bool IsDone(this IReadOnlyDictionary<string, object?> reply) => reply.Statuses().Contains("done");

    public static string? Str(this IReadOnlyDictionary<string, object?> reply, string key) =>
        reply.TryGetValue(key, out var value) ? value as string : null;

    public static IReadOnlyDictionary<string, object?> Dict(this IReadOnlyDictionary<string, object?> reply, string key) =>
        (IReadOnlyDictionary<string, object?>)reply[key]!;
}
