using System.Globalization;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;

namespace NRepl.Server.World;

/// <summary>
/// The documentation comments of a reference assembly, from the XML file beside it (the reference pack
/// ships one per assembly): read on first use, then kept by member id (<c>M:System.Console.WriteLine(System.String)</c>).
/// Roslyn's own provider lives in the Workspaces package, which the server does not otherwise need.
/// </summary>
internal sealed class XmlDocumentation : DocumentationProvider
{
    private readonly string _path;
    private readonly Lazy<IReadOnlyDictionary<string, string>> _members;

    public XmlDocumentation(string path)
    {
        _path = path;
        _members = new Lazy<IReadOnlyDictionary<string, string>>(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    protected override string? GetDocumentationForSymbol(string documentationMemberID, CultureInfo preferredCulture, CancellationToken cancellationToken = default) =>
        _members.Value.TryGetValue(documentationMemberID, out var xml) ? xml : null;

    private IReadOnlyDictionary<string, string> Load()
    {
        try
        {
            return XDocument.Load(_path).Descendants("member")
                .Where(m => m.Attribute("name") is not null)
                .GroupBy(m => m.Attribute("name")!.Value)
                .ToDictionary(g => g.Key, g => g.First().ToString(SaveOptions.DisableFormatting), StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IOException or System.Xml.XmlException or UnauthorizedAccessException)
        {
            return new Dictionary<string, string>();
        }
    }

    public override bool Equals(object? obj) => obj is XmlDocumentation other && other._path == _path;

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_path);
}
