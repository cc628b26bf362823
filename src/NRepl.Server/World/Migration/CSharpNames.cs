namespace NRepl.Server.World.Migration;

/// <summary>Reflection type names (<c>System.Int64</c>) as a C# user reads them (<c>long</c>), for messages.</summary>
internal static class CSharpNames
{
    private static readonly Dictionary<string, string> Keywords = new(StringComparer.Ordinal)
    {
        ["System.Boolean"] = "bool", ["System.Byte"] = "byte", ["System.SByte"] = "sbyte", ["System.Int16"] = "short",
        ["System.UInt16"] = "ushort", ["System.Int32"] = "int", ["System.UInt32"] = "uint", ["System.Int64"] = "long",
        ["System.UInt64"] = "ulong", ["System.Single"] = "float", ["System.Double"] = "double", ["System.Decimal"] = "decimal",
        ["System.Char"] = "char", ["System.String"] = "string", ["System.Object"] = "object",
    };

    public static string Of(string clrName) => Keywords.TryGetValue(clrName, out var keyword) ? keyword : clrName;
}
