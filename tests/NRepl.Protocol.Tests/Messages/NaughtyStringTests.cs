using NRepl.Protocol.Messages;
using NRepl.Protocol.Tests.Support;

namespace NRepl.Protocol.Tests.Messages;

/// <summary>Strings that have broken codecs before: bencode syntax, controls, BOMs, combining marks, edges of Unicode.</summary>
public class NaughtyStringTests
{
    private static readonly string[] s_naughty =
    [
        "", "\0", "e", "d", "l", "i1e", "1:", "0:", "de", "le", ":", "-", "i-0e",
        "\r\n", "\r", "\t\v\f", "\u0085", "\u2028\u2029",
        "\uFEFF", "\uFFFE", "\uFFFF", "\U0010FFFF", "\U0001F600", "\U0001F468\u200D\U0001F469\u200D\U0001F467",
        "e\u0301", "\u202Eevil", "ﷺ", "𝕳𝖊𝖑𝖑𝖔", "田中さんにあげて下さい", "\u0000\u0001\u007F",
        "(println \"hi\")", "Console.WriteLine(\"é\");", new string('x', 70_000),
    ];

    private static IEnumerable<TestCaseData> Cases() =>
        s_naughty.Select((s, i) => new TestCaseData(s).SetArgDisplayNames($"#{i}"));

    [TestCaseSource(nameof(Cases))]
    public void WriteThenRead_NaughtyStringAsKeyAndValue_RoundTrips(string text)
    {
        byte[] bytes = NReplMessageWriter.ToBytes(new Dictionary<string, object?> { [text] = text, ["list"] = new[] { text } });
        NReplMessage message = PipeLoop.ParseAll(bytes, [1, bytes.Length / 2, bytes.Length - 1]).Single();
        Assert.That(message.GetString(text), Is.EqualTo(text));
        Assert.That(message.GetList("list"), Is.EqualTo(new object[] { text }));
    }
}
