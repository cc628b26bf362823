using System.Reflection;
using System.Text;
using NRepl.Protocol.Messages;

namespace NRepl.Protocol.Tests;

/// <summary>
/// Pins the public surface other projects code against. A deliberate change is approved by
/// copying the received file over PublicApi.approved.txt.
/// </summary>
public class PublicApiTests
{
    [Test]
    public void PublicApi_HasNotChangedUnnoticed()
    {
        string approvedPath = Path.Combine(TestContext.CurrentContext.TestDirectory, "PublicApi.approved.txt");
        string received = Describe(typeof(NReplMessageReader).Assembly);
        string approved = File.ReadAllText(approvedPath).ReplaceLineEndings("\n");
        if (received != approved)
        {
            string receivedPath = Path.Combine(TestContext.CurrentContext.TestDirectory, "PublicApi.received.txt");
            File.WriteAllText(receivedPath, received);
            Assert.That(received, Is.EqualTo(approved), $"Public API changed; review {receivedPath}");
        }
    }

    private static string Describe(Assembly assembly)
    {
        var builder = new StringBuilder();
        foreach (Type type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            builder.Append(Kind(type)).Append(' ').Append(type.FullName).Append('\n');
            const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            IEnumerable<string> members = type.GetMembers(flags)
                .Where(m => m is not MethodInfo { IsSpecialName: true } && !(type.IsEnum && m.Name == "value__"))
                .Select(m => "  " + m.MemberType + " " + m)
                .Order(StringComparer.Ordinal);
            foreach (string member in members)
            {
                builder.Append(member).Append('\n');
            }
        }

        return builder.ToString();
    }

    private static string Kind(Type type) => type switch
    {
        { IsEnum: true } => "enum",
        { IsValueType: true } when type.IsByRefLike => "ref struct",
        { IsValueType: true } => "struct",
        { IsInterface: true } => "interface",
        { IsAbstract: true, IsSealed: true } => "static class",
        { IsSealed: true } => "sealed class",
        _ => "class",
    };
}
