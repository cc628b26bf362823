using NRepl.Protocol.Messages;

namespace NRepl.Server.Tests.Support;

/// <summary>Builds requests as the bencode reader delivers them: strings, longs, lists and dicts of those.</summary>
internal static class Req
{
    public static NReplMessage Of(params (string Key, object Value)[] fields) =>
        new(fields.ToDictionary(f => f.Key, f => Normalize(f.Value), StringComparer.Ordinal));

    public static Dictionary<string, object> Dict(params (string Key, object Value)[] fields) =>
        fields.ToDictionary(f => f.Key, f => Normalize(f.Value), StringComparer.Ordinal);

    private static object Normalize(object value) => value switch
    {
        int i => (long)i,
        object[] list => list.Select(Normalize).ToList(),
        _ => value,
    };
}
