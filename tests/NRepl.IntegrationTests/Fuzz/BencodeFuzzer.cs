using System.Text;

namespace NRepl.IntegrationTests.Fuzz;

/// <summary>
/// Generates request bytes for the fuzz test, reproducibly from a seed: well-framed requests with odd
/// contents (unknown ops and sessions, wrong value types, invalid UTF-8, huge integers, unsorted keys) and
/// bytes that break the framing (truncation, absurd or negative lengths, nesting past the limit, junk,
/// a top level that is not a dict). Ops that compile C# are left out: the point is the codec and dispatch.
/// </summary>
internal sealed class BencodeFuzzer(Random random)
{
    private static readonly string[] Ops = ["describe", "ls-sessions", "close", "interrupt", "stdin", "no-such-op", "", "clone-ish", "live/restart"];

    /// <summary>
    /// The next request, and whether it breaks the framing (the server then closes the connection): true,
    /// false, or null for random mutations, which may or may not.
    /// </summary>
    public (byte[] Bytes, bool? BreaksFraming) Next()
    {
        var kind = random.Next(100);
        return kind switch
        {
            < 55 => (OddRequest(), false),
            < 62 => (Truncate(OddRequest()), true),
            < 68 => (Encoding.ASCII.GetBytes($"d2:op{random.NextInt64(1_000_000_000, long.MaxValue)}:"), true),
            < 72 => (Encoding.ASCII.GetBytes("d2:op-5:abcde"), true),
            < 78 => (DeepNesting(random.Next(100, 2000)), true),
            < 84 => (Junk(), true),
            < 88 => (Encoding.ASCII.GetBytes(random.Next(2) == 0 ? "i5e" : "l4:evale"), true),
            < 94 => (Encoding.ASCII.GetBytes($"d2:op8:describe2:idi{new string('9', random.Next(20, 400))}ee"), false),
            _ => (Mutate(OddRequest()), null),
        };
    }

    private byte[] OddRequest()
    {
        var fields = new List<(string Key, byte[] Value)>
        {
            ("op", Str(Ops[random.Next(Ops.Length)])),
            ("id", random.Next(5) == 0 ? Encoding.ASCII.GetBytes($"i{random.Next()}e") : Str("f" + random.Next())),
        };
        if (random.Next(3) == 0) fields.Add(("session", random.Next(2) == 0 ? Str(Guid.NewGuid().ToString()) : Encoding.ASCII.GetBytes("le")));
        if (random.Next(4) == 0) fields.Add(("stdin", InvalidUtf8()));
        if (random.Next(4) == 0) fields.Add(("interrupt-id", Encoding.ASCII.GetBytes("d1:ai1ee")));
        if (random.Next(5) == 0) fields.Add(("condition-id", Str("c" + random.Next())));
        if (random.Next(2) == 0) fields.Reverse(); // clients like Calva send keys unsorted
        var bytes = new List<byte> { (byte)'d' };
        foreach (var (key, value) in fields)
        {
            bytes.AddRange(Str(key));
            bytes.AddRange(value);
        }
        bytes.Add((byte)'e');
        return [.. bytes];
    }

    private static byte[] Str(string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        return [.. Encoding.ASCII.GetBytes($"{utf8.Length}:"), .. utf8];
    }

    private byte[] InvalidUtf8()
    {
        var raw = new byte[random.Next(1, 12)];
        random.NextBytes(raw);
        raw[0] = 0xC3; // a lead byte whose continuation is usually wrong
        return [.. Encoding.ASCII.GetBytes($"{raw.Length}:"), .. raw];
    }

    private byte[] Truncate(byte[] bytes) => bytes[..random.Next(1, bytes.Length)];

    private byte[] Mutate(byte[] bytes)
    {
        var copy = (byte[])bytes.Clone();
        for (var i = random.Next(1, 4); i > 0; i--) copy[random.Next(copy.Length)] = (byte)random.Next(256);
        return copy;
    }

    private static byte[] DeepNesting(int depth) =>
        [.. Encoding.ASCII.GetBytes("d2:op8:describe1:x"), .. Enumerable.Repeat((byte)'l', depth), .. Enumerable.Repeat((byte)'e', depth), (byte)'e'];

    private byte[] Junk()
    {
        var junk = new byte[random.Next(1, 256)];
        random.NextBytes(junk);
        if (junk[0] == (byte)'d') junk[0] = (byte)'x';
        return junk;
    }
}
