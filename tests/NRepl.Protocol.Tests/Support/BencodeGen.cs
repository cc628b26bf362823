using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace NRepl.Protocol.Tests.Support;

/// <summary>FsCheck generators for message trees: arbitrary Unicode text, 64-bit integers, lists, dicts, nulls.</summary>
internal static class BencodeGen
{
    /// <summary>Any code point, lone surrogates included, weighted towards the edges that break codecs.</summary>
    private static readonly Gen<string> s_codePoint = Gen.Frequency(
        (6, Gen.Choose(0x20, 0x7E).Select(ToText)),
        (2, Gen.Choose(0x00, 0x1F).Select(ToText)),
        (2, Gen.Choose(0x80, 0xD7FF).Select(ToText)),
        (1, Gen.Choose(0xE000, 0xFFFF).Select(ToText)),
        (2, Gen.Choose(0x10000, 0x10FFFF).Select(ToText)),
        (1, Gen.Choose(0xD800, 0xDFFF).Select(ToText)));

    private static readonly Gen<string> s_validCodePoint = s_codePoint.Where(s => !(s.Length == 1 && char.IsSurrogate(s[0])));

    public static readonly Gen<string> Text = Gen.ListOf(s_codePoint).Select(string.Concat);

    /// <summary>Keys without lone surrogates, which would collapse into U+FFFD and collide.</summary>
    public static readonly Gen<string> Key = Gen.Frequency(
        (3, Gen.Elements("op", "id", "session", "code", "status", "value", "ns", "out", "err")),
        (5, Gen.ListOf(s_validCodePoint).Select(string.Concat)));

    public static readonly Gen<long> Integer = Gen.Frequency(
        (4, ArbMap.Default.GeneratorFor<long>()),
        (2, ArbMap.Default.GeneratorFor<int>().Select(i => (long)i)),
        (1, Gen.Elements(0L, -1L, 1L, long.MinValue, long.MaxValue, long.MinValue + 1, long.MaxValue - 1)));

    public static readonly Gen<Dictionary<string, object?>> Message = Gen.Sized(size => Dict(Math.Min(size, 40)));

    /// <summary>Several messages and the positions at which their concatenated bytes are cut.</summary>
    public static readonly Gen<int[]> SplitSeeds = Gen.ArrayOf(Gen.Choose(0, int.MaxValue));

    private static Gen<object?> Value(int size)
    {
        Gen<object?> leaf = Gen.Frequency(
            (4, Text.Select(s => (object?)s)),
            (3, Integer.Select(l => (object?)l)),
            (1, Gen.Constant<object?>(null)));
        if (size <= 1)
        {
            return leaf;
        }

        return Gen.Frequency(
            (4, leaf),
            (1, List(size / 2).Select(l => (object?)l)),
            (1, Dict(size / 2).Select(d => (object?)d)));
    }

    private static Gen<List<object?>> List(int size) =>
        Gen.Choose(0, Math.Max(0, Math.Min(size, 8))).SelectMany(count => Gen.ListOf(Value(size / Math.Max(1, count)), count)).Select(l => l.ToList());

    private static Gen<Dictionary<string, object?>> Dict(int size) =>
        Gen.Choose(0, Math.Max(0, Math.Min(size, 8)))
            .SelectMany(count => Gen.ListOf(Gen.Zip(Key, Value(size / Math.Max(1, count))), count))
            .Select(pairs =>
            {
                var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach ((string key, object? value) in pairs)
                {
                    dict[key] = value;
                }

                return dict;
            });

    /// <summary>What a value must decode to: text through UTF-8, null dict values gone, null list items as nil (empty list).</summary>
    public static object Expected(object? value) => value switch
    {
        null => new List<object>(),
        string s => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(s)),
        long l => l,
        Dictionary<string, object?> dict => dict
            .Where(kv => kv.Value is not null)
            .ToDictionary(kv => kv.Key, kv => Expected(kv.Value), StringComparer.Ordinal),
        List<object?> list => list.Select(Expected).ToList(),
        _ => throw new ArgumentException($"unexpected generated value {value.GetType()}"),
    };

    private static string ToText(int codePoint) =>
        codePoint is >= 0xD800 and <= 0xDFFF ? ((char)codePoint).ToString() : char.ConvertFromUtf32(codePoint);
}
