using System.Globalization;

namespace NRepl.Protocol.Messages;

/// <summary>
/// One decoded nREPL request or response: a bencode dict with string keys. Values are
/// <see cref="string"/> (byte strings, decoded as UTF-8), <see cref="long"/>,
/// <see cref="IReadOnlyList{T}"/> of values, or <see cref="IReadOnlyDictionary{TKey, TValue}"/> of values.
/// </summary>
/// <remarks>
/// Clients disagree about types (Calva sends <c>i1e</c>/<c>i0e</c> for booleans and <c>i0e</c> for
/// missing values; CIDER sends <c>le</c> for nil and "true" for booleans), so the getters coerce
/// instead of failing: a request is never rejected because of the type of an optional key.
/// </remarks>
public sealed class NReplMessage
{
    public NReplMessage(IReadOnlyDictionary<string, object> fields) => Fields = fields;

    public IReadOnlyDictionary<string, object> Fields { get; }

    public string? Op => GetString("op");

    public string? Id => GetString("id");

    public string? Session => GetString("session");

    public bool Has(string key) => Fields.ContainsKey(key);

    /// <summary>Strings as they are; integers in decimal; an empty list (nil) or a missing key is null.</summary>
    public string? GetString(string key) => Fields.TryGetValue(key, out var v) ? v switch
    {
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        _ => null,
    } : null;

    /// <summary>Integers as they are; strings that hold a decimal integer; otherwise null.</summary>
    public long? GetInt(string key) => Fields.TryGetValue(key, out var v) ? v switch
    {
        long l => l,
        string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
        _ => null,
    } : null;

    /// <summary>
    /// Truthiness across clients: false for a missing key, 0, "", "0", "false", "nil" and empty lists;
    /// true for anything else.
    /// </summary>
    public bool GetBool(string key) => Fields.TryGetValue(key, out var v) && IsTruthy(v);

    public IReadOnlyDictionary<string, object>? GetDict(string key) =>
        Fields.TryGetValue(key, out var v) ? v as IReadOnlyDictionary<string, object> : null;

    public IReadOnlyList<object>? GetList(string key) =>
        Fields.TryGetValue(key, out var v) ? v as IReadOnlyList<object> : null;

    public static bool IsTruthy(object? value) => value switch
    {
        null => false,
        long l => l != 0,
        string s => s.Length > 0 && s != "0" && !s.Equals("false", StringComparison.OrdinalIgnoreCase) && s != "nil",
        IReadOnlyList<object> list => list.Count > 0,
        _ => true,
    };

    public override string ToString() => "{" + string.Join(", ", Fields.Select(kv => $"{kv.Key} {Render(kv.Value)}")) + "}";

    private static string Render(object v) => v switch
    {
        string s => "\"" + s + "\"",
        IReadOnlyDictionary<string, object> d => "{" + string.Join(", ", d.Select(kv => $"{kv.Key} {Render(kv.Value)}")) + "}",
        IReadOnlyList<object> l => "[" + string.Join(" ", l.Select(Render)) + "]",
        _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "",
    };
}
