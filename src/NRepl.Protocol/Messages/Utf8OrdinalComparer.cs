namespace NRepl.Protocol.Messages;

/// <summary>
/// Orders strings as their UTF-8 bytes would sort, which is how nREPL and CIDER sort dict keys.
/// Plain ordinal comparison of UTF-16 differs for characters above U+FFFF versus U+E000..U+FFFF.
/// </summary>
internal sealed class Utf8OrdinalComparer : IComparer<string>
{
    public static readonly Utf8OrdinalComparer Instance = new();

    private Utf8OrdinalComparer()
    {
    }

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null || y is null)
        {
            return x is null ? -1 : 1;
        }

        int length = Math.Min(x.Length, y.Length);
        for (int i = 0; i < length; i++)
        {
            char a = x[i];
            char b = y[i];
            if (a != b)
            {
                return CodePointOrder(a) - CodePointOrder(b);
            }
        }

        return x.Length - y.Length;
    }

    // Surrogates (code points >= U+10000) must sort after U+E000..U+FFFF, as their UTF-8 bytes do.
    private static int CodePointOrder(char c) => c switch
    {
        >= '\uE000' => c - 0x800,
        >= '\uD800' => c + 0x2000,
        _ => c,
    };
}
