using System.Text;

namespace NRepl.Protocol.Tests.Support;

internal static class Bytes
{
    /// <summary>The UTF-8 bytes of a test literal.</summary>
    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Bytes as text for failure messages: printable ASCII as is, anything else as \xNN.</summary>
    public static string Show(ReadOnlySpan<byte> bytes)
    {
        var builder = new StringBuilder();
        foreach (byte b in bytes)
        {
            builder.Append(b is >= 0x20 and < 0x7F ? ((char)b).ToString() : $"\\x{b:X2}");
        }

        return builder.ToString();
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
