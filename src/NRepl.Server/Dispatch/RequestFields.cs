using NRepl.Protocol.Messages;

namespace NRepl.Server.Dispatch;

/// <summary>
/// Reading optional request keys the way clients actually send them: Calva encodes null/undefined as
/// <c>i0e</c>, CIDER encodes nil as <c>le</c>, and numbers may arrive as strings.
/// </summary>
internal static class RequestFields
{
    /// <summary>A string value, or null when the key is missing, "", an empty list, or integer 0.</summary>
    public static string? OptionalString(NReplMessage message, string key) =>
        message.Fields.TryGetValue(key, out var value) && value is not 0L && message.GetString(key) is { Length: > 0 } text ? text : null;

    /// <summary>The first of <paramref name="keys"/> that has a value per <see cref="OptionalString(NReplMessage, string)"/>.</summary>
    public static string? OptionalString(NReplMessage message, params ReadOnlySpan<string> keys)
    {
        foreach (var key in keys)
        {
            if (OptionalString(message, key) is { } value)
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>An integer (or decimal string) clamped to <see cref="int"/>; null when absent or not a number.</summary>
    public static int? OptionalInt(NReplMessage message, string key) =>
        message.GetInt(key) is { } value ? (int)Math.Clamp(value, int.MinValue, int.MaxValue) : null;

    /// <summary>A 1-based position (line, column); values below 1 (Calva's 0 for "unknown") become 1.</summary>
    public static int Position(NReplMessage message, string key) =>
        OptionalInt(message, key) is { } value && value >= 1 ? value : 1;
}
