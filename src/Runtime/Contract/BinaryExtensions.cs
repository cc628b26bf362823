namespace NRepl.Runtime.Contract;

/// <summary>The few encodings the contract needs beyond BinaryWriter's own (arrays, nullable strings).</summary>
internal static class BinaryExtensions
{
    public static void WriteBytes(this BinaryWriter w, byte[] bytes)
    {
        w.Write(bytes.Length);
        w.Write(bytes);
    }

    public static byte[] ReadBytes(this BinaryReader r)
    {
        var length = r.ReadInt32();
        if (length < 0) throw new InvalidDataException($"Negative byte array length {length}.");
        var bytes = r.ReadBytes(length);
        if (bytes.Length != length) throw new EndOfStreamException("Frame ended inside a byte array.");
        return bytes;
    }

    public static void WriteInts(this BinaryWriter w, int[] values)
    {
        w.Write(values.Length);
        foreach (var v in values) w.Write(v);
    }

    public static int[] ReadInts(this BinaryReader r)
    {
        var length = r.ReadInt32();
        if (length < 0) throw new InvalidDataException($"Negative array length {length}.");
        var values = new int[length];
        for (var i = 0; i < length; i++) values[i] = r.ReadInt32();
        return values;
    }

    public static void WriteStrings(this BinaryWriter w, string[] values)
    {
        w.Write(values.Length);
        foreach (var v in values) w.Write(v);
    }

    public static string[] ReadStrings(this BinaryReader r)
    {
        var length = r.ReadInt32();
        if (length < 0) throw new InvalidDataException($"Negative array length {length}.");
        var values = new string[length];
        for (var i = 0; i < length; i++) values[i] = r.ReadString();
        return values;
    }

    public static void WriteNullable(this BinaryWriter w, string? value)
    {
        w.Write(value is not null);
        if (value is not null) w.Write(value);
    }

    public static string? ReadNullable(this BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;
}
